//! The devnet: in one process, the embedded chain, N connectors talking MPC over real loopback
//! TCP, and a scripted walk through the seed's process (used by the `devnet` binary, the tests
//! and the bench). A crate of its own, so the operator's daemon (`connector`) does not link the
//! contracts and cw-multi-test:
//! a workspace with two owners and a 2-of-2 sign policy, a keyring of the N parties, a key
//! request answered by DKG, then signature requests that wait `partial` until the second owner
//! approves, turn `pending`, are signed by the parties, each answering from its own account,
//! and end `fulfilled`; each signature is checked against the key.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmwasm_std::Binary;
use mpc_interfaces::keyring::{
    AddressesResponse, ExecuteMsg as KeyringExecute, KeyRequestResponse, KeyRequestStatus,
    KeyResponse, QueryMsg as KeyringQuery,
};
use mpc_interfaces::signature_requests::{
    ExecuteMsg as SignatureExecute, Payload, QueryMsg as SignatureQuery, SignRequestStatus,
    SignResult, SignatureRequestResponse,
};
use mpc_interfaces::workspace::ExecuteMsg as WorkspaceExecute;
use mpc_interfaces::{events, HashKind, KeyType, Policy};
use mpc_party::PartyIndex;
use sha2::{Digest, Sha256};

use mpc_connector::backoff::Backoff;
use mpc_connector::chain::{query, Chain, ChainError, ContractCall};
use mpc_connector::config::Contracts;
use mpc_connector::connector::{self, Running, Settings};
use mpc_connector::mpc::party::{EngineConfig, PartyEngine, ECDSA_AUX_PREFIX, KEY_PREFIXES};
use mpc_connector::mpc::{recovery_ids, verify};
use mpc_connector::request::RequestRef;
use mpc_connector::store::{ProgressStore, Record};
use mpc_connector::telemetry::Metrics;
use mpc_connector::worker::submit::SubmitterSettings;
use mpc_connector::worker::WorkerSettings;

pub mod embedded;

use embedded::{ContractAddresses, EmbeddedChain, EmbeddedConfig, EmbeddedHandle, MessageCount};

#[derive(thiserror::Error, Debug)]
pub enum DevnetError {
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    #[error("{0}")]
    Setup(String),
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
    #[error("{0}")]
    Check(String),
}

/// Devnet settings.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    pub parties: usize,
    pub threshold: u32,
    pub block_time: Duration,
    /// Where stores and shares go (a temporary directory by default).
    pub data_dir: PathBuf,
    /// Longest wait for one request to end.
    pub request_timeout: Duration,
    /// Longest wait for one MPC protocol step.
    pub mpc_timeout: Duration,
    /// How the first run's Paillier primes show their progress (lines through `progress`, or
    /// spinners when a person watches a terminal).
    pub display: mpc_connector::progress::Display,
}

impl DevnetOptions {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            parties: 3,
            threshold: 2,
            block_time: Duration::from_millis(100),
            data_dir,
            request_timeout: Duration::from_secs(180),
            mpc_timeout: Duration::from_secs(20),
            display: mpc_connector::progress::Display::Lines,
        }
    }
}

/// One party of the devnet: its account, its MPC identity and (while up) its connector.
pub struct PartyNode {
    pub name: String,
    pub index: PartyIndex,
    pub handle: EmbeddedHandle,
    pub listen: SocketAddr,
    noise_private: [u8; 32],
    connector: Option<Running>,
}

/// A running devnet.
pub struct Devnet {
    pub options: DevnetOptions,
    pub chain: EmbeddedChain,
    pub contracts: ContractAddresses,
    pub admin: EmbeddedHandle,
    /// The two workspace owners: the first requests, the second approves.
    pub owners: [EmbeddedHandle; 2],
    pub parties: Vec<PartyNode>,
    pub workspace_id: u64,
    pub keyring_id: u64,
    peers: Vec<(PartyIndex, String, [u8; 32])>,
}

/// A key the devnet made.
#[derive(Clone, Debug)]
pub struct DevnetKey {
    pub key_id: u64,
    pub key_type: KeyType,
    pub public_key: Vec<u8>,
    /// What the key controls on other chains, as the keyring answers (Cosmos with
    /// [`COSMOS_PREFIX`]).
    pub addresses: AddressesResponse,
}

/// The bech32 prefix of the Cosmos address the devnet shows for a key (the Cosmos Hub's).
pub const COSMOS_PREFIX: &str = "cosmos";

/// The result of one signature request, as the requester sees it.
#[derive(Clone, Debug)]
pub struct SignOutcome {
    pub request: SignatureRequestResponse,
    /// From `pending` (second approval committed) to `fulfilled` seen.
    pub latency: Duration,
}

impl Devnet {
    /// Starts the chain, sets up the keyring and the workspace, and starts every connector.
    pub async fn start(
        options: DevnetOptions,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Self, DevnetError> {
        if options.parties < 2 {
            return Err(DevnetError::Setup("--parties must be at least 2".into()));
        }
        if options.threshold < 2 || options.threshold as usize > options.parties {
            return Err(DevnetError::Setup(format!(
                "--threshold must be between 2 and --parties ({})",
                options.parties
            )));
        }
        let chain = EmbeddedChain::start(EmbeddedConfig {
            block_time: options.block_time,
            ..EmbeddedConfig::default()
        })?;
        let contracts = chain.contracts().clone();
        progress(&format!(
            "chain up: workspace {}, keyring {}, signature-requests {}",
            short(&contracts.workspace),
            short(&contracts.keyring),
            short(&contracts.signature_requests)
        ));
        let admin = chain.handle("keyring-admin").await?;
        let owners = [chain.handle("alice").await?, chain.handle("bob").await?];

        // Every party's MPC listener is bound first, so each knows the others' addresses.
        let mut parties = Vec::new();
        let mut peers = Vec::new();
        for i in 0..options.parties {
            let name = party_name(i);
            // Outside the ephemeral range: the parties' own connections cannot take it
            // before the listener binds it, or when a party restarts.
            let listen = mpc_party::transport::ports::free_loopback_address()
                .map_err(|e| DevnetError::Setup(format!("a port for {name}: {e}")))?;
            let (noise_private, noise_public) =
                mpc_party::transport::tcp::generate_static_keypair();
            let handle = chain.handle(&name).await?;
            peers.push((i as PartyIndex, listen.to_string(), noise_public));
            parties.push(PartyNode {
                name,
                index: i as PartyIndex,
                handle,
                listen,
                noise_private,
                connector: None,
            });
        }

        let keyring_id = execute_for_id(
            &admin,
            &contracts.keyring,
            &KeyringExecute::CreateKeyring {
                description: "devnet federation".into(),
                parties: parties
                    .iter()
                    .map(|p| p.handle.account().to_string())
                    .collect(),
                party_threshold: options.threshold,
                key_req_fee: vec![],
                sig_req_fee: vec![],
            },
            events::KEYRING_EVENT,
            events::attr::KEYRING_ID,
        )
        .await?;
        progress(&format!(
            "keyring {keyring_id}: {} parties, threshold {}",
            options.parties, options.threshold
        ));

        let [alice, bob] = &owners;
        let sign_policy = Policy::AnyOf {
            threshold: 2,
            of: vec![
                Policy::Approver(alice.account().to_string()),
                Policy::Approver(bob.account().to_string()),
            ],
        };
        let workspace_id = execute_for_id(
            alice,
            &contracts.workspace,
            &WorkspaceExecute::CreateWorkspace {
                additional_owners: vec![bob.account().to_string()],
                admin_policy: None,
                sign_policy: Some(sign_policy),
                alias: Some("devnet".into()),
            },
            events::WORKSPACE_EVENT,
            events::attr::WORKSPACE_ID,
        )
        .await?;
        progress(&format!(
            "workspace {workspace_id}: owners alice and bob, sign policy 2-of-2"
        ));

        let mut devnet = Self {
            options,
            chain,
            contracts,
            admin,
            owners,
            parties,
            workspace_id,
            keyring_id,
            peers,
        };
        let mut engines = Vec::new();
        for i in 0..devnet.parties.len() {
            engines.push(devnet.engine(i).await?);
        }
        // ECDSA needs Paillier primes per party, tens of seconds of CPU each: made once, in
        // parallel, before any request (they are kept in the data dir for later runs).
        let mut need_primes = false;
        for engine in &engines {
            need_primes |= !engine
                .has_ecdsa_aux()
                .map_err(|e| DevnetError::Setup(e.to_string()))?;
        }
        if need_primes {
            progress(
                "making ECDSA Paillier primes for every party (once; kept in the data dir; \
                 tens of seconds of CPU each)",
            );
            let jobs = devnet
                .parties
                .iter()
                .zip(&engines)
                .map(|(party, engine)| (party.name.clone(), engine.prepare_ecdsa()))
                .collect();
            mpc_connector::progress::track(
                "Paillier primes",
                jobs,
                devnet.options.display,
                progress,
            )
            .await
            .map_err(|e| DevnetError::Setup(format!("Paillier primes: {e}")))?;
            progress("ECDSA primes ready");
        }
        for (i, engine) in engines.into_iter().enumerate() {
            devnet.start_party_with(i, engine)?;
        }
        progress(&format!(
            "{} connectors running, MPC over loopback TCP",
            devnet.parties.len()
        ));
        Ok(devnet)
    }

    /// Starts (or restarts) party `i`'s connector, with its store and shares from before.
    pub async fn start_party(&mut self, i: usize) -> Result<(), DevnetError> {
        if self.parties[i].connector.is_some() {
            return Ok(());
        }
        let engine = self.engine(i).await?;
        self.start_party_with(i, engine)
    }

    /// Party `i`'s MPC engine: its transport bound, its share store open.
    async fn engine(&self, i: usize) -> Result<PartyEngine, DevnetError> {
        let node = &self.parties[i];
        let dir = self.options.data_dir.join(&node.name);
        PartyEngine::start(EngineConfig {
            me: node.index,
            listen: node.listen,
            noise_private_key: node.noise_private.into(),
            chain_id: DEVNET_CHAIN.to_string(),
            keyring_contract: self.contracts.keyring.clone(),
            keyring_id: self.keyring_id,
            only_peer_addresses: true,
            peers: self.peers.clone(),
            shares_dir: dir.join("shares"),
            share_secret: share_secret(usize::from(node.index))
                .map_err(|e| DevnetError::Setup(e.to_string()))?,
            timeout: self.options.mpc_timeout,
            max_attempts: None,
        })
        .await
        .map_err(|e| DevnetError::Setup(format!("{}: MPC engine: {e}", node.name)))
    }

    fn start_party_with(&mut self, i: usize, engine: PartyEngine) -> Result<(), DevnetError> {
        let node = &self.parties[i];
        let dir = self.options.data_dir.join(&node.name);
        let store = ProgressStore::open(&dir.join("connector.redb"))
            .map_err(|e| DevnetError::Setup(e.to_string()))?;
        let peers: BTreeMap<String, PartyIndex> = self
            .parties
            .iter()
            .map(|p| (p.handle.account().to_string(), p.index))
            .collect();
        let metrics = Metrics::new(&node.name);
        let running = connector::start(connector::Parts {
            chain: Arc::new(node.handle.clone()),
            contracts: self.connector_contracts(),
            keyring_id: self.keyring_id,
            peers,
            engine: Arc::new(engine),
            store: Arc::new(store),
            metrics,
            settings: self.settings(),
        });
        self.parties[i].connector = Some(running);
        Ok(())
    }

    /// Stops party `i`'s connector at once, as a crash would.
    pub async fn stop_party(&mut self, i: usize) {
        if let Some(running) = self.parties[i].connector.take() {
            running.stop().await;
        }
    }

    pub fn metrics(&self, i: usize) -> Option<Arc<Metrics>> {
        self.parties[i]
            .connector
            .as_ref()
            .map(|c| c.metrics.clone())
    }

    /// What party `i`'s running connector has recorded of `request` (`None` when it is stopped
    /// or has not seen the request).
    pub fn progress(&self, i: usize, request: RequestRef) -> Option<Record> {
        let running = self.parties[i].connector.as_ref()?;
        running.store.get(request).ok().flatten()
    }

    fn connector_contracts(&self) -> Contracts {
        Contracts {
            workspace: self.contracts.workspace.clone(),
            keyring: self.contracts.keyring.clone(),
            signature_requests: self.contracts.signature_requests.clone(),
        }
    }

    fn settings(&self) -> Settings {
        Settings {
            worker: WorkerSettings {
                max_concurrent: 64,
                max_concurrent_ecdsa: std::thread::available_parallelism().map_or(2, |n| n.get()),
                poll_interval: self.options.block_time,
                // The embedded chain meters no gas.
                reserve_completion_gas: false,
                retry: Backoff::new(Duration::from_millis(200), Duration::from_secs(2), 2, None),
                payload_digest: mpc_connector::mpc::payload_digest,
            },
            submitter: SubmitterSettings {
                max_batch: 16,
                batch_delay: self.options.block_time / 2,
                backoff: Backoff::new(
                    Duration::from_millis(100),
                    Duration::from_secs(2),
                    2,
                    Some(10),
                ),
            },
            event_backoff: Backoff::new(Duration::from_millis(50), Duration::from_secs(1), 2, None),
            rescan_interval: Duration::from_secs(5),
        }
    }

    /// The first owner asks for a key; waits until the parties' DKG answers fulfil it.
    pub async fn request_key(
        &self,
        key_type: KeyType,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<DevnetKey, DevnetError> {
        let request_id = execute_for_id(
            &self.owners[0],
            &self.contracts.keyring,
            &key_request_msg(self.workspace_id, self.keyring_id, key_type),
            events::KEY_REQUEST_EVENT,
            events::attr::REQUEST_ID,
        )
        .await?;
        progress(&format!(
            "key request {request_id} ({}) pending: parties run DKG",
            key_type.as_str()
        ));
        let request: KeyRequestResponse = self
            .wait_for(&format!("key request {request_id}"), || async {
                let r: KeyRequestResponse = query(
                    &self.owners[0],
                    &self.contracts.keyring,
                    &KeyringQuery::KeyRequest { request_id },
                )
                .await?;
                Ok(r.status.is_final().then_some(r))
            })
            .await?;
        if request.status != KeyRequestStatus::Fulfilled {
            return Err(DevnetError::Check(format!(
                "key request {request_id} ended {} ({:?})",
                request.status.as_str(),
                request.reject_reason
            )));
        }
        let key_id = request
            .key_id
            .ok_or_else(|| DevnetError::Check("fulfilled key request without a key".into()))?;
        let key: KeyResponse = query(
            &self.owners[0],
            &self.contracts.keyring,
            &KeyringQuery::Key { key_id },
        )
        .await?;
        progress(&format!(
            "key request {request_id} fulfilled by {} answers: key {key_id} = {}",
            request.answers.len(),
            hex::encode(key.public_key.as_slice())
        ));
        let addresses: AddressesResponse = query(
            &self.owners[0],
            &self.contracts.keyring,
            &KeyringQuery::Addresses {
                key_id,
                bech32_prefix: Some(COSMOS_PREFIX.into()),
            },
        )
        .await?;
        progress(&format!(
            "key {key_id} controls: {}",
            describe_addresses(&addresses)
        ));
        Ok(DevnetKey {
            key_id,
            key_type,
            public_key: key.public_key.to_vec(),
            addresses,
        })
    }

    /// The first owner asks for an Ethereum personal-message signature of `message`: a payload
    /// request the contract hashes itself (EIP-191), so the approver and the parties see the
    /// message, not a bare hash. Waits `partial` for the second owner, as any request.
    pub async fn request_personal_message(
        &self,
        key: &DevnetKey,
        message: &[u8],
    ) -> Result<u64, DevnetError> {
        execute_for_id(
            &self.owners[0],
            &self.contracts.signature_requests,
            &personal_message_msg(key, message),
            events::SIGNATURE_REQUEST_EVENT,
            events::attr::REQUEST_ID,
        )
        .await
    }

    /// The first owner asks for signatures over `messages` (ECDSA items are their sha256); the
    /// request waits `partial` for the second owner. Returns the request id.
    pub async fn request_signature(
        &self,
        key: &DevnetKey,
        messages: &[Vec<u8>],
    ) -> Result<u64, DevnetError> {
        let messages: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        execute_for_id(
            &self.owners[0],
            &self.contracts.signature_requests,
            &signature_request_msg(key, &messages),
            events::SIGNATURE_REQUEST_EVENT,
            events::attr::REQUEST_ID,
        )
        .await
    }

    /// The second owner approves several requests in one transaction.
    pub async fn approve(&self, request_ids: &[u64]) -> Result<(), DevnetError> {
        let calls = request_ids
            .iter()
            .map(|id| {
                ContractCall::new(
                    &self.contracts.signature_requests,
                    &SignatureExecute::Approve { request_id: *id },
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.owners[1].execute_with_events(calls).await?;
        Ok(())
    }

    pub async fn signature_request(
        &self,
        request_id: u64,
    ) -> Result<SignatureRequestResponse, DevnetError> {
        Ok(query(
            &self.owners[0],
            &self.contracts.signature_requests,
            &SignatureQuery::Request { request_id },
        )
        .await?)
    }

    /// Waits until the request is final; reports each party's answer as it lands.
    pub async fn wait_signed(
        &self,
        request_id: u64,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<SignatureRequestResponse, DevnetError> {
        let reported = std::sync::Mutex::new(0usize);
        let request = self
            .wait_for(&format!("signature request {request_id}"), || async {
                let r: SignatureRequestResponse = query(
                    &self.owners[0],
                    &self.contracts.signature_requests,
                    &SignatureQuery::Request { request_id },
                )
                .await?;
                let mut seen = reported.lock().expect("progress lock");
                for answer in &r.answers[*seen..] {
                    progress(&format!(
                        "signature request {request_id}: {} answered ({}) at height {}",
                        self.party_name(answer.party.as_str()),
                        match answer.result {
                            SignResult::Success { .. } => "signatures",
                            SignResult::Failure { .. } => "failure",
                        },
                        answer.height
                    ));
                }
                *seen = r.answers.len();
                Ok(r.status.is_final().then_some(r))
            })
            .await?;
        Ok(request)
    }

    /// Checks a fulfilled request's signatures against the key: [`verified_signatures`].
    pub fn check_signatures(
        &self,
        key: &DevnetKey,
        request: &SignatureRequestResponse,
    ) -> Result<Vec<Vec<u8>>, DevnetError> {
        verified_signatures(key, request)
    }

    /// Messages each account sent to the contracts (committed and refused).
    pub async fn message_counts(&self) -> Result<Vec<MessageCount>, DevnetError> {
        Ok(self.chain.message_counts().await?)
    }

    pub fn party_name(&self, address: &str) -> String {
        self.parties
            .iter()
            .find(|p| p.handle.account() == address)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| short(address))
    }

    async fn wait_for<T, F, Fut>(&self, what: &str, mut poll: F) -> Result<T, DevnetError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, ChainError>>,
    {
        let deadline = Instant::now() + self.options.request_timeout;
        loop {
            if let Some(done) = poll().await? {
                return Ok(done);
            }
            if Instant::now() > deadline {
                return Err(DevnetError::Timeout(
                    self.options.request_timeout,
                    what.to_string(),
                ));
            }
            tokio::time::sleep(self.options.block_time / 2).await;
        }
    }

    /// Stops every connector, then the chain.
    pub async fn shutdown(mut self) {
        for i in 0..self.parties.len() {
            self.stop_party(i).await;
        }
        self.chain.stop();
    }
}

/// Readies `data_dir/run` for a new devnet: a new chain each run, so the parties' stores and key
/// shares start empty; only the ECDSA primes and aux info of earlier runs are kept (they do not
/// depend on the chain, and primes take tens of seconds to make). Aux info is kept only if every
/// party has it, as the parties must agree on whether to make it.
pub fn prepare_data_dir(data_dir: &std::path::Path, parties: usize) -> Result<PathBuf, String> {
    let run = data_dir.join("run");
    let mut stores = Vec::new();
    for i in 0..parties {
        let dir = run.join(party_name(i));
        let store_file = dir.join("connector.redb");
        if store_file.exists() {
            std::fs::remove_file(&store_file)
                .map_err(|e| format!("{}: {e}", store_file.display()))?;
        }
        let shares = dir.join("shares");
        if shares.exists() {
            let secret = share_secret(i).map_err(|e| e.to_string())?;
            let store = mpc_party::ShareStore::open(&shares, &secret)
                .map_err(|e| format!("{}: {e}", shares.display()))?;
            stores.push(store);
        }
    }
    let list =
        |store: &mpc_party::ShareStore, prefix: &str| store.list(prefix).map_err(|e| e.to_string());
    let mut aux_everywhere = stores.len() == parties;
    for store in &stores {
        aux_everywhere &= !list(store, ECDSA_AUX_PREFIX)?.is_empty();
    }
    for store in &stores {
        let mut stale = Vec::new();
        for prefix in KEY_PREFIXES {
            stale.extend(list(store, prefix)?);
        }
        if !aux_everywhere {
            stale.extend(list(store, ECDSA_AUX_PREFIX)?);
        }
        for id in stale {
            store.delete(&id).map_err(|e| e.to_string())?;
        }
    }
    std::fs::create_dir_all(&run).map_err(|e| format!("{}: {e}", run.display()))?;
    Ok(run)
}

/// Checks that `request` is fulfilled with one signature per item, each verifying against the
/// key (k256 / ed25519-dalek, outside the chain); returns the signatures.
pub fn verified_signatures(
    key: &DevnetKey,
    request: &SignatureRequestResponse,
) -> Result<Vec<Vec<u8>>, DevnetError> {
    if request.status != SignRequestStatus::Fulfilled {
        return Err(DevnetError::Check(format!(
            "signature request {} ended {} ({:?})",
            request.id,
            request.status.as_str(),
            request.reject_reason
        )));
    }
    let signatures = request.signatures.clone().unwrap_or_default();
    if signatures.len() != request.items.len() {
        return Err(DevnetError::Check(format!(
            "request {} has {} signatures for {} items",
            request.id,
            signatures.len(),
            request.items.len()
        )));
    }
    for (item, signature) in request.items.iter().zip(&signatures) {
        if !verify(key.key_type, &key.public_key, item, signature) {
            return Err(DevnetError::Check(format!(
                "request {}: signature {} does not verify against key {}",
                request.id,
                hex::encode(signature.as_slice()),
                key.key_id
            )));
        }
    }
    // ECDSA: the stored recovery ids are the ones that recover the key (what an EVM chain's
    // ecrecover needs); EdDSA: none.
    let expected = recovery_ids(key.key_type, &key.public_key, &request.items, &signatures);
    let stored = match key.key_type {
        KeyType::EcdsaSecp256k1 => request.recovery_ids.clone(),
        KeyType::EddsaEd25519 => request.recovery_ids.clone().or(Some(vec![])),
    };
    if expected.is_none() || stored != expected {
        return Err(DevnetError::Check(format!(
            "request {}: recovery ids {:?} do not recover key {} (expected {expected:?})",
            request.id, request.recovery_ids, key.key_id
        )));
    }
    Ok(signatures.into_iter().map(|s| s.to_vec()).collect())
}

/// The arguments of the devnet and localnet benches, `[requests] [ecdsa|eddsa]` (cargo's own
/// `--bench` flag left out): how many requests (20 unless given), and the key type, if named.
pub fn bench_args() -> (usize, Option<KeyType>) {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let requests = args.first().and_then(|a| a.parse().ok()).unwrap_or(20);
    let key_type = match args.get(1).map(String::as_str) {
        Some("ecdsa") => Some(KeyType::EcdsaSecp256k1),
        Some("eddsa") => Some(KeyType::EddsaEd25519),
        _ => None,
    };
    (requests, key_type)
}

/// Name (and data folder under the run dir) of party `i`.
pub fn party_name(i: usize) -> String {
    format!("party-{i}")
}

/// The devnet's share-store secret of party `i` (a real party reads its own from the environment;
/// the end-to-end tests pass this one so that they can reuse the devnet's data-dir handling).
pub fn operator_secret(i: usize) -> Vec<u8> {
    format!("devnet share-store secret of {}", party_name(i)).into_bytes()
}

/// [`operator_secret`] as the share store takes it: a passphrase (as `party.shares_secret_env`).
pub fn share_secret(i: usize) -> Result<mpc_party::StoreSecret, mpc_party::MpcError> {
    mpc_party::StoreSecret::passphrase(operator_secret(i))
}

/// The devnet's embedded chain has no chain id of its own; this names it in the federation id.
const DEVNET_CHAIN: &str = "devnet-embedded";

/// An owner's request for a key of `key_type` (the workspace's sign policy, default timeout).
pub fn key_request_msg(workspace_id: u64, keyring_id: u64, key_type: KeyType) -> KeyringExecute {
    KeyringExecute::RequestKey {
        workspace_id,
        keyring_id,
        key_type,
        timeout_blocks: None,
        max_fee: None,
    }
}

/// An owner's request for one signature per message with `key` (items per [`item_of`]).
pub fn signature_request_msg(key: &DevnetKey, messages: &[&[u8]]) -> SignatureExecute {
    let items = messages
        .iter()
        .map(|m| Binary::new(item_of(key.key_type, m)))
        .collect();
    SignatureExecute::request_signature(key.key_id, items)
}

/// A payload request for an EIP-191 personal message (an ECDSA key).
pub fn personal_message_msg(key: &DevnetKey, message: &[u8]) -> SignatureExecute {
    let payload = Payload {
        hash: HashKind::Eip191,
        data: Binary::from(message),
        digest: None,
    };
    SignatureExecute::request_payload_signature(key.key_id, vec![payload])
}

/// What the parties sign for a message: its sha256 for ECDSA, the message itself for EdDSA.
pub fn item_of(key_type: KeyType, message: &[u8]) -> Vec<u8> {
    match key_type {
        KeyType::EcdsaSecp256k1 => Sha256::digest(message).to_vec(),
        KeyType::EddsaEd25519 => message.to_vec(),
    }
}

/// Executes `msg` on `contract` as `handle`, and returns the id that the transaction's `kind`
/// event names in `attribute` (the record the message made).
async fn execute_for_id(
    handle: &EmbeddedHandle,
    contract: &str,
    msg: &impl serde::Serialize,
    kind: &str,
    attribute: &str,
) -> Result<u64, DevnetError> {
    let committed = handle
        .execute_with_events(vec![ContractCall::new(contract, msg)?])
        .await?;
    committed
        .events
        .iter()
        .filter(|e| e.kind == kind)
        .find_map(|e| e.attribute(attribute)?.parse().ok())
        .ok_or_else(|| DevnetError::Check(format!("no {kind} event with {attribute}")))
}

fn short(address: &str) -> String {
    if address.len() > 16 {
        format!("{}…{}", &address[..10], &address[address.len() - 6..])
    } else {
        address.to_string()
    }
}

/// Options of the scripted walk.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    pub key_types: Vec<KeyType>,
    /// Signature requests per key (raw hashes or messages); a secp256k1 key gets one more, a
    /// payload request for an Ethereum personal message.
    pub requests: usize,
}

/// What the walk did.
#[derive(Clone, Debug, Default)]
pub struct WalkReport {
    pub keys: Vec<DevnetKey>,
    pub fulfilled: Vec<SignOutcome>,
}

/// The scripted walk through the seed's process on a started devnet.
pub async fn walk(
    devnet: &Devnet,
    options: &WalkOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<WalkReport, DevnetError> {
    let mut report = WalkReport::default();
    for &key_type in &options.key_types {
        let key = devnet.request_key(key_type, progress).await?;
        let mut ids = Vec::new();
        // The raw requests of the seed's process; for a secp256k1 key, one more whose payload
        // (an Ethereum personal message) the chain hashes itself.
        let personal = (key_type == KeyType::EcdsaSecp256k1).then_some(options.requests);
        for n in 0..options.requests + usize::from(personal.is_some()) {
            let message = format!("devnet message {n} for key {}", key.key_id).into_bytes();
            let (id, what) = if Some(n) == personal {
                let id = devnet.request_personal_message(&key, &message).await?;
                (id, " (an EIP-191 personal message, hashed on chain)")
            } else {
                (devnet.request_signature(&key, &[message]).await?, "")
            };
            let status = devnet.signature_request(id).await?.status;
            progress(&format!(
                "signature request {id} with key {}{what}: {} (waiting for bob)",
                key.key_id,
                status.as_str()
            ));
            if status != SignRequestStatus::Partial {
                return Err(DevnetError::Check(format!(
                    "request {id} is {} before the second approval",
                    status.as_str()
                )));
            }
            ids.push(id);
        }
        devnet.approve(&ids).await?;
        let approved = Instant::now();
        for &id in &ids {
            let status = devnet.signature_request(id).await?.status;
            progress(&format!(
                "signature request {id}: bob approved -> {}",
                status.as_str()
            ));
        }
        for &id in &ids {
            let request = devnet.wait_signed(id, progress).await?;
            let latency = approved.elapsed();
            let signatures = devnet.check_signatures(&key, &request)?;
            progress(&format!(
                "signature request {id}: {} in {:.2}s; signature {} verifies against key {} ({})",
                request.status.as_str(),
                latency.as_secs_f64(),
                hex::encode(&signatures[0]),
                key.key_id,
                match (key_type, request.recovery_ids.as_deref()) {
                    (KeyType::EcdsaSecp256k1, Some([id, ..])) if request.payloads.is_some() =>
                        format!(
                            "k256; recovery id {id} recovers the key: signed by {}",
                            key.addresses.evm.as_deref().unwrap_or("its EVM address")
                        ),
                    (KeyType::EcdsaSecp256k1, Some([id, ..])) =>
                        format!("k256; recovery id {id} recovers the key"),
                    (KeyType::EcdsaSecp256k1, _) => "k256".to_string(),
                    (KeyType::EddsaEd25519, _) => "ed25519-dalek".to_string(),
                }
            ));
            report.fulfilled.push(SignOutcome { request, latency });
        }
        report.keys.push(key);
    }
    Ok(report)
}

/// One line naming each address a key controls, e.g. `EVM 0x…, Cosmos cosmos1…, Bitcoin bc1q…
/// (testnet tb1q…, regtest bcrt1q…)`.
pub fn describe_addresses(addresses: &AddressesResponse) -> String {
    let mut parts = Vec::new();
    if let Some(evm) = &addresses.evm {
        parts.push(format!("EVM {evm}"));
    }
    if let Some(cosmos) = &addresses.cosmos {
        parts.push(format!("Cosmos {cosmos}"));
    }
    if let Some(btc) = &addresses.bitcoin {
        parts.push(format!(
            "Bitcoin {} (testnet {}, regtest {})",
            btc.mainnet, btc.testnet, btc.regtest
        ));
    }
    if let Some(solana) = &addresses.solana {
        parts.push(format!("Solana {solana}"));
    }
    if parts.is_empty() {
        "no address on another chain".into()
    } else {
        parts.join(", ")
    }
}
