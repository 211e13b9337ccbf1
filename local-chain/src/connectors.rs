//! The parties' connectors as an operator sets them up: each with its own account key, Noise key
//! and TOML file (every setting not written here is the connector's default), run as
//! `connector run --config` processes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mpc_connector::chain::cosmos::CosmosConfig;
use mpc_connector::config::{
    ChainSection, Config, Contracts, EventSourceSection, KeyringSection, LogSection, MpcSection,
    PartySection, Peer, SubmitterSection, TelemetrySection, WorkerSection,
};
use mpc_localnet::{BECH32_PREFIX, DENOM};

use crate::Result;

/// Environment variable the parties' TOML names for the share-store secret.
pub const SHARES_SECRET_ENV: &str = "MPC_SHARES_SECRET";

/// The federation's members as each party's `[mpc]` lists them, with their Noise private keys.
pub struct Federation {
    pub peers: Vec<Peer>,
    pub noise_keys: Vec<[u8; 32]>,
}

impl Federation {
    /// A Noise key pair and a free loopback MPC port for each account address.
    pub fn new(addresses: &[String]) -> Result<Self> {
        let mut noise_keys = Vec::new();
        let mut peers = Vec::new();
        for (i, address) in addresses.iter().enumerate() {
            let (private, public) = mpc_party::transport::tcp::generate_static_keypair();
            noise_keys.push(private);
            peers.push(Peer {
                index: i as u16,
                address: free_address()?.to_string(),
                noise_public_key: hex::encode(public),
                chain_address: address.clone(),
            });
        }
        Ok(Self { peers, noise_keys })
    }

    /// Party `i`'s configuration ([`party_name`]) with its files in `dir`: writes its account
    /// key (`chain_key_hex`) and Noise key there; its share-store secret comes from
    /// [`SHARES_SECRET_ENV`], telemetry on a free loopback port.
    pub fn party_config(
        &self,
        i: usize,
        dir: &Path,
        chain_key_hex: &str,
        deployment: &Deployment,
    ) -> Result<Config> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let chain_key_file = dir.join("chain.key");
        write_key(&chain_key_file, chain_key_hex)?;
        let noise_key_file = dir.join("noise.key");
        write_key(&noise_key_file, &hex::encode(self.noise_keys[i]))?;
        Ok(Config {
            party: PartySection {
                name: party_name(i),
                chain_key_file,
                store_path: dir.join("connector.redb"),
                shares_dir: dir.join("shares"),
                shares_key_file: None,
                shares_secret_file: None,
                shares_key_env: None,
                shares_secret_env: Some(SHARES_SECRET_ENV.into()),
            },
            keyring: KeyringSection {
                id: deployment.keyring_id,
            },
            contracts: deployment.contracts.clone(),
            mpc: MpcSection {
                index: i as u16,
                listen: self.peers[i].address.parse().map_err(|e| format!("{e}"))?,
                noise_key_file,
                timeout: Duration::from_secs(20),
                only_peer_addresses: true,
                peers: self.peers.clone(),
            },
            chain: ChainSection {
                cosmos: deployment.cosmos.clone(),
            },
            telemetry: TelemetrySection {
                enabled: true,
                listen: free_address()?,
            },
            worker: WorkerSection::default(),
            submitter: SubmitterSection::default(),
            event_source: EventSourceSection::default(),
            log: LogSection::default(),
        })
    }
}

/// What every party's configuration names: the chain and the keyring on it.
pub struct Deployment {
    pub keyring_id: u64,
    pub contracts: Contracts,
    pub cosmos: CosmosConfig,
}

/// Name (and data folder) of party `i`, as the devnet names them.
pub fn party_name(i: usize) -> String {
    format!("party-{i}")
}

/// How a client reaches the chain: only what an operator must write; every other setting (gas
/// multiplier and cap, timeouts) is the connector's default.
pub fn cosmos_config(chain_id: &str, rpc_url: &str, grpc_url: &str) -> Result<CosmosConfig> {
    let table = format!(
        "chain_id = {chain_id:?}\nrpc_url = {rpc_url:?}\ngrpc_url = {grpc_url:?}\n\
         account_prefix = {BECH32_PREFIX:?}\ngas_price = \"0.025\"\nfee_denom = {DENOM:?}\n",
    );
    toml::from_str(&table).map_err(|e| format!("[chain.cosmos]: {e}"))
}

/// Checks `config` as `connector run` will and writes it to `path` as TOML.
pub fn write_config(path: &Path, config: &Config) -> Result<()> {
    let name = &config.party.name;
    config.validate().map_err(|e| format!("{name}: {e}"))?;
    let text = toml::to_string(config).map_err(|e| format!("{name} TOML: {e}"))?;
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a TOML written by [`write_config`].
pub fn read_config(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// How to start one `connector run`.
pub struct Launch<'a> {
    /// The `connector` binary.
    pub binary: &'a Path,
    pub config: &'a Path,
    /// Appended to: stdout and stderr.
    pub log: &'a Path,
    /// The share-store secret, put in [`SHARES_SECRET_ENV`] (none: the config names a file).
    pub secret: Option<&'a str>,
    /// `RUST_LOG`, if not the config's level.
    pub rust_log: Option<&'a str>,
    /// In a process group of its own, so that a terminal's Ctrl-C reaches only the program that
    /// started it, which stops it in order.
    pub own_group: bool,
}

impl Launch<'_> {
    pub fn spawn(&self) -> Result<Child> {
        use std::os::unix::process::CommandExt;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log)
            .map_err(|e| format!("{}: {e}", self.log.display()))?;
        let log_err = log.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(self.binary);
        if let Some(secret) = self.secret {
            command.env(SHARES_SECRET_ENV, secret);
        }
        if let Some(filter) = self.rust_log {
            command.env("RUST_LOG", filter);
        }
        if self.own_group {
            command.process_group(0);
        }
        // A caller that takes its signals with sigwait blocks them, and the mask is inherited
        // across exec: the connector would never see SIGTERM.
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                let mut empty: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut empty);
                libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
                Ok(())
            });
        }
        command
            .arg("run")
            .arg("--config")
            .arg(self.config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", self.binary.display()))
    }
}

/// Key files as `connector keys` writes them: a line of text, readable and writable by the owner
/// only (mode 0600, also over a file of an earlier run; the connector refuses any other).
pub fn write_key(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let named = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(named)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(named)?;
    writeln!(file, "{text}").map_err(named)
}

/// Whether the connector whose telemetry listens on `telemetry` says it is up (`/healthz`).
pub fn healthy(telemetry: SocketAddr) -> bool {
    mpc_localnet::http_get(telemetry, "/healthz").is_ok()
}

/// A free port on 127.0.0.1, outside the ephemeral range (see
/// [`mpc_party::transport::ports::free_loopback_address`]).
pub fn free_address() -> Result<SocketAddr> {
    mpc_party::transport::ports::free_loopback_address().map_err(|e| e.to_string())
}

/// The last `lines` lines of a log file.
pub fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The `connector` binary built beside the running executable (cargo puts a workspace's
/// binaries in one directory).
pub fn sibling_binary(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    // A test binary runs from `deps/`, one level below.
    [dir.join(name), dir.parent()?.join(name)]
        .into_iter()
        .find(|p| p.is_file())
}
