//! The party's TOML configuration (as Hermes' `config.toml`): one file per connector.
//!
//! ```toml
//! [party]
//! name = "party-1"
//! chain_key_file = "keys/party-1.chain.key"   # secp256k1 account key (hex), `connector keys`
//! store_path = "data/party-1.redb"
//! shares_dir = "data/party-1-shares"
//! shares_key_file = "keys/party-1.shares.key"  # encrypts the shares at rest: 32 random bytes
//!                                             # (hex/base64); or shares_secret_file = "path" (a
//!                                             # passphrase, Argon2id: a systemd credential), or
//!                                             # shares_key_env / shares_secret_env = "VAR"
//!                                             # (removed from the environment once read)
//! # Exactly one of the four. Key and secret files must be mode 0600 (or 0400): a file its
//! # group or others can read or write is refused, as ssh refuses such a private key.
//!
//! [keyring]
//! id = 1
//!
//! [contracts]
//! workspace = "wasm1..."
//! keyring = "wasm1..."
//! signature_requests = "wasm1..."
//!
//! [mpc]
//! index = 0                                   # this party's transport index
//! listen = "0.0.0.0:7001"
//! noise_key_file = "keys/party-1.noise.key"
//! timeout_ms = 30000
//! # only_peer_addresses = true                # (default) MPC connections only from peers' IPs;
//!                                             # false for a peer behind NAT (README, "The MPC
//!                                             # network")
//! [[mpc.peers]]                               # every party, this one included
//! index = 0
//! address = "10.0.0.1:7001"
//! noise_public_key = "<hex>"
//! chain_address = "wasm1..."
//!
//! [chain.cosmos]                              # see chain::cosmos::CosmosConfig
//! chain_id = "localwasm-1"
//! rpc_url = "http://127.0.0.1:26657"           # CometBFT RPC (and its /websocket)
//! grpc_url = "http://127.0.0.1:9090"           # Cosmos SDK gRPC: http:// plaintext, https:// TLS
//! # grpc_ca_file = "keys/grpc-ca.pem"         # https:// through a private CA: trust only it
//! account_prefix = "wasm"
//! gas_price = "0.025"                         # in fee_denom, per unit of gas
//! fee_denom = "ustake"
//! # gas_multiplier = 1.3                      # simulated gas times this ...
//! # gas_cap = 10000000                        # ... and never above this
//!
//! [worker]                                    # all optional
//! # reserve_completion_gas = true             # answers carry the completing path's gas
//! # retry = { initial_ms = 2000, max_ms = 60000, multiplier = 2 }
//! # max_concurrent = 64                       # EdDSA runs at once
//! # max_concurrent_ecdsa = <cores>            # ECDSA runs at once: the CPU cap
//!
//! [event_source]                              # all optional
//! # rescan_interval_ms = 30000                 # pending lists read again this often
//!
//! [telemetry]
//! listen = "127.0.0.1:3001"                   # /metrics, /healthz, /status
//!
//! [log]
//! # level = "info"                            # or a filter; RUST_LOG overrides it
//! ```

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::backoff::{millis, Backoff};

#[derive(thiserror::Error, Debug)]
pub enum ConfigError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    /// TOML syntax, a missing field or a wrong type; toml names the field and the line.
    #[error("{path}: {reason}")]
    Parse { path: String, reason: String },
    /// A value that parses but does not make sense; `field` is its dotted path.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub party: PartySection,
    pub keyring: KeyringSection,
    pub contracts: Contracts,
    pub mpc: MpcSection,
    pub chain: ChainSection,
    #[serde(default)]
    pub telemetry: TelemetrySection,
    #[serde(default)]
    pub worker: WorkerSection,
    #[serde(default)]
    pub submitter: SubmitterSection,
    #[serde(default)]
    pub event_source: EventSourceSection,
    #[serde(default)]
    pub log: LogSection,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// A level (`info`, `debug`) or a filter (`info,mpc_connector::worker=debug`); `RUST_LOG`
    /// overrides it.
    #[serde(default = "default_log_level")]
    pub level: String,
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            level: default_log_level(),
        }
    }
}

fn default_log_level() -> String {
    crate::logging::DEFAULT_LEVEL.to_string()
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartySection {
    /// Label in logs and metrics.
    pub name: String,
    pub chain_key_file: PathBuf,
    pub store_path: PathBuf,
    pub shares_dir: PathBuf,
    /// What encrypts the key shares at rest; exactly one of the four. A file holding a random
    /// 32-byte key (64 hex digits or base64, e.g. `openssl rand -hex 32`) ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares_key_file: Option<PathBuf>,
    /// ... a file holding a passphrase (at least 16 bytes; one trailing newline is not part of
    /// it), as systemd delivers credentials (`LoadCredential=`) ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares_secret_file: Option<PathBuf>,
    /// ... an environment variable holding a key as `shares_key_file` does ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares_key_env: Option<String>,
    /// ... or an environment variable holding a passphrase. A passphrase is stretched with
    /// Argon2id (its parameters are kept beside the store's salt). A variable is removed from
    /// the process environment once read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares_secret_env: Option<String>,
}

/// The four places the share-store secret can come from, as `[party]` names them.
pub const SHARE_SECRET_FIELDS: [&str; 4] = [
    "shares_key_file",
    "shares_secret_file",
    "shares_key_env",
    "shares_secret_env",
];

/// Where the share-store secret comes from: the one field of [`SHARE_SECRET_FIELDS`] set.
enum ShareSecretSource<'a> {
    KeyFile(&'a Path),
    SecretFile(&'a Path),
    KeyEnv(&'a str),
    SecretEnv(&'a str),
}

impl PartySection {
    fn share_secret_source(&self) -> Result<ShareSecretSource<'_>, ConfigError> {
        let sources = [
            self.shares_key_file
                .as_deref()
                .map(ShareSecretSource::KeyFile),
            self.shares_secret_file
                .as_deref()
                .map(ShareSecretSource::SecretFile),
            self.shares_key_env
                .as_deref()
                .map(ShareSecretSource::KeyEnv),
            self.shares_secret_env
                .as_deref()
                .map(ShareSecretSource::SecretEnv),
        ];
        let set: Vec<&str> = SHARE_SECRET_FIELDS
            .iter()
            .zip(&sources)
            .filter_map(|(field, source)| source.as_ref().map(|_| *field))
            .collect();
        let mut found = sources.into_iter().flatten();
        match (found.next(), found.next()) {
            (Some(source), None) => Ok(source),
            (first, _) => Err(invalid(
                "party",
                format!(
                    "set exactly one of {} (the share store's secret); {}",
                    SHARE_SECRET_FIELDS.join(", "),
                    match first {
                        None => "none is set".to_string(),
                        Some(_) => format!("{} are set", set.join(" and ")),
                    }
                ),
            )),
        }
    }

    /// Whether the share-store secret comes from a file (which `config validate` can read).
    pub fn share_secret_in_file(&self) -> bool {
        self.shares_key_file.is_some() || self.shares_secret_file.is_some()
    }

    /// Reads the share-store secret from where the configuration says; errors name the field.
    /// A file others can read or write is refused ([`crate::secret_file`]). A variable is
    /// removed from the environment once read, set or not, so call this once, before the
    /// process starts threads (see [`take_env`]).
    pub fn share_secret(&self) -> Result<mpc_party::StoreSecret, ConfigError> {
        use mpc_party::StoreSecret;
        // What is wrong with the secret, without mpc-party's "invalid request: " in front.
        let reason = |e: mpc_party::MpcError| match e {
            mpc_party::MpcError::InvalidRequest(reason) => reason,
            e => e.to_string(),
        };
        let key = |field: &str, text: &str| {
            StoreSecret::key_from_text(text).map_err(|e| invalid(field, reason(e)))
        };
        let passphrase = |field: &str, bytes: Vec<u8>| {
            StoreSecret::passphrase(bytes).map_err(|e| invalid(field, reason(e)))
        };
        let env = |field: &str, name: &str| {
            take_env(name).ok_or_else(|| invalid(field, format!("${name} is not set")))
        };
        match self.share_secret_source()? {
            ShareSecretSource::KeyFile(path) => {
                let field = "party.shares_key_file";
                let text = crate::secret_file::read_text(path).map_err(|e| invalid(field, e))?;
                key(field, &text)
            }
            ShareSecretSource::SecretFile(path) => {
                let field = "party.shares_secret_file";
                let mut bytes = crate::secret_file::read(path).map_err(|e| invalid(field, e))?;
                trim_one_newline(&mut bytes);
                passphrase(field, std::mem::take(&mut *bytes))
            }
            ShareSecretSource::KeyEnv(name) => {
                let field = "party.shares_key_env";
                let mut bytes = env(field, name)?;
                let text = String::from_utf8(std::mem::take(&mut *bytes))
                    .map(zeroize::Zeroizing::new)
                    .map_err(|e| {
                        let _ = zeroize::Zeroizing::new(e.into_bytes());
                        invalid(field, format!("${name} is not UTF-8 text"))
                    })?;
                key(field, &text)
            }
            ShareSecretSource::SecretEnv(name) => {
                let field = "party.shares_secret_env";
                let mut bytes = env(field, name)?;
                passphrase(field, std::mem::take(&mut *bytes))
            }
        }
    }
}

/// Drops one trailing newline (`\n` or `\r\n`): what `echo` and editors add to a file.
fn trim_one_newline(bytes: &mut Vec<u8>) {
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
}

/// What `std::env` accepts as a variable's name.
fn is_variable_name(name: &str) -> bool {
    !name.trim().is_empty() && !name.contains(['=', '\0'])
}

/// The value of the environment variable `name`, which is removed from the process
/// environment (whether it was set or not): a secret left there is inherited by every child
/// process and shows in anything that dumps the environment. (The kernel's copy of the initial
/// environment, `/proc/<pid>/environ`, still holds it for the same user and root: a file is the
/// better home for a secret.)
///
/// `std::env::remove_var` is a safe function in edition 2021, but it is not thread-safe: C
/// code reading the environment at the same time (`getenv` in the resolver, in time zone
/// handling) may read freed memory, which is why edition 2024 makes it `unsafe`. So it is
/// called before the process starts other threads: `connector run` reads its secret before it
/// starts the async runtime (`cli::dispatch`).
pub fn take_env(name: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    if !is_variable_name(name) {
        return None; // `remove_var` would panic; no such variable can be set.
    }
    let value = std::env::var_os(name);
    std::env::remove_var(name);
    value.map(|value| zeroize::Zeroizing::new(value.into_encoded_bytes()))
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringSection {
    pub id: u64,
}

/// Addresses of the three contracts.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contracts {
    pub workspace: String,
    pub keyring: String,
    pub signature_requests: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MpcSection {
    /// This party's transport index (one of `peers`).
    pub index: u16,
    pub listen: SocketAddr,
    pub noise_key_file: PathBuf,
    /// Longest wait for one protocol step.
    #[serde(
        with = "millis",
        rename = "timeout_ms",
        default = "default_mpc_timeout"
    )]
    pub timeout: Duration,
    /// Accept MPC connections only from the IP addresses of `peers`, closing any other at once
    /// (on by default). Set it to `false` when a peer connects from another address than the one
    /// configured for it (behind NAT): then anyone may start a handshake, within the listener's
    /// per-address and per-network limits, and each peer's address keeps handshake slots that no
    /// other address can take.
    #[serde(default = "yes")]
    pub only_peer_addresses: bool,
    pub peers: Vec<Peer>,
}

/// One party of the federation (this one included).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    pub index: u16,
    /// host:port of its MPC listener.
    pub address: String,
    /// Its Noise static public key, hex (32 bytes).
    pub noise_public_key: String,
    /// Its account on the chain (as registered on the keyring).
    pub chain_address: String,
}

/// The chain to connect to. `connector run` talks to a real chain; the embedded devnet is run
/// by the `devnet` binary (`mpc-devnet`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSection {
    #[cfg(feature = "cosmos")]
    pub cosmos: crate::chain::cosmos::CosmosConfig,
    /// Without the `cosmos` feature the table is kept as read, and `run` refuses to start.
    #[cfg(not(feature = "cosmos"))]
    pub cosmos: toml::Table,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySection {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_telemetry_listen")]
    pub listen: SocketAddr,
}

impl Default for TelemetrySection {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: default_telemetry_listen(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSection {
    /// EdDSA runs at once: they wait on the network far more than they compute.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// ECDSA runs at once: each keeps a core busy for most of its run, so this caps the CPU
    /// (default: the machine's cores).
    #[serde(default = "default_max_concurrent_ecdsa")]
    pub max_concurrent_ecdsa: usize,
    /// Attempt windows of one MPC run (each window may use another signer set); a failed run
    /// is run again until the request is final on chain. Absent: every set of `threshold`
    /// parties when there are at most 10 of them (3 parties of which 2 sign: 3 sets), else 3.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// Whether each answer carries, beyond its simulated gas, the gas of the path on which it
    /// completes the request (settlement and payouts, ~0.2M gas; a requester's callback runs
    /// in a `RunCallback` of its own). Without it, an answer executed after others in its block
    /// can run out of gas and is sent again (and pays for the failed try).
    #[serde(default = "yes")]
    pub reserve_completion_gas: bool,
    /// Waits between drives of a request whose drive failed; it is driven until it is final on
    /// chain or answered. `max_attempts` is ignored: the request's deadline bounds the retries.
    #[serde(default = "default_retry")]
    pub retry: Backoff,
}

impl Default for WorkerSection {
    fn default() -> Self {
        Self {
            max_concurrent: default_max_concurrent(),
            max_concurrent_ecdsa: default_max_concurrent_ecdsa(),
            max_attempts: None,
            reserve_completion_gas: true,
            retry: default_retry(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitterSection {
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    #[serde(
        with = "millis",
        rename = "batch_delay_ms",
        default = "default_batch_delay"
    )]
    pub batch_delay: Duration,
    #[serde(default = "submit_backoff")]
    pub backoff: Backoff,
}

impl Default for SubmitterSection {
    fn default() -> Self {
        Self {
            max_batch: default_max_batch(),
            batch_delay: default_batch_delay(),
            backoff: submit_backoff(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventSourceSection {
    #[serde(default)]
    pub backoff: Backoff,
    /// How often the pending lists are read again while connected (as Hermes'
    /// `clear_interval`): a request whose event was missed is found by the next rescan.
    #[serde(
        with = "millis",
        rename = "rescan_interval_ms",
        default = "default_rescan_interval"
    )]
    pub rescan_interval: Duration,
}

impl Default for EventSourceSection {
    fn default() -> Self {
        Self {
            backoff: Backoff::default(),
            rescan_interval: default_rescan_interval(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_mpc_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_telemetry_listen() -> SocketAddr {
    "127.0.0.1:3001".parse().expect("valid address")
}
fn default_max_concurrent() -> usize {
    64
}
fn default_max_concurrent_ecdsa() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
fn default_retry() -> Backoff {
    Backoff::new(Duration::from_secs(2), Duration::from_secs(60), 2, None)
}
fn default_max_batch() -> usize {
    8
}
fn default_batch_delay() -> Duration {
    Duration::from_millis(50)
}
fn submit_backoff() -> Backoff {
    Backoff::new(
        Duration::from_millis(200),
        Duration::from_secs(10),
        2,
        Some(8),
    )
}
fn default_rescan_interval() -> Duration {
    Duration::from_secs(30)
}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let config = Self::parse(&text).map_err(|e| match e {
            ConfigError::Parse { reason, .. } => ConfigError::Parse {
                path: path.display().to_string(),
                reason,
            },
            other => other,
        })?;
        Ok(config)
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: "<config>".into(),
            reason: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what parsing cannot; the error names the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.party.name.trim().is_empty() {
            return Err(invalid("party.name", "must not be empty"));
        }
        self.party.share_secret_source()?;
        for (field, name) in [
            ("party.shares_key_env", &self.party.shares_key_env),
            ("party.shares_secret_env", &self.party.shares_secret_env),
        ] {
            if name.as_ref().is_some_and(|n| !is_variable_name(n)) {
                return Err(invalid(
                    field,
                    "must name a variable (not empty, no `=`, no NUL)",
                ));
            }
        }
        if self.keyring.id == 0 {
            return Err(invalid("keyring.id", "keyring ids start at 1"));
        }
        for (field, value) in [
            ("contracts.workspace", &self.contracts.workspace),
            ("contracts.keyring", &self.contracts.keyring),
            (
                "contracts.signature_requests",
                &self.contracts.signature_requests,
            ),
        ] {
            check_bech32(field, value)?;
        }
        self.validate_peers()?;
        crate::logging::parse_level(&self.log.level)
            .map_err(|reason| invalid("log.level", reason.trim_start_matches("log.level: ")))?;
        if self.mpc.timeout.is_zero() {
            return Err(invalid("mpc.timeout_ms", "must be above 0"));
        }
        if self.worker.max_concurrent == 0 {
            return Err(invalid("worker.max_concurrent", "must be at least 1"));
        }
        if self.worker.max_attempts == Some(0) {
            return Err(invalid("worker.max_attempts", "must be at least 1"));
        }
        if self.submitter.max_batch == 0 {
            return Err(invalid("submitter.max_batch", "must be at least 1"));
        }
        self.submitter
            .backoff
            .validate()
            .map_err(|reason| invalid("submitter.backoff", reason))?;
        self.event_source
            .backoff
            .validate()
            .map_err(|reason| invalid("event_source.backoff", reason))?;
        if self.worker.max_concurrent_ecdsa == 0 {
            return Err(invalid("worker.max_concurrent_ecdsa", "must be at least 1"));
        }
        if self.event_source.rescan_interval < Duration::from_secs(1) {
            return Err(invalid(
                "event_source.rescan_interval_ms",
                "must be at least 1000",
            ));
        }
        #[cfg(feature = "cosmos")]
        self.chain
            .cosmos
            .validate()
            .map_err(|reason| match reason.split_once(": ") {
                // CosmosConfig names its field first: `chain.cosmos.<field>: <reason>`.
                Some((field, rest)) if !field.contains(' ') => {
                    invalid(format!("chain.cosmos.{field}"), rest)
                }
                _ => invalid("chain.cosmos", reason),
            })?;
        Ok(())
    }

    fn validate_peers(&self) -> Result<(), ConfigError> {
        let peers = &self.mpc.peers;
        if peers.len() < 2 {
            return Err(invalid("mpc.peers", "needs at least two parties"));
        }
        let mut indices = BTreeSet::new();
        let mut accounts = BTreeSet::new();
        for (i, peer) in peers.iter().enumerate() {
            let field = |name: &str| format!("mpc.peers[{i}].{name}");
            if !indices.insert(peer.index) {
                return Err(invalid(
                    field("index"),
                    format!("index {} appears twice", peer.index),
                ));
            }
            if !accounts.insert(peer.chain_address.as_str()) {
                return Err(invalid(field("chain_address"), "appears twice"));
            }
            check_bech32(&field("chain_address"), &peer.chain_address)?;
            if peer
                .address
                .rsplit_once(':')
                .and_then(|(_, port)| port.parse::<u16>().ok())
                .is_none()
            {
                return Err(invalid(field("address"), "must be host:port"));
            }
            match hex::decode(&peer.noise_public_key) {
                Ok(key) if key.len() == 32 => {}
                _ => {
                    return Err(invalid(
                        field("noise_public_key"),
                        "must be 32 bytes of hex",
                    ))
                }
            }
        }
        if !indices.contains(&self.mpc.index) {
            return Err(invalid(
                "mpc.index",
                format!("{} is not the index of any of mpc.peers", self.mpc.index),
            ));
        }
        Ok(())
    }

    /// Checks that the files the config names can be read and are fit for use (what `connector
    /// run` reads first): key files that only their owner can read or write, and the CA file of
    /// `[chain.cosmos] grpc_ca_file`. The error names the field and the file.
    pub fn check_files(&self) -> Result<(), ConfigError> {
        for (field, path) in [
            ("party.chain_key_file", &self.party.chain_key_file),
            ("mpc.noise_key_file", &self.mpc.noise_key_file),
        ] {
            crate::cli::keys::read_secret(path).map_err(|reason| invalid(field, reason))?;
        }
        // The share secret too when it is in a file (variables are the environment's of the run).
        if self.party.share_secret_in_file() {
            self.party.share_secret()?;
        }
        #[cfg(feature = "cosmos")]
        self.chain
            .cosmos
            .grpc_tls()
            .map_err(|reason| invalid("chain.cosmos.grpc_ca_file", reason))?;
        Ok(())
    }

    /// This party's own peer entry.
    pub fn me(&self) -> &Peer {
        self.mpc
            .peers
            .iter()
            .find(|p| p.index == self.mpc.index)
            .expect("validated: mpc.index is one of the peers")
    }
}

fn check_bech32(field: &str, value: &str) -> Result<(), ConfigError> {
    bech32::decode(value)
        .map(|_| ())
        .map_err(|e| invalid(field, format!("not a bech32 address: {e}")))
}

/// A valid two-party configuration around `party` (the `[party]` section's lines) with this
/// party's Noise key at `noise_key_file`, for tests.
#[cfg(test)]
pub(crate) fn test_config(party: &str, noise_key_file: &str) -> String {
    let key = "11".repeat(32);
    let addr = |n: u8| {
        let data = [n; 32];
        bech32::encode::<bech32::Bech32>(bech32::Hrp::parse("cosmwasm").unwrap(), &data).unwrap()
    };
    format!(
        r#"
[party]
{party}

[keyring]
id = 1

[contracts]
workspace = "{w}"
keyring = "{k}"
signature_requests = "{s}"

[mpc]
index = 0
listen = "127.0.0.1:7001"
noise_key_file = "{noise_key_file}"

[[mpc.peers]]
index = 0
address = "127.0.0.1:7001"
noise_public_key = "{key}"
chain_address = "{p0}"

[[mpc.peers]]
index = 1
address = "127.0.0.1:7002"
noise_public_key = "{key}"
chain_address = "{p1}"

[chain.cosmos]
chain_id = "localwasm-1"
rpc_url = "http://127.0.0.1:26657"
grpc_url = "http://127.0.0.1:9090"
account_prefix = "wasm"
gas_price = "0.025"
fee_denom = "ustake"
"#,
        w = addr(1),
        k = addr(2),
        s = addr(3),
        p0 = addr(10),
        p1 = addr(11),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> String {
        test_config(
            r#"name = "party-1"
chain_key_file = "k/chain.key"
store_path = "d/party.redb"
shares_dir = "d/shares"
shares_secret_env = "P1_SECRET""#,
            "k/noise.key",
        )
    }

    fn error_of(text: &str) -> String {
        Config::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn the_example_is_valid_and_fills_defaults() {
        let config = Config::parse(&example()).unwrap();
        assert_eq!(config.me().address, "127.0.0.1:7001");
        assert_eq!(config.mpc.timeout, Duration::from_secs(30));
        assert_eq!(config.submitter.max_batch, 8);
        assert!(config.telemetry.enabled);
        assert_eq!(config.event_source.rescan_interval, Duration::from_secs(30));
        assert_eq!(config.log.level, "info");
        assert!(config.worker.max_concurrent_ecdsa >= 1);
    }

    #[test]
    fn a_missing_field_is_named() {
        let text = example().replace("id = 1\n", "");
        assert!(
            error_of(&text).contains("missing field `id`"),
            "{}",
            error_of(&text)
        );
    }

    #[test]
    fn an_unknown_field_is_named() {
        let text = example().replace("[keyring]\n", "[keyring]\ncolour = 1\n");
        assert!(error_of(&text).contains("colour"));
    }

    #[test]
    fn semantic_errors_name_the_field() {
        let cases = [
            (example().replace("id = 1", "id = 0"), "keyring.id"),
            (
                example().replace("index = 1\n", "index = 0\n"),
                "mpc.peers[1].index",
            ),
            (
                example().replace("address = \"127.0.0.1:7002\"", "address = \"nowhere\""),
                "mpc.peers[1].address",
            ),
            (
                example().replacen(&"11".repeat(32), "abcd", 1),
                "mpc.peers[0].noise_public_key",
            ),
            (
                example().replace("[mpc]\nindex = 0", "[mpc]\nindex = 9"),
                "mpc.index",
            ),
            (
                example().replace("name = \"party-1\"", "name = \" \""),
                "party.name",
            ),
            (
                example() + "\n[submitter]\nmax_batch = 0\n",
                "submitter.max_batch",
            ),
            (
                example().replace(
                    "shares_secret_env = \"P1_SECRET\"",
                    "shares_secret_env = \"P1_SECRET\"\nshares_key_file = \"k/shares.key\"",
                ),
                "party: set exactly one of shares_key_file, shares_secret_file, shares_key_env, \
                 shares_secret_env (the share store's secret); shares_key_file and \
                 shares_secret_env are set",
            ),
            (
                example().replace(
                    "shares_secret_env = \"P1_SECRET\"",
                    "shares_secret_file = \"k/shares.secret\"\nshares_key_env = \"P1_KEY\"",
                ),
                "party: set exactly one of shares_key_file, shares_secret_file, shares_key_env, \
                 shares_secret_env (the share store's secret); shares_secret_file and \
                 shares_key_env are set",
            ),
            (
                example().replace("shares_secret_env = \"P1_SECRET\"\n", ""),
                "party: set exactly one of shares_key_file, shares_secret_file, shares_key_env, \
                 shares_secret_env (the share store's secret); none is set",
            ),
            (
                example().replace("\"P1_SECRET\"", "\"P1=SECRET\""),
                "party.shares_secret_env: must name a variable",
            ),
            (
                example().replace("grpc_url = \"http://", "grpc_url = \"tcp://"),
                "chain.cosmos.grpc_url: \"tcp://127.0.0.1:9090\" must start with",
            ),
            (
                example().replace(
                    "fee_denom = \"ustake\"",
                    "fee_denom = \"ustake\"\ngrpc_ca_file = \"k/ca.pem\"",
                ),
                "chain.cosmos.grpc_ca_file: set, but grpc_url",
            ),
            (
                example()
                    + "\n[event_source.backoff]\ninitial_ms = 0\nmax_ms = 5\nmultiplier = 2\n",
                "event_source.backoff: initial_ms",
            ),
            (
                example() + "\n[event_source]\nrescan_interval_ms = 10\n",
                "event_source.rescan_interval_ms",
            ),
            (
                example() + "\n[worker]\nmax_concurrent_ecdsa = 0\n",
                "worker.max_concurrent_ecdsa",
            ),
            (example() + "\n[log]\nlevel = \"loud=[\"\n", "log.level"),
        ];
        for (text, field) in cases {
            let error = error_of(&text);
            assert!(error.starts_with(field), "expected {field}, got {error}");
        }
        let bad_contract = example().replace(
            &format!(
                "keyring = \"{}\"",
                Config::parse(&example()).unwrap().contracts.keyring
            ),
            "keyring = \"not-an-address\"",
        );
        assert!(error_of(&bad_contract).starts_with("contracts.keyring"));
    }

    /// A key file as `connector keys` writes it: readable and writable by its owner only.
    fn write_private(path: &Path, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn set_mode(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// `config validate` reads the key files `run` will read; a missing one is named.
    #[test]
    fn key_files_are_checked_and_a_missing_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let text = example()
            .replace(
                "shares_secret_env = \"P1_SECRET\"",
                "shares_key_file = \"k/shares.key\"",
            )
            .replace("k/", &format!("{}/", dir.path().display()));
        let config = Config::parse(&text).unwrap();
        let error = config.check_files().unwrap_err().to_string();
        assert!(
            error.starts_with("party.chain_key_file") && error.contains("chain.key"),
            "{error}"
        );
        write_private(&dir.path().join("chain.key"), &"11".repeat(32));
        let error = config.check_files().unwrap_err().to_string();
        assert!(error.starts_with("mpc.noise_key_file"), "{error}");
        write_private(&dir.path().join("noise.key"), "not hex");
        let error = config.check_files().unwrap_err().to_string();
        assert!(error.starts_with("mpc.noise_key_file"), "{error}");
        write_private(&dir.path().join("noise.key"), &"22".repeat(32));
        let error = config.check_files().unwrap_err().to_string();
        assert!(error.starts_with("party.shares_key_file"), "{error}");
        write_private(&dir.path().join("shares.key"), &"33".repeat(32));
        config.check_files().unwrap();
    }

    /// Every secret file is refused while its group or others can read or write it, naming
    /// the field, the file, its mode and the fix; the same file passes once it is 0600.
    #[test]
    fn a_secret_file_others_can_open_is_refused_naming_it_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let in_dir = |text: String| text.replace("k/", &format!("{}/", dir.path().display()));
        for name in ["chain.key", "noise.key", "shares.key"] {
            write_private(&dir.path().join(name), &"11".repeat(32));
        }
        write_private(
            &dir.path().join("shares.secret"),
            "a passphrase of 16 bytes or more\n",
        );
        let with_key_file = in_dir(example().replace(
            "shares_secret_env = \"P1_SECRET\"",
            "shares_key_file = \"k/shares.key\"",
        ));
        let with_secret_file = in_dir(example().replace(
            "shares_secret_env = \"P1_SECRET\"",
            "shares_secret_file = \"k/shares.secret\"",
        ));
        let cases = [
            (&with_key_file, "party.chain_key_file", "chain.key", 0o644),
            (&with_key_file, "mpc.noise_key_file", "noise.key", 0o640),
            (&with_key_file, "party.shares_key_file", "shares.key", 0o604),
            (
                &with_secret_file,
                "party.shares_secret_file",
                "shares.secret",
                0o660,
            ),
        ];
        for (text, field, name, mode) in cases {
            let config = Config::parse(text).unwrap();
            config.check_files().unwrap();
            let path = dir.path().join(name);
            set_mode(&path, mode);
            let error = config.check_files().unwrap_err().to_string();
            assert_eq!(
                error,
                format!(
                    "{field}: {p} is readable by others (mode {mode:04o}): run `chmod 600 {p}`",
                    p = path.display()
                )
            );
            set_mode(&path, 0o600);
            config.check_files().unwrap();
        }
    }

    /// `config validate` reads `grpc_ca_file` as `run` will; a bad one is named by its field.
    #[test]
    fn a_bad_grpc_ca_file_is_named_by_its_field() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["chain.key", "noise.key", "shares.key"] {
            write_private(&dir.path().join(name), &"11".repeat(32));
        }
        let text = example()
            .replace(
                "shares_secret_env = \"P1_SECRET\"",
                "shares_key_file = \"k/shares.key\"",
            )
            .replace("grpc_url = \"http://", "grpc_url = \"https://")
            .replace(
                "fee_denom = \"ustake\"",
                "fee_denom = \"ustake\"\ngrpc_ca_file = \"k/ca.pem\"",
            )
            .replace("k/", &format!("{}/", dir.path().display()));
        let config = Config::parse(&text).unwrap();
        let ca_file = dir.path().join("ca.pem");
        let error = config.check_files().unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "chain.cosmos.grpc_ca_file: {}: ",
                ca_file.display()
            )),
            "{error}"
        );
        std::fs::write(&ca_file, "not a certificate").unwrap();
        let error = config.check_files().unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "chain.cosmos.grpc_ca_file: {}: no certificate in it (PEM, \
                 `-----BEGIN CERTIFICATE-----`)",
                ca_file.display()
            )
        );
        let proxy = mpc_localnet::TlsProxy::start("127.0.0.1:1".parse().unwrap()).unwrap();
        std::fs::write(&ca_file, proxy.ca_pem()).unwrap();
        config.check_files().unwrap();
    }

    fn party_with(source: impl FnOnce(&mut PartySection)) -> PartySection {
        let mut party = PartySection {
            name: "p".into(),
            chain_key_file: "k".into(),
            store_path: "s".into(),
            shares_dir: "d".into(),
            shares_key_file: None,
            shares_secret_file: None,
            shares_key_env: None,
            shares_secret_env: None,
        };
        source(&mut party);
        party
    }

    #[test]
    fn the_share_secret_is_read_from_its_field_and_errors_name_it() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("shares.key");
        write_private(&key_file, &format!("{}\n", "ab".repeat(32)));
        let party = party_with(|p| p.shares_key_file = Some(key_file.clone()));
        assert!(matches!(
            party.share_secret().unwrap(),
            mpc_party::StoreSecret::Key(_)
        ));
        write_private(&key_file, "not a key");
        let error = party.share_secret().unwrap_err().to_string();
        assert!(error.starts_with("party.shares_key_file"), "{error}");

        let secret_file = dir.path().join("shares.secret");
        write_private(&secret_file, "fifteen bytes!!\n");
        let party = party_with(|p| p.shares_secret_file = Some(secret_file.clone()));
        let error = party.share_secret().unwrap_err().to_string();
        assert_eq!(
            error,
            "party.shares_secret_file: the share-store passphrase must be at least 16 bytes"
        );
        std::fs::remove_file(&secret_file).unwrap();
        let error = party.share_secret().unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "party.shares_secret_file: {}: ",
                secret_file.display()
            )),
            "{error}"
        );

        let party =
            party_with(|p| p.shares_secret_env = Some("MPC_CONFIG_TEST_UNSET_VARIABLE".into()));
        let error = party.share_secret().unwrap_err().to_string();
        assert_eq!(
            error,
            "party.shares_secret_env: $MPC_CONFIG_TEST_UNSET_VARIABLE is not set"
        );
    }

    #[test]
    fn one_trailing_newline_is_not_part_of_a_passphrase() {
        for (text, passphrase) in [
            (&b"a passphrase\n"[..], &b"a passphrase"[..]),
            (b"a passphrase\r\n", b"a passphrase"),
            (b"a passphrase", b"a passphrase"),
            (b"a passphrase\n\n", b"a passphrase\n"),
            (b" spaced \n", b" spaced "),
            (b"", b""),
        ] {
            let mut bytes = text.to_vec();
            trim_one_newline(&mut bytes);
            assert_eq!(bytes, passphrase, "{:?}", String::from_utf8_lossy(text));
        }
    }

    /// The passphrase file as systemd or `echo` writes it (a trailing newline) opens the store
    /// its passphrase made, as `shares_secret_env` would: the newline is not part of it.
    #[test]
    fn a_passphrase_file_opens_the_store_its_passphrase_made() {
        let dir = tempfile::tempdir().unwrap();
        let passphrase = "correct horse battery staple";
        let shares = dir.path().join("shares");
        let secret = mpc_party::StoreSecret::passphrase(passphrase).unwrap();
        drop(mpc_party::ShareStore::open(&shares, &secret).unwrap());
        let secret_file = dir.path().join("shares.secret");
        write_private(&secret_file, &format!("{passphrase}\n"));
        let party = party_with(|p| p.shares_secret_file = Some(secret_file.clone()));
        mpc_party::ShareStore::open(&shares, &party.share_secret().unwrap()).unwrap();
        write_private(&secret_file, &format!("{passphrase}\n\n"));
        let wrong = party.share_secret().unwrap();
        assert!(matches!(
            mpc_party::ShareStore::open(&shares, &wrong),
            Err(mpc_party::MpcError::WrongStoreSecret(_))
        ));
    }
}
