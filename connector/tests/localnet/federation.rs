//! A federation on a real chain: a wasmd localnet with the three contracts uploaded from
//! `artifacts/`, a keyring of N parties, a workspace of two owners with a 2-of-2 sign policy, and
//! one `connector run --config` process per party, configured as an operator would (its own
//! account key, Noise key, TOML file, share secret in the environment).
//!
//! The owners act through the localnet harness (the wasmd CLI: real signed transactions), or
//! through the connector's own chain client for many messages in one transaction; the
//! connectors reach the node's CometBFT RPC and its gRPC each through a [`TcpRelay`] that a test
//! can cut.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use mpc_connector::chain::cosmos::{CosmosChain, CosmosConfig};
use mpc_connector::chain::{Chain, ContractCall};
use mpc_connector::config::{Config, Contracts};
use mpc_devnet::{
    key_request_msg, operator_secret, party_name, prepare_data_dir, signature_request_msg,
    DevnetKey,
};
use mpc_interfaces::keyring::{
    KeyRequestResponse, KeyRequestStatus, KeyResponse, QueryMsg as KeyringQuery,
};
use mpc_interfaces::signature_requests::{
    ExecuteMsg as SignatureExecute, Payload, QueryMsg as SignatureQuery, SignatureRequestResponse,
};
use mpc_interfaces::workspace::ExecuteMsg as WorkspaceExecute;
use mpc_interfaces::{events, KeyType, Policy};
use mpc_local_chain::connectors::{self, tail, write_key, Deployment, Launch};
pub use mpc_local_chain::deploy::event_id;
use mpc_local_chain::deploy::{artifact, artifacts_dir, create_keyring, deploy};
use mpc_localnet::{http_get, Follower, Localnet, TcpRelay, TlsProxy, TxOutcome, DENOM};

/// Creates the keyring.
pub const ADMIN: &str = "admin";
/// Owner who asks for keys and signatures.
pub const REQUESTER: &str = "alice";
/// Second owner, whose approval the sign policy needs.
pub const APPROVER: &str = "bob";

/// Longest a connector may take to be up (a cold machine makes Paillier primes first).
const READY_TIMEOUT: Duration = Duration::from_secs(900);
/// Longest a request may take to end.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_millis(100);

pub type TestResult<T> = Result<T, String>;

fn err(context: &str) -> impl Fn(mpc_localnet::LocalnetError) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// What a federation is started with beyond its size.
#[derive(Clone, Default)]
pub struct Setup {
    /// The keyring's key and signature request fee, in the chain's denom (none when 0): paid
    /// by the requester, paid out to the answering parties when a request is fulfilled.
    pub fee: u128,
    /// Changes to the connectors' configuration (a test's fault); none: an operator's defaults.
    pub configure: Option<fn(&mut Config)>,
    /// The keyring's party threshold, if not the test binary's usual one.
    pub threshold: Option<u32>,
    /// A party that reads (gRPC: queries, simulations, broadcasts) from a second node, a
    /// [`Follower`] the test can cut off, while it follows the validator's events like the others.
    pub reads_from_follower: Option<usize>,
    /// A party that reaches gRPC over TLS: `grpc_url = "https://..."` of a [`TlsProxy`] in front
    /// of the gRPC relay, whose private CA it trusts through `grpc_ca_file`.
    pub grpc_over_tls: Option<usize>,
    /// A party that reads its share-store passphrase from a file (`shares_secret_file`, with a
    /// trailing newline, as `echo` writes it) instead of the environment.
    pub secret_in_file: Option<usize>,
    /// A party whose MPC messages reach the others this late (a slow link): it dials each of
    /// them through a [`TcpRelay`] with that latency.
    pub slow_outbound: Option<(usize, Duration)>,
    /// A party whose connector computes payload digests differently (a patched party, not a
    /// production switch): its `connector run` is this test binary's
    /// `payloads::patched_connector` entry ([`patched_binary`]). It
    /// reads its share-store secret from a file (a test process's environment is not its own).
    pub patched_digest: Option<usize>,
}

pub struct Federation {
    pub chain: Localnet,
    /// In front of the node's RPC (websocket and HTTP) for every connector (behind each
    /// party's own, [`PartyProcess::rpc_relay`]).
    pub relay: TcpRelay,
    /// In front of the node's gRPC for every connector (behind each party's own).
    pub grpc_relay: TcpRelay,
    /// The slow links one party dials the others through ([`Setup::slow_outbound`]).
    pub slow_links: Vec<TcpRelay>,
    pub contracts: Contracts,
    pub keyring_id: u64,
    pub workspace_id: u64,
    pub parties: Vec<PartyProcess>,
    /// The fee requests pay (`"300stake"`), if any.
    pub fee: Option<String>,
    /// The second node one party reads from ([`Setup::reads_from_follower`]).
    pub follower: Option<Follower>,
    /// The TLS proxy one party reaches gRPC through ([`Setup::grpc_over_tls`]).
    pub tls_proxy: Option<TlsProxy>,
}

/// One party's connector process and what it was configured with.
pub struct PartyProcess {
    pub name: String,
    pub address: String,
    /// What runs its `connector run`: the connector, or a patched party's entry
    /// ([`Setup::patched_digest`]).
    binary: PathBuf,
    pub config_path: PathBuf,
    pub telemetry: SocketAddr,
    pub log_path: PathBuf,
    /// In front of the federation's RPC relay for this party only: cut, its node is gone for
    /// it alone.
    pub rpc_relay: TcpRelay,
    /// In front of the federation's gRPC relay for this party only.
    pub grpc_relay: TcpRelay,
    /// The share-store passphrase its environment carries (none when it reads it from a file).
    secret: Option<String>,
    child: Option<Child>,
}

/// A request's end, as the requester saw it.
pub struct Finished {
    pub request: SignatureRequestResponse,
    /// From the transaction that made it `pending` being seen in a block to `fulfilled` seen.
    pub seconds: f64,
}

impl Federation {
    /// Starts the chain, deploys and sets up the contracts, and starts `parties` connector
    /// processes whose stores live under `data_dir` (ECDSA primes and aux info there are reused
    /// across runs, as the devnet does), with the fee and configuration `setup` says.
    pub fn start_with(
        data_dir: &Path,
        parties: usize,
        threshold: u32,
        setup: &Setup,
    ) -> TestResult<Self> {
        let fee: Vec<cosmwasm_std::Coin> = match setup.fee {
            0 => vec![],
            amount => vec![cosmwasm_std::coin(amount, DENOM)],
        };
        let names: Vec<String> = (0..parties).map(party_name).collect();
        let mut accounts = vec![ADMIN, REQUESTER, APPROVER];
        accounts.extend(names.iter().map(String::as_str));
        let chain = Localnet::start(&accounts).map_err(err("localnet"))?;
        let relay = TcpRelay::start(chain.rpc_address()).map_err(err("relay"))?;
        let grpc_address = chain
            .grpc_url()
            .trim_start_matches("http://")
            .parse()
            .map_err(|e| format!("gRPC address: {e}"))?;
        let grpc_relay = TcpRelay::start(grpc_address).map_err(err("gRPC relay"))?;
        let tls_proxy = match setup.grpc_over_tls {
            Some(_) => Some(TlsProxy::start(grpc_relay.address()).map_err(err("TLS proxy"))?),
            None => None,
        };
        let contracts = deploy(&chain, &artifacts_dir())?;
        let follower = match setup.reads_from_follower {
            Some(_) => Some(chain.start_follower().map_err(err("follower node"))?),
            None => None,
        };
        let party_addresses: Vec<String> = names
            .iter()
            .map(|n| chain.account(n).map(|a| a.address.clone()))
            .collect::<Result<_, _>>()
            .map_err(err("accounts"))?;

        let keyring_id = create_keyring(
            &chain,
            ADMIN,
            &contracts.keyring,
            party_addresses.clone(),
            threshold,
            fee.clone(),
        )?;
        let requester = address(&chain, REQUESTER)?;
        let approver = address(&chain, APPROVER)?;
        let created = chain
            .execute(
                REQUESTER,
                &contracts.workspace,
                &WorkspaceExecute::CreateWorkspace {
                    additional_owners: vec![approver.clone()],
                    admin_policy: None,
                    sign_policy: Some(Policy::AnyOf {
                        threshold: 2,
                        of: vec![Policy::Approver(requester), Policy::Approver(approver)],
                    }),
                    alias: Some("localnet".into()),
                },
                None,
            )
            .map_err(err("create workspace"))?;
        let workspace_id = event_id(
            &created,
            events::WORKSPACE_EVENT,
            events::attr::WORKSPACE_ID,
        )?;

        let run_dir = prepare_data_dir(data_dir, parties)?;
        let mut federation = Self {
            chain,
            relay,
            grpc_relay,
            slow_links: Vec::new(),
            contracts,
            keyring_id,
            workspace_id,
            parties: Vec::new(),
            fee: fee.first().map(|c| c.to_string()),
            follower,
            tls_proxy,
        };
        federation.configure_parties(&run_dir, &party_addresses, setup)?;
        for i in 0..parties {
            federation.start_party(i)?;
        }
        for i in 0..parties {
            federation.wait_connected(i, READY_TIMEOUT)?;
        }
        Ok(federation)
    }

    /// Writes each party's keys and TOML as `connector keys` and an operator would.
    fn configure_parties(
        &mut self,
        run_dir: &Path,
        addresses: &[String],
        setup: &Setup,
    ) -> TestResult<()> {
        let federation = connectors::Federation::new(addresses)?;
        let deployment = Deployment {
            keyring_id: self.keyring_id,
            contracts: self.contracts.clone(),
            cosmos: self.cosmos_config(true)?,
        };
        for (i, address) in addresses.iter().enumerate() {
            let name = party_name(i);
            let dir = run_dir.join(&name);
            let account = self.chain.account(&name).map_err(err("account"))?;
            let mut config =
                federation.party_config(i, &dir, &account.private_key_hex, &deployment)?;
            let telemetry = config.telemetry.listen;
            // Each party reaches the node through relays of its own (chaos cuts one party off),
            // chained in front of the shared ones (tests cut every party off at once).
            let rpc_relay = TcpRelay::start(self.relay.address()).map_err(err("relay"))?;
            let grpc_relay = TcpRelay::start(self.grpc_relay.address()).map_err(err("relay"))?;
            config.chain.cosmos = self.chain_config(rpc_relay.address(), grpc_relay.address())?;
            config.mpc.peers = self.peers_seen_by(i, &config.mpc.peers, setup)?;
            if let (Some(reader), Some(follower)) = (setup.reads_from_follower, &self.follower) {
                if reader == i {
                    config.chain.cosmos.grpc_url = follower.grpc_url();
                }
            }
            if let (Some(party), Some(proxy)) = (setup.grpc_over_tls, &self.tls_proxy) {
                if party == i {
                    let ca_file = dir.join("grpc-ca.pem");
                    std::fs::write(&ca_file, proxy.ca_pem())
                        .map_err(|e| format!("{}: {e}", ca_file.display()))?;
                    config.chain.cosmos.grpc_url = format!("https://{}", proxy.address());
                    config.chain.cosmos.grpc_ca_file = Some(ca_file);
                }
            }
            let patched = setup.patched_digest == Some(i);
            if setup.secret_in_file == Some(i) || patched {
                let secret_file = dir.join("shares.secret");
                let secret = String::from_utf8(operator_secret(i)).expect("UTF-8 secret");
                write_key(&secret_file, &secret)?;
                config.party.shares_secret_env = None;
                config.party.shares_secret_file = Some(secret_file);
            }
            if let Some(configure) = setup.configure {
                configure(&mut config);
            }
            let config_path = dir.join("connector.toml");
            connectors::write_config(&config_path, &config)?;
            let binary = match patched {
                true => patched_binary(&dir)?,
                false => PathBuf::from(env!("CARGO_BIN_EXE_connector")),
            };
            self.parties.push(PartyProcess {
                name,
                address: address.clone(),
                binary,
                config_path,
                telemetry,
                log_path: dir.join("connector.log"),
                rpc_relay,
                grpc_relay,
                secret: config
                    .party
                    .shares_secret_env
                    .is_some()
                    .then(|| String::from_utf8(operator_secret(i)).expect("UTF-8 secret")),
                child: None,
            });
        }
        Ok(())
    }

    /// The peers as party `i` dials them: through slow links if it is [`Setup::slow_outbound`].
    fn peers_seen_by(
        &mut self,
        i: usize,
        peers: &[mpc_connector::config::Peer],
        setup: &Setup,
    ) -> TestResult<Vec<mpc_connector::config::Peer>> {
        let mut seen = peers.to_vec();
        if let Some((_, latency)) = setup.slow_outbound.filter(|(slow, _)| *slow == i) {
            for peer in seen.iter_mut().filter(|p| p.index as usize != i) {
                let target = peer.address.parse().map_err(|e| format!("{e}"))?;
                let link = TcpRelay::with_latency(target, latency).map_err(err("slow link"))?;
                peer.address = link.address().to_string();
                self.slow_links.push(link);
            }
        }
        Ok(seen)
    }

    /// How a client reaches this chain: the connectors through the relay, others directly.
    /// Only what an operator must write; every other setting (gas multiplier and cap, timeouts)
    /// is the connector's default.
    pub fn cosmos_config(&self, through_relay: bool) -> TestResult<CosmosConfig> {
        if through_relay {
            self.chain_config(self.relay.address(), self.grpc_relay.address())
        } else {
            connectors::cosmos_config(
                self.chain.chain_id(),
                &self.chain.rpc_url(),
                &self.chain.grpc_url(),
            )
        }
    }

    /// A connector's chain section reaching the node's RPC and gRPC at these addresses.
    fn chain_config(&self, rpc: SocketAddr, grpc: SocketAddr) -> TestResult<CosmosConfig> {
        connectors::cosmos_config(
            self.chain.chain_id(),
            &format!("http://{rpc}"),
            &format!("http://{grpc}"),
        )
    }

    /// Starts party `i`'s `connector run` (again, after a kill: same config, store and shares).
    pub fn start_party(&mut self, i: usize) -> TestResult<()> {
        let child = self.spawn_connector(i, &self.parties[i].log_path)?;
        self.parties[i].child = Some(child);
        Ok(())
    }

    /// A `connector run` of party `i` whose output goes to `log`.
    fn spawn_connector(&self, i: usize, log: &Path) -> TestResult<Child> {
        let party = &self.parties[i];
        Launch {
            binary: &party.binary,
            config: &party.config_path,
            log,
            secret: party.secret.as_deref(),
            rust_log: Some("info,mpc_connector::chain::cosmos::sender=debug"),
            own_group: false,
        }
        .spawn()
        .map_err(|e| format!("{}'s connector: {e}", party.name))
    }

    /// Starts a second `connector run` of party `i` (an operator's mistake) and returns how it
    /// ended and what it printed; it must end by itself within `timeout`.
    pub fn second_instance(&self, i: usize, timeout: Duration) -> TestResult<(ExitStatus, String)> {
        let log = self.parties[i].log_path.with_extension("second.log");
        let mut child = self.spawn_connector(i, &log)?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                return Ok((status, std::fs::read_to_string(&log).unwrap_or_default()));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!(
                    "a second connector of {} kept running:\n{}",
                    self.parties[i].name,
                    tail(&log, 20)
                ));
            }
            std::thread::sleep(POLL);
        }
    }

    /// SIGTERM, as a service manager stops a daemon: returns how the process ended.
    pub fn terminate_party(&mut self, i: usize, timeout: Duration) -> TestResult<ExitStatus> {
        self.signal_party(i, "-TERM")?;
        self.wait_exit(i, timeout)
    }

    /// Waits until party `i`'s process, sent a signal, has exited: returns how it ended.
    pub fn wait_exit(&mut self, i: usize, timeout: Duration) -> TestResult<ExitStatus> {
        let party = &mut self.parties[i];
        let mut child = party.child.take().ok_or("the party is not running")?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!("{} did not stop within {timeout:?}", party.name));
            }
            std::thread::sleep(POLL);
        }
    }

    /// SIGSTOP (`pause: true`) or SIGCONT: a party that stops answering while its process and
    /// its TCP connections stay up (a stalled VM, a debugger), and comes back.
    pub fn pause_party(&mut self, i: usize, pause: bool) -> TestResult<()> {
        self.signal_party(i, if pause { "-STOP" } else { "-CONT" })
    }

    /// Sends `signal` (`-TERM`, `-KILL`, ...) to party `i`'s process; needs only a shared
    /// borrow, so it can be timed against work on another thread.
    pub fn signal_party(&self, i: usize, signal: &str) -> TestResult<()> {
        let child = self.parties[i]
            .child
            .as_ref()
            .ok_or("the party is not running")?;
        let sent = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()
            .map_err(|e| format!("kill {signal}: {e}"))?;
        check_status(sent, &format!("kill {signal}"))
    }

    /// What `connector status --config` prints for party `i` (from its store, or from the
    /// running connector's `/status` page while it runs).
    pub fn status(&self, i: usize) -> TestResult<String> {
        let output = Command::new(env!("CARGO_BIN_EXE_connector"))
            .arg("status")
            .arg("--config")
            .arg(&self.parties[i].config_path)
            .args(["--limit", "1000"])
            .output()
            .map_err(|e| format!("connector status: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "connector status failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `connector <args> --config <party i's TOML>` as its operator runs it (the share secret in
    /// the environment): what it printed, or, when it failed, what it said.
    pub fn operator_command(&self, i: usize, args: &[&str]) -> Result<String, String> {
        let party = &self.parties[i];
        let mut command = Command::new(env!("CARGO_BIN_EXE_connector"));
        command.args(args).arg("--config").arg(&party.config_path);
        if let Some(secret) = &party.secret {
            command.env(connectors::SHARES_SECRET_ENV, secret);
        }
        let output = command
            .output()
            .map_err(|e| format!("connector {}: {e}", args.join(" ")))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// GET `path` on party `i`'s telemetry listener: the HTTP status and the body, whatever the
    /// status (`/readyz` answers 503 with a body).
    pub fn probe(&self, i: usize, path: &str) -> TestResult<(u16, String)> {
        use std::io::{Read, Write};
        let addr = self.parties[i].telemetry;
        let context = |e: std::io::Error| format!("GET http://{addr}{path}: {e}");
        let mut stream =
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(context)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(context)?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").map_err(context)?;
        let mut response = String::new();
        stream.read_to_string(&mut response).map_err(context)?;
        let status = response
            .get(9..12)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("GET http://{addr}{path}: not HTTP: {response}"))?;
        let body = response
            .split_once("\r\n\r\n")
            .map_or("", |(_, body)| body)
            .to_string();
        Ok((status, body))
    }

    /// SIGKILL: no shutdown path runs, as in a crash or an OOM kill.
    pub fn kill_party(&mut self, i: usize) {
        if let Some(mut child) = self.parties[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits until party `i`'s `/healthz` says its event source is subscribed.
    pub fn wait_connected(&mut self, i: usize, timeout: Duration) -> TestResult<()> {
        let what = format!("{} to be connected", self.parties[i].name);
        self.wait(&what, timeout, |f| Ok(f.healthy(i)?.then_some(())))
    }

    /// Waits until party `i`'s `/healthz` says it lost the chain.
    pub fn wait_disconnected(&mut self, i: usize, timeout: Duration) -> TestResult<()> {
        let what = format!("{} to notice it is cut off", self.parties[i].name);
        self.wait(&what, timeout, |f| Ok((!f.healthy(i)?).then_some(())))
    }

    /// Whether party `i` reports itself connected; an exited process is an error.
    fn healthy(&mut self, i: usize) -> TestResult<bool> {
        let party = &mut self.parties[i];
        if let Some(child) = party.child.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "{}'s connector exited ({status}); its log:\n{}",
                    party.name,
                    tail(&party.log_path, 40)
                ));
            }
        }
        Ok(http_get(party.telemetry, "/healthz").is_ok())
    }

    /// Sum of a connector counter over the series whose labels contain `labels` (e.g.
    /// `kind="sign"`), from party `i`'s `/metrics`.
    pub fn counter(&self, i: usize, name: &str, labels: &str) -> TestResult<u64> {
        let page = http_get(self.parties[i].telemetry, "/metrics").map_err(err("metrics"))?;
        let metric = format!("mpc_connector_{name}");
        Ok(page
            .lines()
            .filter(|l| {
                l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} "))
            })
            .filter(|l| l.contains(labels))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64)
    }

    /// Transactions each party's account has had included so far.
    pub fn party_sequences(&self) -> TestResult<Vec<u64>> {
        self.parties
            .iter()
            .map(|p| {
                self.chain
                    .account_sequence(&p.address)
                    .map_err(err("sequence"))
            })
            .collect()
    }

    /// The requester asks for a key; waits until the parties' DKG answers fulfil it.
    pub fn request_key(&mut self, key_type: KeyType) -> TestResult<DevnetKey> {
        let workspace_id = self.workspace_id;
        Ok(self.request_key_in(workspace_id, key_type)?.0)
    }

    /// The requester asks for a key of `workspace_id`; waits until it is fulfilled and returns
    /// it with the fulfilled request (its answers, in the order they executed).
    pub fn request_key_in(
        &mut self,
        workspace_id: u64,
        key_type: KeyType,
    ) -> TestResult<(DevnetKey, KeyRequestResponse)> {
        let request_id = self.submit_key_request(workspace_id, key_type)?;
        let request: KeyRequestResponse =
            self.wait(&format!("key request {request_id}"), REQUEST_TIMEOUT, |f| {
                let r = f.key_request(request_id)?;
                Ok(r.status.is_final().then_some(r))
            })?;
        Ok((self.key_of(&request)?, request))
    }

    /// The requester asks for a key of `workspace_id`; returns the request id at once.
    pub fn submit_key_request(&self, workspace_id: u64, key_type: KeyType) -> TestResult<u64> {
        let msg = key_request_msg(workspace_id, self.keyring_id, key_type);
        let keyring = &self.contracts.keyring;
        Ok(self.request(keyring, &msg, events::KEY_REQUEST_EVENT)?.0)
    }

    /// The key request as of now.
    pub fn key_request(&self, request_id: u64) -> TestResult<KeyRequestResponse> {
        self.chain
            .query_smart(
                &self.contracts.keyring,
                &KeyringQuery::KeyRequest { request_id },
            )
            .map_err(err("key request"))
    }

    /// The key a key request made; an error when the request ended otherwise.
    pub fn key_of(&self, request: &KeyRequestResponse) -> TestResult<DevnetKey> {
        if request.status != KeyRequestStatus::Fulfilled {
            return Err(format!(
                "key request {} ended {:?}: {:?}",
                request.id, request.status, request.reject_reason
            ));
        }
        let key_id = request.key_id.ok_or("fulfilled without a key id")?;
        let key: KeyResponse = self
            .chain
            .query_smart(&self.contracts.keyring, &KeyringQuery::Key { key_id })
            .map_err(err("key"))?;
        let addresses = self
            .chain
            .query_smart(
                &self.contracts.keyring,
                &KeyringQuery::Addresses {
                    key_id,
                    bech32_prefix: Some(mpc_devnet::COSMOS_PREFIX.into()),
                },
            )
            .map_err(err("addresses"))?;
        Ok(DevnetKey {
            key_id,
            key_type: request.key_type,
            public_key: key.public_key.to_vec(),
            addresses,
        })
    }

    /// The requester asks for one signature per message; returns the request id and the
    /// transaction (the request is `partial` as of its block).
    pub fn request_signature(
        &self,
        key: &DevnetKey,
        messages: &[&[u8]],
    ) -> TestResult<(u64, TxOutcome)> {
        let msg = signature_request_msg(key, messages);
        let contract = &self.contracts.signature_requests;
        self.request(contract, &msg, events::SIGNATURE_REQUEST_EVENT)
    }

    /// The requester asks for a signature of each payload (the chain hashes them); returns the
    /// request id and the transaction (the request is `partial` as of its block).
    pub fn request_payload_signature(
        &self,
        key: &DevnetKey,
        payloads: Vec<Payload>,
    ) -> TestResult<(u64, TxOutcome)> {
        let msg = SignatureExecute::request_payload_signature(key.key_id, payloads);
        let contract = &self.contracts.signature_requests;
        self.request(contract, &msg, events::SIGNATURE_REQUEST_EVENT)
    }

    /// The requester executes `msg`, paying the fee; returns the request id its `event` names,
    /// and the tx.
    fn request(
        &self,
        contract: &str,
        msg: &impl serde::Serialize,
        event: &str,
    ) -> TestResult<(u64, TxOutcome)> {
        self.execute_for_id(REQUESTER, contract, msg, event)
    }

    /// `from` executes `msg` on `contract`, paying the fee (the message makes a request,
    /// directly or through a contract); returns the request id its `event` names, and the tx.
    pub fn execute_for_id(
        &self,
        from: &str,
        contract: &str,
        msg: &impl serde::Serialize,
        event: &str,
    ) -> TestResult<(u64, TxOutcome)> {
        let committed = self
            .chain
            .execute(from, contract, msg, self.fee.as_deref())
            .map_err(err(event))?;
        let id = event_id(&committed, event, events::attr::REQUEST_ID)?;
        Ok((id, committed))
    }

    /// The approver approves `request_id`: the request turns `pending` as of this block.
    pub fn approve(&self, request_id: u64) -> TestResult<TxOutcome> {
        self.chain
            .execute(
                APPROVER,
                &self.contracts.signature_requests,
                &SignatureExecute::Approve { request_id },
                None,
            )
            .map_err(err("approve"))
    }

    /// The request as of block `height` (or now).
    pub fn signature_request(
        &self,
        request_id: u64,
        height: Option<u64>,
    ) -> TestResult<SignatureRequestResponse> {
        let query = SignatureQuery::Request { request_id };
        let contract = &self.contracts.signature_requests;
        match height {
            Some(h) => self.chain.query_smart_at(contract, &query, h),
            None => self.chain.query_smart(contract, &query),
        }
        .map_err(err("signature request"))
    }

    /// Waits until the request is final; `since` is when its `pending` block was seen.
    pub fn wait_final(&mut self, request_id: u64, since: Instant) -> TestResult<Finished> {
        let request = self.wait(
            &format!("signature request {request_id}"),
            REQUEST_TIMEOUT,
            |f| {
                let r = f.signature_request(request_id, None)?;
                Ok(r.status.is_final().then_some(r))
            },
        )?;
        Ok(Finished {
            request,
            seconds: since.elapsed().as_secs_f64(),
        })
    }

    /// Each party's transaction count once it has stopped moving for a few blocks (late
    /// answers to an earlier request land first).
    pub fn settled_sequences(&self) -> TestResult<Vec<u64>> {
        let mut last = self.party_sequences()?;
        for _ in 0..20 {
            let height = self.chain.height().map_err(err("height"))?;
            self.chain
                .wait_for_height(height + 3)
                .map_err(err("blocks"))?;
            let now = self.party_sequences()?;
            if now == last {
                return Ok(now);
            }
            last = now;
        }
        Err(format!("the parties keep sending transactions: {last:?}"))
    }

    /// Polls `check` until it yields; a connector that exits fails the wait with its log.
    pub fn wait<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&mut Self) -> TestResult<Option<T>>,
    ) -> TestResult<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(done) = check(self)? {
                return Ok(done);
            }
            for party in &mut self.parties {
                if let Some(Ok(Some(status))) = party.child.as_mut().map(Child::try_wait) {
                    return Err(format!(
                        "waiting for {what}: {}'s connector exited ({status}); its log:\n{}",
                        party.name,
                        tail(&party.log_path, 40)
                    ));
                }
            }
            if Instant::now() > deadline {
                return Err(format!("timed out after {timeout:?} waiting for {what}"));
            }
            std::thread::sleep(POLL);
        }
    }

    /// The signature requests a transaction made (`execute_batch` of request calls), by id.
    pub fn signature_request_ids(outcome: &TxOutcome) -> Vec<u64> {
        outcome
            .events_of(&format!("wasm-{}", events::SIGNATURE_REQUEST_EVENT))
            .filter_map(|e| e.attribute(events::attr::REQUEST_ID)?.parse().ok())
            .collect::<std::collections::BTreeSet<u64>>()
            .into_iter()
            .collect()
    }

    /// Executes `calls` as account `from` in one transaction, through the connector's own chain
    /// client (the wasmd CLI sends one message per transaction); returns the committed tx.
    pub fn execute_batch(&self, from: &str, calls: Vec<ContractCall>) -> TestResult<TxOutcome> {
        let account = self.chain.account(from).map_err(err("account"))?;
        let secret: [u8; 32] = hex::decode(&account.private_key_hex)
            .map_err(|e| e.to_string())?
            .try_into()
            .map_err(|_| "a 32-byte account key".to_string())?;
        let config = self.cosmos_config(false)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let sent = runtime.block_on(async {
            let client = CosmosChain::connect(&config, secret).await?;
            client.execute(calls).await
        });
        let sent = sent.map_err(|e| format!("{from}'s batch: {e}"))?;
        self.chain.tx(&sent.tx_hash).map_err(err("batch tx"))
    }

    /// A signature request's call (one message, paying the fee), for [`Self::execute_batch`].
    pub fn signature_request_call(
        &self,
        key: &DevnetKey,
        message: &[u8],
    ) -> TestResult<ContractCall> {
        let mut call = ContractCall::new(
            &self.contracts.signature_requests,
            &signature_request_msg(key, &[message]),
        )
        .map_err(|e| e.to_string())?;
        call.funds = self
            .fee
            .as_deref()
            .map(|fee| fee.parse::<cosmwasm_std::Coin>().map_err(|e| e.to_string()))
            .transpose()?
            .into_iter()
            .collect();
        Ok(call)
    }

    /// The approver's approval of `request_id`, for [`Self::execute_batch`].
    pub fn approve_call(&self, request_id: u64) -> TestResult<ContractCall> {
        ContractCall::new(
            &self.contracts.signature_requests,
            &SignatureExecute::Approve { request_id },
        )
        .map_err(|e| e.to_string())
    }

    /// The connectors' logs, for a failing test's output.
    pub fn logs(&self) -> String {
        self.parties
            .iter()
            .map(|p| format!("--- {} ---\n{}", p.name, tail(&p.log_path, 30)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Federation {
    fn drop(&mut self) {
        for i in 0..self.parties.len() {
            self.kill_party(i);
        }
    }
}

/// One party's transactions between two account sequences.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sent {
    pub sent: u64,
    /// Included but refused (an answer that came after the request was final).
    pub refused: u64,
    /// Gas used by all of them, refused ones too.
    pub gas_used: u64,
}

/// Between `before` and `after` (account sequences), no party submitted twice: every
/// transaction it sent was executed, except at most one per request it did not answer (an
/// answer that came after the others completed it is refused) plus `extra` others; and it sent
/// no more transactions than answers (several answers may share one transaction). `answered`
/// holds each request's answering parties (addresses). Returns what each party sent.
pub fn check_answers_sent(
    f: &Federation,
    answered: &[Vec<String>],
    before: &[u64],
    after: &[u64],
    extra: u64,
) -> TestResult<Vec<Sent>> {
    let mut all = Vec::new();
    for (i, party) in f.parties.iter().enumerate() {
        let answers = answered
            .iter()
            .filter(|by| by.contains(&party.address))
            .count() as u64;
        let unanswered = answered.len() as u64 - answers;
        let mut sent = Sent {
            sent: after[i] - before[i],
            ..Sent::default()
        };
        for sequence in before[i]..after[i] {
            let result = f
                .chain
                .transaction_result(&party.address, sequence)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{}'s transaction {sequence} is not found", party.name))?;
            sent.refused += u64::from(result.code != 0);
            sent.gas_used += result.gas_used;
        }
        check(
            sent.refused <= unanswered && sent.sent <= answers + unanswered + extra,
            &format!(
                "{} sent {} transactions ({} refused) for {answers} answers on chain \
                 ({unanswered} requests it did not answer, {extra} other transactions)",
                party.name, sent.sent, sent.refused
            ),
        )?;
        all.push(sent);
    }
    Ok(all)
}

pub fn check(condition: bool, what: &str) -> TestResult<()> {
    condition
        .then_some(())
        .ok_or_else(|| format!("failed: {what}"))
}

pub fn check_eq<T: PartialEq + std::fmt::Debug>(got: T, want: T, what: &str) -> TestResult<()> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// A contract the tests deploy besides the three (`tests/artifacts/`).
pub fn test_artifact(name: &str) -> TestResult<PathBuf> {
    artifact(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/artifacts"),
        name,
    )
}

fn address(chain: &Localnet, name: &str) -> TestResult<String> {
    Ok(chain.account(name).map_err(err("account"))?.address.clone())
}

fn check_status(status: ExitStatus, what: &str) -> TestResult<()> {
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("{what} failed: {status}"))
}

/// Where the patched party's `connector run --config` finds its configuration.
pub const PATCHED_CONFIG_ENV: &str = "MPC_LOCALNET_PATCHED_CONNECTOR_CONFIG";

/// Writes the patched party's `connector` into `dir`: a script that takes `run --config FILE`
/// as the connector does and runs this test binary's `payloads::patched_connector` entry with
/// it ([`Setup::patched_digest`]).
pub fn patched_binary(dir: &Path) -> TestResult<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| format!("the test binary: {e}"))?;
    let script = format!(
        "#!/bin/sh\n\
         # `connector run --config FILE` of a party that computes payload digests differently.\n\
         [ \"$1\" = run ] && [ \"$2\" = --config ] || {{ echo \"usage: $0 run --config FILE\" >&2; exit 2; }}\n\
         exec env {PATCHED_CONFIG_ENV}=\"$3\" '{}' payloads::patched_connector --exact --nocapture --test-threads=1\n",
        exe.display()
    );
    let path = dir.join("patched-connector.sh");
    std::fs::write(&path, script).map_err(|e| format!("{}: {e}", path.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}
