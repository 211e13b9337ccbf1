//! The `local-chain` command as a dApp developer uses it: started, its JSON file read, the
//! keyring contract queried over REST from a browser's origin, stopped with Ctrl-C (SIGINT):
//! exit status 0, wasmd and the three connectors gone, their ports free. Started again after
//! the contracts were rebuilt: the new ones deployed on the same chain, the connectors moved to
//! them without making their primes again.
//!
//! Needs the `connector` binary built beside this test's (`cargo build -p mpc-connector`;
//! `cargo test --workspace` builds it), wasmd (`scripts/wasmd.sh`) and `artifacts/`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
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
    // Kept between runs, as a developer's is: the primes are made once. `scripts/test.sh` passes
    // the data directory its TypeScript tests ran on (stopped by then), so that a cold run makes
    // the parties' primes once.
    let data_dir = std::env::var_os("MPC_LOCAL_CHAIN_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("local-chain"));
    let artifacts = mpc_local_chain::deploy::artifacts_dir();

    // The contracts as another build left them (other checksums): a chain set up with the
    // repository's artifacts moves to these, a new one is set up with them.
    let other_build = Path::new(env!("CARGO_TARGET_TMPDIR")).join("local-chain-other-build");
    copy_artifacts(&artifacts, &other_build);
    let first = LocalChain::start(&data_dir, &other_build)
        .checked(query_keyring_over_rest)
        .stop();

    // Started again on the repository's artifacts, as after `scripts/build-wasm.sh` rebuilt
    // changed contracts: they are deployed on the same chain, and the connectors move to them
    // with the primes they made before. (This also leaves the chain on the repository's
    // contracts for the next run of the TypeScript tests.)
    let logs_before: Vec<usize> = first.logs[1..].iter().map(|log| log_length(log)).collect();
    LocalChain::start(&data_dir, &artifacts)
        .checked(|info| {
            assert_ne!(info.contracts.keyring, first.contracts.keyring);
            assert_ne!(info.contracts.workspace, first.contracts.workspace);
            assert_ne!(
                info.contracts.signature_requests,
                first.contracts.signature_requests
            );
            query_keyring_over_rest(info);
            for (log, before) in info.logs[1..].iter().zip(&logs_before) {
                let text = std::fs::read_to_string(log).unwrap();
                let this_start = &text[*before..];
                assert!(
                    this_start.contains("connector running"),
                    "{}: no start logged:\n{this_start}",
                    log.display()
                );
                assert!(
                    !this_start.contains("making ECDSA Paillier primes"),
                    "{} made its primes again after the contracts changed:\n{this_start}",
                    log.display()
                );
            }
            for i in 0..3 {
                let config = data_dir.join(format!("connectors/party-{i}/connector.toml"));
                let config = std::fs::read_to_string(&config).unwrap();
                assert!(
                    config.contains(&info.contracts.keyring)
                        && config.contains(&info.contracts.signature_requests),
                    "party {i}'s configuration names other contracts:\n{config}"
                );
            }
        })
        .stop();
}

/// A running `local-chain` command and what it wrote once up.
struct LocalChain {
    child: Child,
    info: LocalChainInfo,
}

impl LocalChain {
    fn start(data_dir: &Path, artifacts: &Path) -> Self {
        let json = data_dir.join("local-chain.json");
        let _ = std::fs::remove_file(&json);
        let connector = sibling_binary("connector")
            .expect("the connector binary is built (cargo build -p mpc-connector)");
        let mut child = Command::new(env!("CARGO_BIN_EXE_local-chain"))
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--connector")
            .arg(&connector)
            .arg("--artifacts")
            .arg(artifacts)
            .stdin(Stdio::null())
            .spawn()
            .expect("local-chain starts");
        let info = wait_for_info(&mut child, &json);
        Self { child, info }
    }

    /// Runs `check` on the running chain; a failing check still stops it first.
    fn checked(mut self, check: impl FnOnce(&LocalChainInfo)) -> Self {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&self.info)));
        if let Err(panic) = result {
            interrupt(&mut self.child);
            std::panic::resume_unwind(panic);
        }
        self
    }

    /// Ctrl-C: exit status 0, wasmd and the connectors gone, their ports free.
    fn stop(mut self) -> LocalChainInfo {
        let status = interrupt(&mut self.child);
        let info = self.info;
        assert!(status.success(), "local-chain exited with {status}");
        for pid in std::iter::once(info.pids.wasmd).chain(info.pids.connectors.iter().copied()) {
            assert!(!alive(pid), "process {pid} is still running after the stop");
        }
        assert_eq!(info.pids.connectors.len(), 3);
        for port in &info.ports {
            TcpListener::bind(("127.0.0.1", *port))
                .unwrap_or_else(|e| panic!("port {port} is not free after the stop: {e}"));
        }
        info
    }
}

/// The wasm files, with a checksums file that differs from `from`'s.
fn copy_artifacts(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for name in [
        "mpc_workspace.wasm",
        "mpc_keyring.wasm",
        "mpc_signature_requests.wasm",
    ] {
        std::fs::copy(from.join(name), to.join(name)).unwrap();
    }
    let checksums = std::fs::read_to_string(from.join("checksums.txt")).unwrap_or_default();
    std::fs::write(
        to.join("checksums.txt"),
        format!("{checksums}# another build\n"),
    )
    .unwrap();
}

fn log_length(path: &Path) -> usize {
    std::fs::metadata(path).map_or(0, |m| m.len() as usize)
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
