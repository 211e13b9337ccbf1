//! The `local-chain` command as a dApp developer uses it: started, its JSON file read, the
//! keyring contract queried over REST from a browser's origin, stopped with Ctrl-C (SIGINT):
//! exit status 0, wasmd and the three connectors gone, their ports free.
//!
//! Needs the `connector` binary built beside this test's (`cargo build -p mpc-connector`;
//! `cargo test --workspace` builds it), wasmd (`scripts/wasmd.sh`) and `artifacts/`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mpc_interfaces::keyring::QueryMsg as KeyringQuery;
use mpc_local_chain::connectors::sibling_binary;
use mpc_local_chain::info::LocalChainInfo;
use mpc_local_chain::process::alive;

/// A first start makes the parties' ECDSA primes.
const START_TIMEOUT: Duration = Duration::from_secs(900);
const STOP_TIMEOUT: Duration = Duration::from_secs(90);

#[test]
fn the_local_chain_serves_its_contracts_and_stops_cleanly_on_ctrl_c() {
    // Kept between runs, as a developer's is: the primes are made once.
    let data_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("local-chain");
    let json = data_dir.join("local-chain.json");
    let _ = std::fs::remove_file(&json);
    let connector = sibling_binary("connector")
        .expect("the connector binary is built (cargo build -p mpc-connector)");
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-chain"))
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("--connector")
        .arg(&connector)
        .stdin(Stdio::null())
        .spawn()
        .expect("local-chain starts");

    let info = wait_for_info(&mut child, &json);
    let result = std::panic::catch_unwind(|| query_keyring_over_rest(&info));
    let status = interrupt(&mut child);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }

    assert!(status.success(), "local-chain exited with {status}");
    for pid in std::iter::once(info.pids.wasmd).chain(info.pids.connectors.iter().copied()) {
        assert!(!alive(pid), "process {pid} is still running after the stop");
    }
    assert_eq!(info.pids.connectors.len(), 3);
    for port in &info.ports {
        TcpListener::bind(("127.0.0.1", *port))
            .unwrap_or_else(|e| panic!("port {port} is not free after the stop: {e}"));
    }
}

/// Waits for the JSON file the command writes once everything is up.
fn wait_for_info(child: &mut Child, json: &Path) -> LocalChainInfo {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(text) = std::fs::read_to_string(json) {
            if let Ok(info) = serde_json::from_str(&text) {
                return info;
            }
        }
        if let Some(status) = child.try_wait().expect("checking local-chain") {
            panic!(
                "local-chain exited ({status}) before writing {}",
                json.display()
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("no {} after {START_TIMEOUT:?}", json.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The keyring as a dApp in a browser reads it: a smart query over REST, with an `Origin`
/// the answer must allow (CORS).
fn query_keyring_over_rest(info: &LocalChainInfo) {
    let query = KeyringQuery::Keyring {
        keyring_id: info.keyring_id,
    };
    let encoded = cosmwasm_std::to_json_binary(&query)
        .unwrap()
        .to_base64()
        .replace('+', "-")
        .replace('/', "_");
    let path = format!(
        "/cosmwasm/wasm/v1/contract/{}/smart/{encoded}",
        info.contracts.keyring
    );
    let rest: SocketAddr = info.rest.trim_start_matches("http://").parse().unwrap();
    let (head, body) = get_from_browser(rest, &path);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("access-control-allow-origin: *"),
        "REST does not allow other origins:\n{head}"
    );
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    let keyring = &answer["data"];
    assert_eq!(
        keyring["parties"].as_array().map(Vec::len),
        Some(3),
        "{body}"
    );
    assert_eq!(keyring["party_threshold"], 2, "{body}");

    let rpc: SocketAddr = info.rpc.trim_start_matches("http://").parse().unwrap();
    let (head, _) = get_from_browser(rpc, "/status");
    assert!(
        head.to_ascii_lowercase()
            .contains("access-control-allow-origin: *"),
        "the RPC does not allow other origins:\n{head}"
    );
}

/// A GET with a web page's `Origin`: the response head and body.
fn get_from_browser(addr: SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://localhost:5173\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    (head.to_string(), body.to_string())
}

/// Ctrl-C, as a terminal sends it; returns how the command ended.
fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    assert!(mpc_local_chain::process::signal(child.id(), libc::SIGINT));
    let deadline = Instant::now() + STOP_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for local-chain") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("local-chain did not stop within {STOP_TIMEOUT:?} of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
