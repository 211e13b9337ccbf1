//! [`MpcEngine`] over `mpc-party`'s [`Party`]: the Noise-encrypted TCP transport, CGGMP21 ECDSA
//! and FROST EdDSA, with shares in mpc-party's encrypted store. Signer selection, retries over
//! signer sets and handing the signatures to non-signers are mpc-party's.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mpc_interfaces::KeyType;
use mpc_party::transport::tcp::{PeerConfig, StaticPrivateKey, TcpConfig, TcpTransport};
use mpc_party::transport::Transport;
use mpc_party::{
    ChainRequest, MpcError, Party, PartyConfig, PartyIndex, Scheme, ShareStore, StoreSecret,
};

use super::{KeygenJob, MpcEngine, PeerView, SignJob};

pub struct EngineConfig {
    pub me: PartyIndex,
    pub listen: SocketAddr,
    pub noise_private_key: StaticPrivateKey,
    /// The federation: the chain, the keyring contract and the keyring's id. Bound into every
    /// Noise handshake (`mpc_party::transport::tcp::federation_id`), so parties of another
    /// federation cannot connect, and the chain id into every session id.
    pub chain_id: String,
    pub keyring_contract: String,
    pub keyring_id: u64,
    /// Accept MPC connections only from the peers' configured IP addresses.
    pub only_peer_addresses: bool,
    /// (index, host:port, Noise public key) of every party.
    pub peers: Vec<(PartyIndex, String, [u8; 32])>,
    /// mpc-party's share store (encrypted at rest with `share_secret`).
    pub shares_dir: PathBuf,
    pub share_secret: StoreSecret,
    /// Bound on one protocol step of key generation and, times four, on one ECDSA run.
    pub timeout: Duration,
    /// Attempt windows of one run (each may use another signer set).
    pub max_attempts: Option<u32>,
}

pub struct PartyEngine {
    party: Party,
    chain_id: String,
    transport: Arc<TcpTransport>,
    others: Vec<PartyIndex>,
}

impl PartyEngine {
    /// Binds the transport and opens the share store.
    pub async fn start(config: EngineConfig) -> Result<Self, MpcError> {
        let peers = config
            .peers
            .iter()
            .map(|(index, address, key)| PeerConfig {
                index: *index,
                address: address.clone(),
                static_public_key: *key,
            })
            .collect();
        let mut tcp = TcpConfig::new(config.me, config.noise_private_key, peers);
        tcp.federation = mpc_party::transport::tcp::federation_id(
            &config.chain_id,
            &config.keyring_contract,
            config.keyring_id,
        );
        tcp.connections.only_peer_addresses = config.only_peer_addresses;
        let transport = Arc::new(TcpTransport::bind(tcp, config.listen).await?);
        let store = ShareStore::open(&config.shares_dir, &config.share_secret)?;
        let others = config
            .peers
            .iter()
            .map(|(index, _, _)| *index)
            .filter(|index| *index != config.me)
            .collect();
        let party = Party::new(
            transport.clone(),
            Arc::new(store),
            PartyConfig {
                step_timeout: config.timeout,
                max_attempts: config.max_attempts,
                ecdsa_timeout: config.timeout * 4,
                ..PartyConfig::default()
            },
        );
        Ok(Self {
            party,
            chain_id: config.chain_id,
            transport,
            others,
        })
    }

    fn request(&self, contract: String, request_id: u64) -> ChainRequest {
        ChainRequest {
            chain_id: self.chain_id.clone(),
            contract,
            request_id,
        }
    }

    /// Whether this party already has ECDSA aux info for some party set (then it needs no new
    /// primes for that set).
    pub fn has_ecdsa_aux(&self) -> Result<bool, MpcError> {
        Ok(!self.party.store().list(ECDSA_AUX_PREFIX)?.is_empty())
    }

    /// Whether this party holds spare ECDSA Paillier primes (for the next aux info run).
    pub fn has_ecdsa_primes(&self) -> Result<bool, MpcError> {
        self.party.has_ecdsa_primes()
    }

    /// Makes a spare set of ECDSA Paillier primes at a lower CPU priority (for the next aux
    /// info run), unless one is stored.
    pub async fn make_spare_primes(&self) -> Result<(), MpcError> {
        self.party.make_spare_primes().await
    }

    /// Makes this party's ECDSA Paillier primes now (tens of seconds, once; kept in the store),
    /// so that the first ECDSA key request does not wait for them.
    pub async fn prepare_ecdsa(&self) -> Result<(), MpcError> {
        self.party.prepare_ecdsa().await
    }
}

/// Store ids of aux info and of key shares (mpc-party's naming).
pub const ECDSA_AUX_PREFIX: &str = "ecdsa/aux/";
pub const KEY_PREFIXES: [&str; 2] = ["ecdsa/key/", "eddsa/key/"];

fn scheme(key_type: KeyType) -> Scheme {
    match key_type {
        KeyType::EcdsaSecp256k1 => Scheme::EcdsaSecp256k1,
        KeyType::EddsaEd25519 => Scheme::EddsaEd25519,
    }
}

#[async_trait::async_trait]
impl MpcEngine for PartyEngine {
    async fn keygen(&self, job: KeygenJob) -> Result<Vec<u8>, MpcError> {
        let request = self.request(job.contract, job.request_id);
        self.party
            .keygen(scheme(job.key_type), &request, job.parties, job.threshold)
            .await
    }

    fn holds_key(&self, key_type: KeyType, public_key: &[u8]) -> Result<bool, MpcError> {
        self.party.holds_key(scheme(key_type), public_key)
    }

    fn peers(&self) -> Vec<PeerView> {
        let stats = self.transport.stats();
        let live = self.transport.live();
        self.others
            .iter()
            .map(|index| PeerView {
                index: *index,
                connected: stats
                    .listener
                    .authenticated
                    .get(index)
                    .is_some_and(|n| *n > 0),
                live: live.contains(index),
                buffered_bytes: stats.peers.get(index).map_or(0, |usage| usage.bytes),
                last_message_at: stats
                    .peers
                    .get(index)
                    .and_then(|usage| usage.last_message_at),
            })
            .collect()
    }

    async fn sign(&self, job: SignJob) -> Result<Vec<Vec<u8>>, MpcError> {
        let request = self.request(job.contract, job.request_id);
        let signatures = self
            .party
            .sign(scheme(job.key_type), &job.public_key, &request, &job.items)
            .await?;
        Ok(signatures.into_iter().map(|s| s.to_vec()).collect())
    }
}
