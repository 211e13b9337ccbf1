//! A second node of the localnet: a full node (not a validator) that follows the validator over
//! p2p, for clients that read from a node other than the one whose events they follow. Cut off
//! from the validator, it keeps serving the state of the last block it had: a node behind.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Child;
use std::sync::Mutex;
use std::time::Instant;

use crate::error::{io_error, LocalnetError, Result};
use crate::localnet::{
    free_ports, fresh_home, log_tail, remove_home, setting, stop_node, Localnet, Setup, CHAIN_ID,
    DENOM, POLL, START_TIMEOUT,
};
use crate::rpc;
use crate::toml_edit::set_values;

/// A full node following a [`Localnet`]'s validator. Dropping it kills it and deletes its home.
pub struct Follower {
    wasmd: PathBuf,
    home: PathBuf,
    node: Mutex<Child>,
    rpc: SocketAddr,
    grpc: SocketAddr,
    /// The validator as a persistent peer (`<id>@<address>`).
    validator: String,
}

impl Localnet {
    /// Starts a full node from this chain's genesis, peered with the validator only, and
    /// returns once it has caught up with the validator's height.
    pub fn start_follower(&self) -> Result<Follower> {
        let validator = self.peer_address()?;
        let home = fresh_home()?;
        let wasmd = self.wasmd_path().to_path_buf();
        let (rpc, grpc, p2p) = free_ports()?;
        let setup = Setup {
            wasmd: &wasmd,
            home: &home,
        };
        let prepared = setup
            .run(
                &[
                    "init",
                    "mpc-localnet-follower",
                    "--chain-id",
                    CHAIN_ID,
                    "--default-denom",
                    DENOM,
                ],
                None,
            )
            .and_then(|_| {
                let genesis = self.home().join("config/genesis.json");
                std::fs::copy(&genesis, home.join("config/genesis.json"))
                    .map_err(io_error(format!("copying {}", genesis.display())))
            })
            .and_then(|_| setup.configure(rpc, grpc, p2p))
            .and_then(|_| peering(&home, &validator, true))
            .and_then(|_| setup.spawn_node());
        let node = prepared.inspect_err(|_| remove_home(&home))?;
        let follower = Follower {
            wasmd,
            home,
            node: Mutex::new(node),
            rpc,
            grpc,
            validator,
        };
        follower.wait_for_height(self.height()?)?;
        Ok(follower)
    }
}

impl Follower {
    /// Cosmos SDK gRPC of this node.
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// Height of the latest block this node has.
    pub fn height(&self) -> Result<u64> {
        rpc::latest_height(self.rpc)
            .ok_or_else(|| LocalnetError::Unexpected("the follower's RPC does not answer".into()))
    }

    /// Cuts the node off from the validator (restarted with no peers, refusing inbound ones):
    /// from now on it serves the state of the block it has, and falls behind. Returns that
    /// block's height once its gRPC answers again.
    pub fn fall_behind(&self) -> Result<u64> {
        self.restart(false)?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(height) = rpc::latest_height(self.rpc) {
                if std::net::TcpStream::connect(self.grpc).is_ok() {
                    return Ok(height);
                }
            }
            self.timeout_check(deadline, "the cut-off follower's RPC and gRPC")?;
            std::thread::sleep(POLL);
        }
    }

    /// Peers the node with the validator again and returns once it has reached `height`.
    pub fn catch_up(&self, height: u64) -> Result<()> {
        self.restart(true)?;
        self.wait_for_height(height)
    }

    fn restart(&self, peered: bool) -> Result<()> {
        let mut node = self
            .node
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        node.kill().map_err(io_error("stopping the follower"))?;
        node.wait()
            .map_err(io_error("waiting for the follower to stop"))?;
        peering(&self.home, &self.validator, peered)?;
        *node = Setup {
            wasmd: &self.wasmd,
            home: &self.home,
        }
        .spawn_node()?;
        Ok(())
    }

    /// Waits until this node has block `height`.
    pub fn wait_for_height(&self, height: u64) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        while rpc::latest_height(self.rpc).is_none_or(|h| h < height) {
            self.timeout_check(deadline, &format!("the follower at block {height}"))?;
            std::thread::sleep(POLL);
        }
        Ok(())
    }

    fn timeout_check(&self, deadline: Instant, what: &str) -> Result<()> {
        if Instant::now() < deadline {
            return Ok(());
        }
        let log = self.home.join("node.log");
        Err(LocalnetError::Timeout {
            what: format!("{what} (log tail:\n{})", log_tail(&log, 20)),
            seconds: START_TIMEOUT.as_secs(),
        })
    }
}

/// The follower's p2p settings: peered with the validator only, or with nobody at all (no
/// peer dialled, none accepted, no peer exchange).
fn peering(home: &std::path::Path, validator: &str, peered: bool) -> Result<()> {
    let quoted = |s: &str| format!("\"{s}\"");
    let (peers, inbound) = if peered {
        (quoted(validator), "40")
    } else {
        (quoted(""), "0")
    };
    set_values(
        &home.join("config/config.toml"),
        &[
            setting("p2p", "persistent_peers", peers),
            setting("p2p", "max_num_inbound_peers", inbound.into()),
            setting("p2p", "pex", "false".into()),
        ],
    )
}

impl Drop for Follower {
    fn drop(&mut self) {
        stop_node(&mut self.node, &self.home, "localnet follower");
    }
}
