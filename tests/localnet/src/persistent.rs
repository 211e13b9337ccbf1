//! A localnet that outlives its process, for a developer's local chain: its home is a directory
//! the caller names, set up on first use and started again from its state afterwards (same
//! accounts, same ports, blocks and contracts kept). It serves the REST API and lets browsers in
//! (CORS open on the RPC and the API). Dropping it stops the node with SIGTERM and keeps the home.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Child;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{io_error, parse_json, LocalnetError, Result};
use crate::localnet::{free_address, setting, Account, Localnet, Setup, START_TIMEOUT, VALIDATOR};
use crate::toml_edit::set_values;
use crate::wasmd;

/// What a later start needs, written once the home is set up: its presence marks a complete one.
const STATE_FILE: &str = "localnet.json";
/// How long a node has to stop on SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Serialize, Deserialize)]
struct State {
    rpc: SocketAddr,
    grpc: SocketAddr,
    p2p: SocketAddr,
    api: SocketAddr,
    accounts: BTreeMap<String, Account>,
}

impl Localnet {
    /// Starts the chain kept in `home`: set up there with [`VALIDATOR`] and the named accounts
    /// if `home` holds none yet (`created` is then true), else started again from it. Returns
    /// once it produces blocks.
    pub fn open(home: &Path, accounts: &[&str]) -> Result<(Self, bool)> {
        let wasmd = wasmd::wasmd_binary()?;
        let state_file = home.join(STATE_FILE);
        let created = !state_file.is_file();
        let state = if created {
            create(&wasmd, home, accounts)?
        } else {
            let text = std::fs::read_to_string(&state_file)
                .map_err(io_error(format!("reading {}", state_file.display())))?;
            parse_json::<State>(&state_file.display().to_string(), &text)?
        };
        for address in [state.rpc, state.grpc, state.p2p, state.api] {
            if TcpListener::bind(address).is_err() {
                return Err(LocalnetError::Unexpected(format!(
                    "port {} of the chain in {} is taken: is it running already?",
                    address.port(),
                    home.display()
                )));
            }
        }
        let setup = Setup {
            wasmd: &wasmd,
            home,
        };
        let node = setup.spawn_node_in_group(true)?;
        let localnet = Localnet {
            wasmd: wasmd.clone(),
            home: home.to_path_buf(),
            node: Mutex::new(node),
            rpc: state.rpc,
            grpc: state.grpc,
            p2p: state.p2p,
            api: Some(state.api),
            kept: true,
            accounts: state.accounts,
        };
        let height = localnet.height().unwrap_or(0);
        localnet.wait_for_blocks(height + 1, START_TIMEOUT)?;
        Ok((localnet, created))
    }
}

/// Sets up a new home (genesis, keys, config) and writes its state file last.
fn create(wasmd: &Path, home: &Path, accounts: &[&str]) -> Result<State> {
    if home.join("config").exists() {
        return Err(LocalnetError::Unexpected(format!(
            "{} holds a chain that was never set up completely: remove it and start again",
            home.display()
        )));
    }
    std::fs::create_dir_all(home).map_err(io_error(format!("creating {}", home.display())))?;
    let mut names = vec![VALIDATOR];
    names.extend(accounts.iter().filter(|name| **name != VALIDATOR));
    let (rpc, grpc, p2p, api) = (
        free_address()?,
        free_address()?,
        free_address()?,
        free_address()?,
    );
    let setup = Setup { wasmd, home };
    let accounts = setup.prepare(&names, rpc, grpc, p2p)?;
    open_to_browsers(home, api)?;
    let state = State {
        rpc,
        grpc,
        p2p,
        api,
        accounts,
    };
    let text = serde_json::to_string_pretty(&state)
        .map_err(|e| LocalnetError::Unexpected(format!("state does not serialise: {e}")))?;
    let file = home.join(STATE_FILE);
    std::fs::write(&file, text).map_err(io_error(format!("writing {}", file.display())))?;
    Ok(state)
}

/// The REST API on, and CORS open on it and on the RPC, so that a dApp in a browser and a
/// wallet extension can reach the chain.
fn open_to_browsers(home: &Path, api: SocketAddr) -> Result<()> {
    let quoted = |s: String| format!("\"{s}\"");
    let config = home.join("config");
    set_values(
        &config.join("config.toml"),
        &[setting("rpc", "cors_allowed_origins", "[\"*\"]".into())],
    )?;
    set_values(
        &config.join("app.toml"),
        &[
            setting("api", "enable", "true".into()),
            setting("api", "address", quoted(format!("tcp://{api}"))),
            setting("api", "enabled-unsafe-cors", "true".into()),
        ],
    )
}

/// SIGTERM, then waits for the node to stop (killed after [`STOP_TIMEOUT`]): it closes its
/// databases cleanly, so the next start finds them intact.
pub(crate) fn terminate(node: &mut Mutex<Child>) {
    let node = node
        .get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Ok(Some(_)) = node.try_wait() {
        return;
    }
    // SAFETY: kill(2) on the pid of a child not yet reaped, so it names that child.
    unsafe { libc::kill(node.id() as libc::pid_t, libc::SIGTERM) };
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = node.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("wasmd did not stop within {STOP_TIMEOUT:?} of SIGTERM: killing it");
    let _ = node.kill();
    let _ = node.wait();
}
