//! One run of the local chain: the chain kept in `<data dir>/chain`, set up with the contracts
//! and the keyring on first start, and the parties' connectors from `<data dir>/connectors`.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use mpc_connector::config::{Config, Contracts};
use mpc_localnet::{Localnet, BECH32_PREFIX, DENOM};
use serde::{Deserialize, Serialize};

use crate::connectors::{self, party_name, Deployment, Federation, Launch};
use crate::deploy::{create_keyring, deploy};
use crate::info::{ContractAddresses, LocalChainInfo, Pids, TestAccount};
use crate::signals::Signals;
use crate::{context, Result};

/// The funded test accounts; the first two own workspaces in the quickstart.
pub const USERS: [&str; 3] = ["alice", "bob", "carol"];
pub const PARTIES: usize = 3;
pub const THRESHOLD: u32 = 2;
/// Longest the connectors may take to be up (a first start makes ECDSA Paillier primes).
const READY_TIMEOUT: Duration = Duration::from_secs(900);
/// How long a connector has to stop on SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Written once the contracts, the keyring and the connectors' files are in place.
const SETUP_FILE: &str = "setup.json";

pub struct Options {
    pub data_dir: PathBuf,
    pub connector: PathBuf,
    pub artifacts: PathBuf,
    /// Keep the contracts the chain was set up with even when `artifacts` changed since.
    pub keep_contracts: bool,
}

/// What the first start set up, for the later ones.
#[derive(Serialize, Deserialize)]
struct SetupRecord {
    contracts: Contracts,
    keyring_id: u64,
    /// `artifacts/checksums.txt` as deployed, to tell when the contracts on chain are stale.
    #[serde(default)]
    artifacts: String,
}

pub struct Party {
    pub name: String,
    pub config: Config,
    pub config_path: PathBuf,
    pub log: PathBuf,
    pub child: Child,
}

pub struct Session {
    pub chain: Localnet,
    pub parties: Vec<Party>,
    pub info: LocalChainInfo,
    pub info_path: PathBuf,
}

/// Why a start ended early.
pub enum StartError {
    Failed(String),
    /// A signal came while starting: what was started is stopped, nothing failed.
    Interrupted(&'static str),
}

impl From<String> for StartError {
    fn from(e: String) -> Self {
        StartError::Failed(e)
    }
}

fn progress(message: &str) {
    eprintln!("local-chain: {message}");
}

impl Session {
    /// Starts the chain and the connectors, waits until every connector is up, writes the
    /// JSON description. A signal in the meantime stops what was started.
    pub fn start(options: &Options, signals: &Signals) -> std::result::Result<Self, StartError> {
        let started = Instant::now();
        let data_dir = &options.data_dir;
        progress(&format!("data directory {}", data_dir.display()));
        let mut names: Vec<String> = USERS.iter().map(|s| s.to_string()).collect();
        names.extend((0..PARTIES).map(party_name));
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (chain, created) =
            Localnet::open(&data_dir.join("chain"), &names).map_err(context("starting wasmd"))?;
        progress(&format!(
            "wasmd {} (log {})",
            if created {
                "set up and started"
            } else {
                "started again"
            },
            chain.node_log().display()
        ));
        let setup_file = data_dir.join(SETUP_FILE);
        let setup = if setup_file.is_file() && !created {
            let setup = read_json::<SetupRecord>(&setup_file)?;
            if setup.artifacts == artifact_checksums(&options.artifacts) {
                setup
            } else if options.keep_contracts {
                progress(&format!(
                    "{} changed since this chain was set up; it runs the contracts of then \
                     (--keep-contracts)",
                    options.artifacts.display()
                ));
                setup
            } else {
                redeploy(&chain, options, &setup_file)?
            }
        } else if setup_file.is_file() {
            return Err(format!(
                "{} describes contracts of a chain that is gone: remove {} and start again",
                setup_file.display(),
                data_dir.display()
            )
            .into());
        } else {
            set_up(&chain, options, &setup_file)?
        };

        let mut parties = Vec::new();
        for i in 0..PARTIES {
            let name = party_name(i);
            let dir = connectors_dir(data_dir).join(&name);
            let config_path = dir.join("connector.toml");
            let config = connectors::read_config(&config_path)?;
            let log = dir.join("connector.log");
            let child = Launch {
                binary: &options.connector,
                config: &config_path,
                log: &log,
                secret: None,
                rust_log: None,
                own_group: true,
            }
            .spawn()?;
            parties.push(Party {
                name,
                config,
                config_path,
                log,
                child,
            });
        }
        let info = describe(&chain, &setup, &parties)?;
        let info_path = data_dir.join("local-chain.json");
        let mut session = Session {
            chain,
            parties,
            info,
            info_path,
        };
        if let Err(e) = session.wait_ready(signals) {
            session.stop();
            return Err(e);
        }
        let text = serde_json::to_string_pretty(&session.info).map_err(|e| e.to_string())?;
        std::fs::write(&session.info_path, text)
            .map_err(|e| format!("{}: {e}", session.info_path.display()))?;
        progress(&format!("up in {:.1} s", started.elapsed().as_secs_f64()));
        Ok(session)
    }

    /// Waits until every connector's `/healthz` answers.
    fn wait_ready(&mut self, signals: &Signals) -> std::result::Result<(), StartError> {
        progress(
            "waiting for the three connectors (a first start makes their ECDSA primes: minutes)",
        );
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut waiting: Vec<usize> = (0..self.parties.len()).collect();
        while !waiting.is_empty() {
            if let Some(signal) = signals.wait(Duration::from_millis(200)) {
                return Err(StartError::Interrupted(signal));
            }
            self.check_running()?;
            waiting.retain(|&i| {
                let up = connectors::healthy(self.parties[i].config.telemetry.listen);
                if up {
                    progress(&format!("{} is up", self.parties[i].name));
                }
                !up
            });
            if Instant::now() > deadline {
                return Err(format!("the connectors were not up after {READY_TIMEOUT:?}").into());
            }
        }
        Ok(())
    }

    /// An error naming the first process that exited, with the end of its log.
    pub fn check_running(&mut self) -> Result<()> {
        for party in &mut self.parties {
            if let Ok(Some(status)) = party.child.try_wait() {
                return Err(format!(
                    "{}'s connector exited ({status}); the end of {}:\n{}",
                    party.name,
                    party.log.display(),
                    connectors::tail(&party.log, 30)
                ));
            }
        }
        self.chain.height().map(drop).map_err(context("wasmd"))
    }

    /// SIGTERM to the connectors, waited for, then to wasmd (when the chain is dropped).
    /// Returns whether everything stopped on SIGTERM.
    pub fn stop(self) -> bool {
        let mut clean = true;
        // All at once, then one shared wait: they stop in parallel.
        for party in &self.parties {
            crate::process::signal(party.child.id(), libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        for mut party in self.parties {
            let (status, on_term) = crate::process::terminate(&mut party.child, deadline);
            if !on_term {
                progress(&format!("{} did not stop on SIGTERM: killed", party.name));
            } else if let Some(status) = status.filter(|s| !s.success()) {
                progress(&format!("{}'s connector ended with {status}", party.name));
            }
            clean &= on_term;
        }
        progress("connectors stopped; stopping wasmd");
        drop(self.chain);
        clean
    }
}

/// First start: contracts, keyring, the parties' files.
fn set_up(chain: &Localnet, options: &Options, setup_file: &Path) -> Result<SetupRecord> {
    let (addresses, deployment) = deploy_with_keyring(chain, options)?;
    progress("writing the connectors' configuration");
    let federation = Federation::new(&addresses)?;
    for i in 0..PARTIES {
        let name = party_name(i);
        let dir = connectors_dir(&options.data_dir).join(&name);
        let account = chain.account(&name).map_err(context("account"))?;
        let mut config = federation.party_config(i, &dir, &account.private_key_hex, &deployment)?;
        // An operator's passphrase file, random per data directory.
        let secret_file = dir.join("shares.secret");
        let secret: [u8; 24] = rand::random();
        connectors::write_key(&secret_file, &hex::encode(secret))?;
        config.party.shares_secret_env = None;
        config.party.shares_secret_file = Some(secret_file);
        connectors::write_config(&dir.join("connector.toml"), &config)?;
    }
    write_setup(setup_file, deployment, options)
}

/// A later start after the contracts were rebuilt: the new ones deployed on the same chain with
/// a keyring of the same parties, and each connector pointed at them. A connector keeps its
/// share store: its Paillier primes and ECDSA aux info (minutes of CPU) belong to the party set,
/// not to a keyring. It starts a new request store, since the new contracts number their
/// requests from 1 again. The earlier contracts stay on chain, served by no connector.
fn redeploy(chain: &Localnet, options: &Options, setup_file: &Path) -> Result<SetupRecord> {
    progress(&format!(
        "{} changed since this chain was set up: deploying the new contracts on it (the \
         connectors move to them; --keep-contracts keeps the earlier ones)",
        options.artifacts.display()
    ));
    let (_, deployment) = deploy_with_keyring(chain, options)?;
    for i in 0..PARTIES {
        let path = connectors_dir(&options.data_dir)
            .join(party_name(i))
            .join("connector.toml");
        let mut config = connectors::read_config(&path)?;
        config.contracts = deployment.contracts.clone();
        config.keyring.id = deployment.keyring_id;
        let store = &config.party.store_path;
        match std::fs::remove_file(store) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("{}: {e}", store.display()))
            }
            _ => {}
        }
        connectors::write_config(&path, &config)?;
    }
    write_setup(setup_file, deployment, options)
}

/// Uploads and instantiates the contracts and creates the parties' keyring; returns the
/// parties' account addresses with what their configurations name.
fn deploy_with_keyring(chain: &Localnet, options: &Options) -> Result<(Vec<String>, Deployment)> {
    progress("uploading and instantiating the contracts");
    let contracts = deploy(chain, &options.artifacts)?;
    let addresses: Vec<String> = (0..PARTIES)
        .map(|i| {
            Ok(chain
                .account(&party_name(i))
                .map_err(context("account"))?
                .address
                .clone())
        })
        .collect::<Result<_>>()?;
    let keyring_id = create_keyring(
        chain,
        mpc_localnet::VALIDATOR,
        &contracts.keyring,
        addresses.clone(),
        THRESHOLD,
        vec![],
    )?;
    progress(&format!("keyring {keyring_id} created"));
    let deployment = Deployment {
        keyring_id,
        contracts,
        cosmos: connectors::cosmos_config(chain.chain_id(), &chain.rpc_url(), &chain.grpc_url())?,
    };
    Ok((addresses, deployment))
}

/// Records what is deployed, with the artifacts it came from, for later starts.
fn write_setup(
    setup_file: &Path,
    deployment: Deployment,
    options: &Options,
) -> Result<SetupRecord> {
    let record = SetupRecord {
        contracts: deployment.contracts,
        keyring_id: deployment.keyring_id,
        artifacts: artifact_checksums(&options.artifacts),
    };
    let text = serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?;
    std::fs::write(setup_file, text).map_err(|e| format!("{}: {e}", setup_file.display()))?;
    Ok(record)
}

fn describe(chain: &Localnet, setup: &SetupRecord, parties: &[Party]) -> Result<LocalChainInfo> {
    let accounts = USERS
        .iter()
        .map(|name| {
            let a = chain.account(name).map_err(context("account"))?;
            Ok(TestAccount {
                name: a.name.clone(),
                address: a.address.clone(),
                mnemonic: a.mnemonic.clone(),
                private_key_hex: a.private_key_hex.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut ports: Vec<u16> = chain.listen_addresses().iter().map(|a| a.port()).collect();
    for party in parties {
        ports.push(party.config.mpc.listen.port());
        ports.push(party.config.telemetry.listen.port());
    }
    let mut logs = vec![chain.node_log()];
    logs.extend(parties.iter().map(|p| p.log.clone()));
    Ok(LocalChainInfo {
        chain_id: chain.chain_id().to_string(),
        rpc: chain.rpc_url(),
        websocket: chain.websocket_url(),
        rest: chain.api_url().ok_or("the chain has no REST API")?,
        grpc: chain.grpc_url(),
        prefix: BECH32_PREFIX.to_string(),
        denom: DENOM.to_string(),
        gas_price: format!("0.025{DENOM}"),
        contracts: ContractAddresses {
            workspace: setup.contracts.workspace.clone(),
            keyring: setup.contracts.keyring.clone(),
            signature_requests: setup.contracts.signature_requests.clone(),
        },
        keyring_id: setup.keyring_id,
        mnemonics: accounts
            .iter()
            .take(2)
            .map(|a| a.mnemonic.clone())
            .collect(),
        accounts,
        pids: Pids {
            wasmd: chain.node_pid(),
            connectors: parties.iter().map(|p| p.child.id()).collect(),
        },
        ports,
        logs,
    })
}

fn connectors_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("connectors")
}

/// The artifacts' checksums file (`scripts/build-wasm.sh` writes it), empty if there is none.
fn artifact_checksums(artifacts: &Path) -> String {
    std::fs::read_to_string(artifacts.join("checksums.txt")).unwrap_or_default()
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}
