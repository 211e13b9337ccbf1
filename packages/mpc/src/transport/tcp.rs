//! TCP transport between processes, authenticated and encrypted with Noise.
//!
//! Every party listens on one address and dials each peer it sends to. A connection starts with a
//! `Noise_IK_25519_ChaChaPoly_SHA256` handshake: the dialer pins the listener's static key from
//! the configuration, and the listener accepts only a dialer whose static key is one of its
//! configured peers, which identifies the sending party. The Noise prologue binds the federation
//! ([`TcpConfig::federation`]: chain, keyring contract and id), so parties of two federations never
//! talk even with the same keys. The handshake's two payloads (encrypted and authenticated) carry
//! the [`PROTOCOL_VERSION`] each side speaks, and a peer of another version is refused with an
//! error naming both versions, logged by both sides. Data flows one way on a connection (dialer to
//! listener), so the two directions of a pair reconnect independently when either side restarts.
//!
//! Wire format: records `[u16 big-endian length][Noise message]` (tokio-util's
//! `LengthDelimitedCodec`). A frame (session id, flags, payload) is split over records whose
//! plaintext starts with a kind byte ("last", "more follows", or "keepalive"), so frames may exceed
//! Noise's 64 KiB message limit, up to [`ConnectionLimits::max_frame_len`].
//!
//! Facing the network, the listener bounds what anyone who can reach the port may hold:
//! - handshakes in progress: each configured peer's IP address (resolved at start, and again
//!   every minute) has [`ConnectionLimits::reserved_handshakes_per_peer`] slots that no other
//!   address can take; every other handshake shares [`ConnectionLimits::max_handshakes`] slots,
//!   at most [`ConnectionLimits::max_handshakes_per_address`] per remote IP and
//!   [`ConnectionLimits::max_handshakes_per_prefix`] per IPv4 /24 or IPv6 /64; each handshake is
//!   cut off after [`ConnectionLimits::handshake_timeout`]. So strangers holding every shared slot
//!   still leave each peer a slot, and a restarted party reconnects. With
//!   [`ConnectionLimits::only_peer_addresses`] (the default) other addresses are refused at once;
//! - authenticated connections: one per peer, the newest replacing the older one;
//! - replayed handshakes: the dialer puts a timestamp in the first handshake message (encrypted,
//!   authenticated), and the listener refuses one not newer than the last it accepted from that
//!   peer (as WireGuard does). The last timestamps live in memory: right after a listener
//!   restart, recorded handshakes pass until the peer's next genuine one (newer than all of them)
//!   replaces them, and they cannot send a frame (no session keys). A dialer whose clock stepped
//!   back is refused until its clock passes its last accepted handshake;
//! - idle connections: closed after [`ConnectionLimits::idle_timeout`] without a record (dialers
//!   send keepalives when idle), and a frame must arrive whole within
//!   [`ConnectionLimits::read_timeout`].
//!
//! What a peer's frames may hold in memory is bounded by the router's per-peer byte budget.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use secrecy::{ExposeSecret, SecretBox};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::{AbortHandle, JoinSet};
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use super::router::{Frame, FrameSink, PeerUsage, Router, RouterLimits};
use super::{PartyIndex, SessionChannel, SessionId, Transport};
use crate::error::MpcError;

const NOISE_PARAMS: &str = "Noise_IK_25519_ChaChaPoly_SHA256";
/// Binds handshakes to this transport; the federation follows it in the prologue. Fixed for good:
/// the protocol version rides in the handshake payloads ([`PROTOCOL_VERSION`]), and these are the
/// bytes of version 2 (which carried its version here), so a version-2 party still completes the
/// first handshake message and is named by its version instead of failing Noise's decryption.
const PROLOGUE_TAG: &[u8] = b"mpc-party/tcp/v2";

/// The MPC protocol version this build speaks: the wire format of frames (records, chunk kinds,
/// the frame header, the handshake payloads after their version) and of every protocol's messages
/// (FROST and CGGMP21 rounds, the run-id agreement, echoes and blame notices, and how session ids
/// are derived). Two parties of different versions cannot run a protocol together, so each
/// refuses the other at the handshake, naming both versions; raise it with any change to any of
/// these. Versions: 2 carried the version in the Noise prologue; 3 carries it in the handshake
/// payloads. A party speaks exactly one version (no range is accepted).
pub const PROTOCOL_VERSION: u16 = 3;
/// Starts both handshake payloads, followed by the sender's protocol version (u16 big-endian), in
/// every version from 3 on: what follows is that version's. Tells them from a version-2 payload.
const HANDSHAKE_MAGIC: &[u8; 4] = b"MPCp";
/// Version 2's first handshake payload: the dialer's index (u16) and a timestamp (u64), no magic.
const LEGACY_V2_PAYLOAD: usize = 2 + 8;
const NOISE_MAX_MSG: usize = 65535;
const NOISE_TAG: usize = 16;
/// Plaintext bytes of one record: one kind byte, then data.
const CHUNK_DATA: usize = NOISE_MAX_MSG - NOISE_TAG - 1;
const CHUNK_LAST: u8 = 0;
const CHUNK_MORE: u8 = 1;
const CHUNK_KEEPALIVE: u8 = 2;
/// Largest frame payload accepted by default. The largest legitimate message is a cggmp21
/// aux-info round-3 message (Paillier-Blum modulus and factorisation proofs), measured at about
/// 0.2 MiB and independent of the number of parties (BENCHMARKS.md, "message sizes"); FROST and
/// cggmp21 signing messages are a few KiB. 2 MiB leaves a margin of about 10x.
pub const MAX_FRAME_LEN: usize = 2 * 1024 * 1024;
const FRAME_HEADER: usize = 32 + 1;
const FLAG_BROADCAST: u8 = 1;
/// The dialer's handshake payload: magic, protocol version (u16), the dialer's party index (u16)
/// and a timestamp (u64 ns since the epoch).
const HANDSHAKE_PAYLOAD: usize = 4 + 2 + 2 + 8;
/// The listener's reply payload: magic and the protocol version it speaks (u16), sent also when
/// it refuses the dialer's version, so that both sides can name both versions.
const REPLY_PAYLOAD: usize = 4 + 2;

/// A peer as the configuration knows it.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    pub index: PartyIndex,
    /// `host:port` the peer listens on.
    pub address: String,
    /// The peer's Noise static public key (X25519), pinned.
    pub static_public_key: [u8; 32],
}

/// A Noise static private key (X25519): zeroized when dropped, never printed.
pub struct StaticPrivateKey(SecretBox<[u8; 32]>);

impl StaticPrivateKey {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    /// The matching public key.
    pub fn public_key(&self) -> [u8; 32] {
        static_public_key(self.0.expose_secret())
    }
}

impl From<[u8; 32]> for StaticPrivateKey {
    fn from(bytes: [u8; 32]) -> Self {
        Self::new(bytes)
    }
}

impl Clone for StaticPrivateKey {
    fn clone(&self) -> Self {
        Self::new(*self.0.expose_secret())
    }
}

impl std::fmt::Debug for StaticPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticPrivateKey([REDACTED])")
    }
}

/// What the listener allows anyone who reaches its port, and how long connections may idle.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Handshake slots reserved for each configured peer's IP address (resolved when the listener
    /// starts and every minute after): only a connection from that address takes one, so no
    /// stranger can keep a peer from connecting. At least 1. Several peers at one address
    /// reserve this many slots each.
    pub reserved_handshakes_per_peer: usize,
    /// Handshakes in progress at once in the shared slots: those of every address beyond its
    /// reserved slots (strangers have only these). The listener holds at most this plus the
    /// reserved slots.
    pub max_handshakes: usize,
    /// Shared handshake slots one remote IP address may hold at once.
    pub max_handshakes_per_address: usize,
    /// Shared handshake slots one address prefix (IPv4 /24, IPv6 /64) may hold at once, so that
    /// a host with many addresses of one network still holds few.
    pub max_handshakes_per_prefix: usize,
    /// A connection must complete its handshake within this.
    pub handshake_timeout: Duration,
    /// Accept connections only from the IP addresses of the configured peers, closing any other
    /// at once (on by default). Turn it off when a peer connects from another address than the
    /// one configured for it (behind NAT); the reserved and shared slots' limits still apply.
    pub only_peer_addresses: bool,
    /// An authenticated connection that sends no record for this long is closed.
    pub idle_timeout: Duration,
    /// Every dialer keeps a connection to each peer and sends a heartbeat this often when it
    /// has nothing else to send: the peer's liveness signal (a stopped process keeps its TCP
    /// connection open but sends nothing).
    pub keepalive: Duration,
    /// A peer is live ([`Transport::live`]) while a record of it arrived within this (the
    /// peers' `keepalive` must be shorter).
    pub live_within: Duration,
    /// A frame must arrive whole within this once its first record has arrived.
    pub read_timeout: Duration,
    /// Largest frame payload accepted; a peer sending more is cut off.
    pub max_frame_len: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            reserved_handshakes_per_peer: 2,
            max_handshakes: 32,
            max_handshakes_per_address: 4,
            max_handshakes_per_prefix: 8,
            handshake_timeout: Duration::from_secs(3),
            only_peer_addresses: true,
            idle_timeout: Duration::from_secs(60),
            keepalive: Duration::from_secs(1),
            live_within: Duration::from_secs(3),
            read_timeout: Duration::from_secs(30),
            max_frame_len: MAX_FRAME_LEN,
        }
    }
}

/// One party's TCP transport configuration. Its `Debug` does not show the private key.
#[derive(Clone, Debug)]
pub struct TcpConfig {
    pub me: PartyIndex,
    /// This party's Noise static private key (X25519).
    pub static_private_key: StaticPrivateKey,
    /// The other parties (entries with `index == me` are ignored).
    pub peers: Vec<PeerConfig>,
    /// Identifies the federation (see [`federation_id`]); bound into every handshake, so it must
    /// be equal on all parties.
    pub federation: Vec<u8>,
    pub limits: RouterLimits,
    pub connections: ConnectionLimits,
    /// Bound on connecting plus the dialer's side of the handshake, and on writing one frame.
    pub io_timeout: Duration,
    /// Frames not sent within this time (peer down) are dropped rather than delivered stale.
    pub frame_ttl: Duration,
    /// Frames queued per peer; more are dropped while the peer is unreachable.
    pub peer_queue: usize,
    /// The protocol version this party speaks: [`PROTOCOL_VERSION`]. Only tests set another, to
    /// play a party of another version.
    pub protocol_version: u16,
}

impl TcpConfig {
    /// A configuration with default limits and an empty federation id (set
    /// [`TcpConfig::federation`] when running in a real federation).
    pub fn new(
        me: PartyIndex,
        static_private_key: impl Into<StaticPrivateKey>,
        peers: Vec<PeerConfig>,
    ) -> Self {
        Self {
            me,
            static_private_key: static_private_key.into(),
            peers,
            federation: Vec::new(),
            limits: RouterLimits::default(),
            connections: ConnectionLimits::default(),
            io_timeout: Duration::from_secs(5),
            frame_ttl: Duration::from_secs(30),
            peer_queue: 4096,
            protocol_version: PROTOCOL_VERSION,
        }
    }
}

/// The federation id of a keyring: its chain, contract address and keyring id, length-prefixed
/// so that no two inputs give the same bytes.
pub fn federation_id(chain_id: &str, keyring_contract: &str, keyring_id: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for field in [chain_id.as_bytes(), keyring_contract.as_bytes()] {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field);
    }
    out.extend_from_slice(&keyring_id.to_be_bytes());
    out
}

/// A fresh Noise static key pair: `(private, public)`.
pub fn generate_static_keypair() -> ([u8; 32], [u8; 32]) {
    let secret = x25519_dalek::StaticSecret::random_from_rng(rand::rngs::OsRng);
    let public = x25519_dalek::PublicKey::from(&secret);
    (secret.to_bytes(), public.to_bytes())
}

/// The public key of a Noise static private key.
pub fn static_public_key(private: &[u8; 32]) -> [u8; 32] {
    x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*private)).to_bytes()
}

/// What the listener has refused and holds now, for operators and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListenerStats {
    /// Connections in their handshake now, in every slot.
    pub handshakes_in_progress: usize,
    /// Of these, those in the slots reserved for the peers' addresses.
    pub reserved_handshakes_in_progress: usize,
    /// Live authenticated inbound connections, per peer (at most one each, except for the
    /// instant a newer one replaces an older one).
    pub authenticated: BTreeMap<PartyIndex, usize>,
    /// Connections closed at once: every shared handshake slot was taken.
    pub refused_busy: u64,
    /// Connections closed at once: their address held its limit of shared handshake slots.
    pub refused_per_address: u64,
    /// Connections closed at once: their address prefix (IPv4 /24, IPv6 /64) held its limit of
    /// shared handshake slots.
    pub refused_per_prefix: u64,
    /// Connections closed at once: not from a peer's address (with `only_peer_addresses`).
    pub refused_not_allowed: u64,
    /// Handshakes refused because their timestamp was not newer than the peer's last one.
    pub refused_replays: u64,
    /// Handshakes of a configured peer refused because it speaks another protocol version.
    pub refused_version: u64,
    /// Peers refused for their version, with the version each spoke (kept until the peer
    /// connects with this party's version).
    pub peer_versions_refused: BTreeMap<PartyIndex, u16>,
    /// Handshakes that failed otherwise: unknown key, garbage, too slow.
    pub failed_handshakes: u64,
    /// Older connections of a peer closed because a newer one authenticated.
    pub replaced: u64,
    /// Authenticated connections closed for idling or for a frame too slow to arrive.
    pub idle_closed: u64,
}

/// A transport's view of its listener and of each peer's buffered bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransportStats {
    pub listener: ListenerStats,
    pub peers: BTreeMap<PartyIndex, PeerUsage>,
}

type RecordStream = Framed<TcpStream, LengthDelimitedCodec>;

fn records(stream: TcpStream) -> RecordStream {
    LengthDelimitedCodec::builder()
        .length_field_length(2)
        .max_frame_length(NOISE_MAX_MSG)
        .new_framed(stream)
}

/// A party's TCP transport. Dropping it stops its listener, connections and writers.
pub struct TcpTransport {
    me: PartyIndex,
    router: Arc<Router>,
    sink: Arc<PeerQueues>,
    listener: Arc<Listener>,
    local_addr: SocketAddr,
    tasks: Vec<AbortHandle>,
}

/// Per-peer outgoing queues, drained by one writer task per peer.
struct PeerQueues {
    queues: HashMap<PartyIndex, mpsc::Sender<(Instant, Frame)>>,
}

impl FrameSink for PeerQueues {
    fn send_frame(&self, to: PartyIndex, frame: Frame) {
        let Some(queue) = self.queues.get(&to) else {
            tracing::warn!(to, "no such peer, dropping frame");
            return;
        };
        if queue.try_send((Instant::now(), frame)).is_err() {
            tracing::warn!(to, "peer queue full, dropping frame");
        }
    }
}

impl TcpTransport {
    /// Binds `listen` and starts serving.
    pub async fn bind(config: TcpConfig, listen: SocketAddr) -> Result<Self, MpcError> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| MpcError::Transport(format!("bind {listen}: {e}")))?;
        Self::start(config, listener)
    }

    /// Starts serving on an already bound listener (lets tests bind port 0 first).
    pub fn start(config: TcpConfig, listener: TcpListener) -> Result<Self, MpcError> {
        let local_addr = listener
            .local_addr()
            .map_err(|e| MpcError::Transport(format!("listener address: {e}")))?;
        let me = config.me;
        let peers: Vec<PeerConfig> = config
            .peers
            .iter()
            .filter(|p| p.index != me)
            .cloned()
            .collect();
        let mut known = HashMap::new();
        for p in &peers {
            if known.insert(p.static_public_key, p.index).is_some() {
                return Err(MpcError::Transport(format!(
                    "two peers share the static key of peer {}",
                    p.index
                )));
            }
        }
        let limits = &config.connections;
        if limits.max_handshakes == 0
            || limits.max_handshakes_per_address == 0
            || limits.max_handshakes_per_prefix == 0
            || limits.reserved_handshakes_per_peer == 0
        {
            return Err(MpcError::InvalidRequest(
                "handshake limits must be at least 1".into(),
            ));
        }
        if limits.keepalive >= limits.idle_timeout {
            return Err(MpcError::InvalidRequest(
                "the keepalive interval must be shorter than the idle timeout".into(),
            ));
        }
        let router = Arc::new(Router::new(me, config.limits.clone()));
        let settings = Arc::new(Settings {
            me,
            static_private_key: config.static_private_key,
            prologue: prologue(&config.federation),
            io_timeout: config.io_timeout,
            frame_ttl: config.frame_ttl,
            limits: config.connections,
            version: config.protocol_version,
            last_timestamp: AtomicU64::new(0),
        });
        let listener_state = Arc::new(Listener {
            settings: settings.clone(),
            known,
            router: router.clone(),
            state: Mutex::default(),
        });
        let mut tasks = Vec::new();
        let mut queues = HashMap::new();
        let addresses: Vec<String> = peers.iter().map(|p| p.address.clone()).collect();
        for peer in peers {
            let (tx, rx) = mpsc::channel(config.peer_queue);
            queues.insert(peer.index, tx);
            tasks.push(tokio::spawn(peer_writer(settings.clone(), peer, rx)).abort_handle());
        }
        tasks.push(
            tokio::spawn(accept_loop(listener_state.clone(), listener, addresses)).abort_handle(),
        );
        tracing::info!(me, %local_addr, "tcp transport listening");
        Ok(Self {
            me,
            router,
            sink: Arc::new(PeerQueues { queues }),
            listener: listener_state,
            local_addr,
            tasks,
        })
    }

    /// The address the transport listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The listener's counters and each peer's buffered bytes.
    pub fn stats(&self) -> TransportStats {
        TransportStats {
            listener: self.listener.lock().stats.clone(),
            peers: self.router.usage(),
        }
    }
}

impl Drop for TcpTransport {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[async_trait::async_trait]
impl Transport for TcpTransport {
    fn me(&self) -> PartyIndex {
        self.me
    }

    async fn open_session(
        &self,
        session: SessionId,
        participants: Vec<PartyIndex>,
    ) -> Result<SessionChannel, MpcError> {
        if let Some(bad) = participants
            .iter()
            .find(|p| **p != self.me && !self.sink.queues.contains_key(p))
        {
            return Err(MpcError::InvalidRequest(format!(
                "no peer {bad} configured"
            )));
        }
        self.router.open(session, participants, self.sink.clone())
    }

    fn live(&self) -> Vec<PartyIndex> {
        let mut live = self.listener.live();
        live.push(self.me);
        live.sort_unstable();
        live
    }
}

struct Settings {
    me: PartyIndex,
    static_private_key: StaticPrivateKey,
    prologue: Vec<u8>,
    io_timeout: Duration,
    frame_ttl: Duration,
    limits: ConnectionLimits,
    /// The protocol version this party speaks.
    version: u16,
    /// The last handshake timestamp this party sent: each dial uses a strictly larger one.
    last_timestamp: AtomicU64,
}

impl Settings {
    fn noise_builder(&self) -> Result<snow::Builder<'_>, MpcError> {
        let params = NOISE_PARAMS
            .parse()
            .map_err(|e| MpcError::Transport(format!("noise params: {e}")))?;
        Ok(snow::Builder::new(params)
            .prologue(&self.prologue)
            .local_private_key(self.static_private_key.0.expose_secret()))
    }

    /// Wall-clock nanoseconds, forced strictly increasing within this process so that two dials
    /// in the same nanosecond still differ.
    fn next_timestamp(&self) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let previous = self
            .last_timestamp
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last + 1))
            })
            .expect("the closure always returns Some");
        now.max(previous + 1)
    }
}

fn prologue(federation: &[u8]) -> Vec<u8> {
    let mut out = PROLOGUE_TAG.to_vec();
    out.extend_from_slice(&(federation.len() as u64).to_be_bytes());
    out.extend_from_slice(federation);
    out
}

/// The inbound side: who may connect, who is connected.
struct Listener {
    settings: Arc<Settings>,
    known: HashMap<[u8; 32], PartyIndex>,
    router: Arc<Router>,
    state: Mutex<ListenerState>,
}

#[derive(Default)]
struct ListenerState {
    stats: ListenerStats,
    slots: Slots,
    /// When a peer's version refusal was last logged (at most once a minute each).
    version_logged: HashMap<PartyIndex, Option<Instant>>,
    /// The live connection of each peer: its id, and the sender whose drop closes it.
    live: HashMap<PartyIndex, (u64, oneshot::Sender<()>)>,
    /// The newest handshake timestamp accepted from each peer.
    last_timestamp: HashMap<PartyIndex, u64>,
    /// When the last record (a frame's or a heartbeat) of each peer arrived.
    last_heard: HashMap<PartyIndex, Instant>,
    next_id: u64,
}

impl Listener {
    fn lock(&self) -> std::sync::MutexGuard<'_, ListenerState> {
        // Counters and maps only: a panic elsewhere cannot leave them inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a handshake slot for `ip`, or counts the refusal.
    fn handshake_slot(self: &Arc<Self>, ip: IpAddr) -> Result<HandshakeSlot, SlotRefusal> {
        let mut state = self.lock();
        let state = &mut *state;
        match state.slots.take(ip, &self.settings.limits) {
            Ok(kind) => {
                state.stats.handshakes_in_progress += 1;
                if kind == SlotKind::Reserved {
                    state.stats.reserved_handshakes_in_progress += 1;
                }
                Ok(HandshakeSlot {
                    listener: self.clone(),
                    ip,
                    kind,
                })
            }
            Err(refusal) => {
                let stats = &mut state.stats;
                *match refusal {
                    SlotRefusal::NotAllowed => &mut stats.refused_not_allowed,
                    SlotRefusal::Busy => &mut stats.refused_busy,
                    SlotRefusal::PerAddress => &mut stats.refused_per_address,
                    SlotRefusal::PerPrefix => &mut stats.refused_per_prefix,
                } += 1;
                Err(refusal)
            }
        }
    }

    /// Counts a peer refused for its version; true when it should be logged (once a minute).
    fn refused_version(&self, peer: PartyIndex, theirs: u16) -> bool {
        let mut state = self.lock();
        state.stats.refused_version += 1;
        state.stats.peer_versions_refused.insert(peer, theirs);
        log_due(state.version_logged.entry(peer).or_default())
    }

    /// Accepts `timestamp` from `peer` only if newer than the last one accepted.
    fn fresh_timestamp(&self, peer: PartyIndex, timestamp: u64) -> bool {
        let mut state = self.lock();
        let last = state.last_timestamp.entry(peer).or_default();
        if timestamp <= *last {
            state.stats.refused_replays += 1;
            return false;
        }
        *last = timestamp;
        true
    }

    /// Makes a new connection of `peer` its live one, closing the older one.
    fn register(self: &Arc<Self>, peer: PartyIndex) -> (oneshot::Receiver<()>, LiveConnection) {
        let (close_tx, close_rx) = oneshot::channel();
        let mut state = self.lock();
        let id = state.next_id;
        state.next_id += 1;
        if let Some((_, older)) = state.live.insert(peer, (id, close_tx)) {
            // Dropping the sender closes the older connection.
            drop(older);
            state.stats.replaced += 1;
        }
        *state.stats.authenticated.entry(peer).or_default() += 1;
        state.stats.peer_versions_refused.remove(&peer);
        state.version_logged.remove(&peer);
        (
            close_rx,
            LiveConnection {
                listener: self.clone(),
                peer,
                id,
            },
        )
    }

    fn count(&self, counter: fn(&mut ListenerStats) -> &mut u64) {
        *counter(&mut self.lock().stats) += 1;
    }

    fn heard(&self, peer: PartyIndex) {
        self.lock().last_heard.insert(peer, Instant::now());
    }

    /// The peers heard from within `live_within`.
    fn live(&self) -> Vec<PartyIndex> {
        let within = self.settings.limits.live_within;
        self.lock()
            .last_heard
            .iter()
            .filter(|(_, at)| at.elapsed() < within)
            .map(|(peer, _)| *peer)
            .collect()
    }
}

/// A handshake in progress; frees its slot when dropped.
struct HandshakeSlot {
    listener: Arc<Listener>,
    ip: IpAddr,
    kind: SlotKind,
}

impl Drop for HandshakeSlot {
    fn drop(&mut self) {
        let mut state = self.listener.lock();
        state.slots.release(self.ip, self.kind);
        state.stats.handshakes_in_progress -= 1;
        if self.kind == SlotKind::Reserved {
            state.stats.reserved_handshakes_in_progress -= 1;
        }
    }
}

/// How often an error that repeats with every reconnection (a peer of another version) is logged.
const REPEATED_LOG_EVERY: Duration = Duration::from_secs(60);

/// True when an error last logged at `last` should be logged again now (and notes now).
fn log_due(last: &mut Option<Instant>) -> bool {
    if last.is_some_and(|at| at.elapsed() < REPEATED_LOG_EVERY) {
        return false;
    }
    *last = Some(Instant::now());
    true
}

/// Which kind of handshake slot a connection holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotKind {
    /// One of the slots reserved for a peer's address.
    Reserved,
    /// One of the slots every address shares.
    Shared,
}

/// Why a connection got no handshake slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotRefusal {
    /// Not from a peer's address, with `only_peer_addresses`.
    NotAllowed,
    /// Every shared slot is taken.
    Busy,
    /// Its address holds its limit of shared slots.
    PerAddress,
    /// Its address prefix holds its limit of shared slots.
    PerPrefix,
}

/// The network an address is limited with: its IPv4 /24 or IPv6 /64 (a host or a customer of a
/// provider typically holds one of these whole).
fn address_prefix(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
    }
}

/// The listener's handshake slots: those reserved for the peers' addresses and the shared ones.
/// Addresses are compared in canonical form (an IPv4-mapped IPv6 address is its IPv4 address).
#[derive(Default)]
struct Slots {
    /// How many configured peers are at each address (each reserves its slots there).
    peers_at: HashMap<IpAddr, usize>,
    /// Reserved slots taken, per peer address.
    reserved_used: HashMap<IpAddr, usize>,
    /// Shared slots taken: in all, per address and per prefix.
    shared_used: usize,
    shared_per_address: HashMap<IpAddr, usize>,
    shared_per_prefix: HashMap<IpAddr, usize>,
}

impl Slots {
    /// Takes a slot for a connection from `ip`: one of its reserved slots if it is a peer's
    /// address and one is free, else a shared one within the shared limits.
    fn take(&mut self, ip: IpAddr, limits: &ConnectionLimits) -> Result<SlotKind, SlotRefusal> {
        let ip = ip.to_canonical();
        let peers = self.peers_at.get(&ip).copied().unwrap_or(0);
        if peers == 0 && limits.only_peer_addresses {
            return Err(SlotRefusal::NotAllowed);
        }
        let reserved = peers.saturating_mul(limits.reserved_handshakes_per_peer);
        if self.reserved_used.get(&ip).copied().unwrap_or(0) < reserved {
            *self.reserved_used.entry(ip).or_default() += 1;
            return Ok(SlotKind::Reserved);
        }
        if self.shared_used >= limits.max_handshakes {
            return Err(SlotRefusal::Busy);
        }
        if self.shared_per_address.get(&ip).copied().unwrap_or(0)
            >= limits.max_handshakes_per_address
        {
            return Err(SlotRefusal::PerAddress);
        }
        let prefix = address_prefix(ip);
        if self.shared_per_prefix.get(&prefix).copied().unwrap_or(0)
            >= limits.max_handshakes_per_prefix
        {
            return Err(SlotRefusal::PerPrefix);
        }
        self.shared_used += 1;
        *self.shared_per_address.entry(ip).or_default() += 1;
        *self.shared_per_prefix.entry(prefix).or_default() += 1;
        Ok(SlotKind::Shared)
    }

    /// Frees a slot [`Slots::take`] gave for `ip`.
    fn release(&mut self, ip: IpAddr, kind: SlotKind) {
        fn decrement(map: &mut HashMap<IpAddr, usize>, key: IpAddr) {
            if let Some(n) = map.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&key);
                }
            }
        }
        let ip = ip.to_canonical();
        match kind {
            SlotKind::Reserved => decrement(&mut self.reserved_used, ip),
            SlotKind::Shared => {
                self.shared_used -= 1;
                decrement(&mut self.shared_per_address, ip);
                decrement(&mut self.shared_per_prefix, address_prefix(ip));
            }
        }
    }
}

/// An authenticated connection; unregisters itself when dropped.
struct LiveConnection {
    listener: Arc<Listener>,
    peer: PartyIndex,
    id: u64,
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        let mut state = self.listener.lock();
        if let Some(n) = state.stats.authenticated.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                state.stats.authenticated.remove(&self.peer);
            }
        }
        if state
            .live
            .get(&self.peer)
            .is_some_and(|(id, _)| *id == self.id)
        {
            state.live.remove(&self.peer);
        }
    }
}

/// Resolves the peers' configured addresses (`host:port`) into the addresses whose handshake
/// slots are reserved: an address that does not resolve keeps what it resolved to before.
async fn resolve_peers(
    addresses: &[String],
    resolved: &mut HashMap<String, Vec<IpAddr>>,
) -> HashMap<IpAddr, usize> {
    const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);
    for address in addresses {
        match tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host(address.as_str())).await
        {
            Ok(Ok(found)) => {
                let mut ips: Vec<IpAddr> = found.map(|a| a.ip().to_canonical()).collect();
                ips.sort_unstable();
                ips.dedup();
                resolved.insert(address.clone(), ips);
            }
            Ok(Err(e)) => tracing::warn!(%address, error = %e, "cannot resolve a peer's address"),
            Err(_) => tracing::warn!(%address, "resolving a peer's address timed out"),
        }
    }
    let mut peers_at = HashMap::new();
    for address in addresses {
        for ip in resolved.get(address).into_iter().flatten() {
            *peers_at.entry(*ip).or_default() += 1;
        }
    }
    peers_at
}

/// Resolves the peers' addresses again every minute (a peer may move, or its name may not have
/// resolved at start), updating the reserved slots.
async fn refresh_peer_addresses(
    shared: Arc<Listener>,
    addresses: Vec<String>,
    mut resolved: HashMap<String, Vec<IpAddr>>,
) {
    const EVERY: Duration = Duration::from_secs(60);
    loop {
        tokio::time::sleep(EVERY).await;
        let peers_at = resolve_peers(&addresses, &mut resolved).await;
        shared.lock().slots.peers_at = peers_at;
    }
}

/// Accepts connections; each one serves frames from one authenticated peer.
async fn accept_loop(shared: Arc<Listener>, listener: TcpListener, peer_addresses: Vec<String>) {
    // The peers' addresses are known before the first connection is taken.
    let mut resolved = HashMap::new();
    let peers_at = resolve_peers(&peer_addresses, &mut resolved).await;
    shared.lock().slots.peers_at = peers_at;
    // Owned here, so aborting this task aborts every connection it serves (and the refresher).
    let mut connections = JoinSet::new();
    connections.spawn(refresh_peer_addresses(
        shared.clone(),
        peer_addresses,
        resolved,
    ));
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    let slot = match shared.handshake_slot(addr.ip()) {
                        Ok(slot) => slot,
                        Err(refusal) => {
                            tracing::debug!(%addr, ?refusal, "no handshake slot, refusing connection");
                            continue;
                        }
                    };
                    connections.spawn(serve_inbound(shared.clone(), stream, addr, slot));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_inbound(
    shared: Arc<Listener>,
    stream: TcpStream,
    addr: SocketAddr,
    slot: HandshakeSlot,
) {
    let settings = &shared.settings;
    let mut stream = records(stream);
    let handshake = tokio::time::timeout(
        settings.limits.handshake_timeout,
        respond_handshake(&shared, &mut stream),
    )
    .await;
    drop(slot);
    let (peer, noise) = match handshake {
        Ok(Ok(done)) => done,
        Ok(Err(Refusal::Replay(peer))) => {
            tracing::warn!(%addr, peer, "refused a replayed handshake");
            return;
        }
        Ok(Err(Refusal::Version { peer, theirs })) => {
            let error = version_mismatch(peer, theirs, settings.version);
            if shared.refused_version(peer, theirs) {
                tracing::error!(me = settings.me, %addr, "refused inbound connection: {error}");
            } else {
                tracing::debug!(me = settings.me, %addr, "refused inbound connection: {error}");
            }
            return;
        }
        Ok(Err(Refusal::Failed(e))) => {
            shared.count(|s| &mut s.failed_handshakes);
            tracing::warn!(%addr, error = %e, "refused inbound connection");
            return;
        }
        Err(_) => {
            shared.count(|s| &mut s.failed_handshakes);
            tracing::debug!(%addr, "inbound handshake timed out");
            return;
        }
    };
    let (closed, live) = shared.register(peer);
    shared.heard(peer);
    tracing::debug!(me = settings.me, peer, %addr, "inbound connection authenticated");
    serve_frames(&shared, peer, stream, noise, closed).await;
    // Only now, with the socket closed, does the connection stop counting as live.
    drop(live);
}

/// Delivers the frames of an authenticated connection until it ends or a newer connection of
/// the same peer replaces it. Owns the socket, so it is closed on return.
async fn serve_frames(
    shared: &Listener,
    peer: PartyIndex,
    mut stream: RecordStream,
    mut noise: snow::TransportState,
    mut closed: oneshot::Receiver<()>,
) {
    let limits = &shared.settings.limits;
    let heard = || shared.heard(peer);
    loop {
        let read = tokio::select! {
            _ = &mut closed => {
                tracing::debug!(peer, "a newer connection of the peer replaced this one");
                return;
            }
            read = read_frame(&mut stream, &mut noise, limits, &heard) => read,
        };
        match read {
            Ok(Some(frame)) => shared.router.deliver(peer, frame),
            Ok(None) => {
                tracing::debug!(peer, "inbound connection closed");
                return;
            }
            Err(ReadError::Idle) => {
                shared.count(|s| &mut s.idle_closed);
                tracing::debug!(peer, "closing an idle or too slow inbound connection");
                return;
            }
            Err(ReadError::Bad(e)) => {
                // The Noise state cannot recover from a bad record: drop the connection.
                shared.router.count_refused(peer);
                tracing::warn!(peer, error = %e, "dropping inbound connection");
                return;
            }
        }
    }
}

enum Refusal {
    /// A handshake whose timestamp is not newer than the peer's last: a replay.
    Replay(PartyIndex),
    /// A configured peer that speaks another protocol version.
    Version {
        peer: PartyIndex,
        theirs: u16,
    },
    Failed(MpcError),
}

/// What both sides log when a peer speaks another protocol version.
fn version_mismatch(peer: PartyIndex, theirs: u16, mine: u16) -> String {
    format!(
        "peer {peer} speaks MPC protocol version {theirs}, this party speaks {mine}: upgrade every \
         party of the federation to the same version"
    )
}

/// The protocol version a handshake payload (either one) starts with; a payload of version 2,
/// which had no version in it, is recognised by its length (`v2_len`).
fn payload_version(payload: &[u8], v2_len: usize) -> Result<u16, MpcError> {
    match payload {
        [m0, m1, m2, m3, v0, v1, ..] if [*m0, *m1, *m2, *m3] == *HANDSHAKE_MAGIC => {
            Ok(u16::from_be_bytes([*v0, *v1]))
        }
        _ if payload.len() == v2_len => Ok(2),
        _ => Err(MpcError::Transport("bad handshake payload".into())),
    }
}

impl From<MpcError> for Refusal {
    fn from(e: MpcError) -> Self {
        Refusal::Failed(e)
    }
}

/// Listener side of the IK handshake: accepts only a configured peer of this party's protocol
/// version, whose claimed index must match its pinned key, with a timestamp newer than its last
/// handshake's. Replies with this party's version, also to a peer of another version.
async fn respond_handshake(
    shared: &Listener,
    stream: &mut RecordStream,
) -> Result<(PartyIndex, snow::TransportState), Refusal> {
    let mut hs = shared
        .settings
        .noise_builder()?
        .build_responder()
        .map_err(noise_err)?;
    let first = read_record(stream).await?;
    let mut buf = vec![0u8; NOISE_MAX_MSG];
    let n = hs.read_message(&first, &mut buf).map_err(noise_err)?;
    let remote = hs
        .get_remote_static()
        .ok_or_else(|| MpcError::Transport("peer sent no static key".into()))?;
    let peer = *shared.known.get(remote).ok_or_else(|| {
        MpcError::Transport(format!("unknown static key {}", hex::encode(remote)))
    })?;
    let mine = shared.settings.version;
    let mut reply = [0u8; REPLY_PAYLOAD];
    reply[..4].copy_from_slice(HANDSHAKE_MAGIC);
    reply[4..].copy_from_slice(&mine.to_be_bytes());
    let theirs = payload_version(&buf[..n], LEGACY_V2_PAYLOAD)?;
    if theirs != mine {
        // Tell the dialer which version this party speaks, so that it can name both too (a
        // version-2 dialer would not read it: it is just closed). The reply is encrypted to the
        // dialer's ephemeral key: someone replaying a recorded handshake learns nothing from it.
        if buf[..n].starts_with(HANDSHAKE_MAGIC) {
            let n = hs.write_message(&reply, &mut buf).map_err(noise_err)?;
            write_record(stream, &buf[..n]).await?;
        }
        return Err(Refusal::Version { peer, theirs });
    }
    let payload = <[u8; HANDSHAKE_PAYLOAD]>::try_from(&buf[..n])
        .map_err(|_| MpcError::Transport("bad handshake payload".into()))?;
    let claimed = u16::from_be_bytes([payload[6], payload[7]]);
    if claimed != peer {
        return Err(MpcError::Transport(format!(
            "peer with the key of {peer} claims to be {claimed}"
        ))
        .into());
    }
    let timestamp = u64::from_be_bytes(payload[8..].try_into().expect("8 bytes"));
    if !shared.fresh_timestamp(peer, timestamp) {
        return Err(Refusal::Replay(peer));
    }
    let n = hs.write_message(&reply, &mut buf).map_err(noise_err)?;
    write_record(stream, &buf[..n]).await?;
    Ok((peer, hs.into_transport_mode().map_err(noise_err)?))
}

/// Why a dial failed.
enum DialError {
    /// The peer speaks another protocol version (it said so in its handshake reply).
    Version(u16),
    Failed(MpcError),
}

impl From<MpcError> for DialError {
    fn from(e: MpcError) -> Self {
        DialError::Failed(e)
    }
}

/// Dialer side: connects to `peer`, pinning its static key, and checks the version it speaks.
async fn dial(
    settings: &Settings,
    peer: &PeerConfig,
) -> Result<(RecordStream, snow::TransportState), DialError> {
    let stream = TcpStream::connect(&peer.address)
        .await
        .map_err(|e| MpcError::Transport(format!("connect {}: {e}", peer.address)))?;
    stream
        .set_nodelay(true)
        .map_err(|e| MpcError::Transport(format!("nodelay: {e}")))?;
    let mut stream = records(stream);
    let mut hs = settings
        .noise_builder()?
        .remote_public_key(&peer.static_public_key)
        .build_initiator()
        .map_err(noise_err)?;
    let mut payload = [0u8; HANDSHAKE_PAYLOAD];
    payload[..4].copy_from_slice(HANDSHAKE_MAGIC);
    payload[4..6].copy_from_slice(&settings.version.to_be_bytes());
    payload[6..8].copy_from_slice(&settings.me.to_be_bytes());
    payload[8..].copy_from_slice(&settings.next_timestamp().to_be_bytes());
    let mut buf = vec![0u8; NOISE_MAX_MSG];
    let n = hs.write_message(&payload, &mut buf).map_err(noise_err)?;
    write_record(&mut stream, &buf[..n]).await?;
    let reply = read_record(&mut stream).await?;
    let n = hs.read_message(&reply, &mut buf).map_err(noise_err)?;
    // Version 2's reply was empty (a version-2 listener refuses this payload before replying).
    let theirs = payload_version(&buf[..n], 0)?;
    if theirs != settings.version {
        return Err(DialError::Version(theirs));
    }
    Ok((stream, hs.into_transport_mode().map_err(noise_err)?))
}

/// Sends the frames queued for one peer, keeps a connection to it ((re)connecting as needed,
/// also with nothing to send) and sends a heartbeat when idle.
async fn peer_writer(
    settings: Arc<Settings>,
    peer: PeerConfig,
    mut queue: mpsc::Receiver<(Instant, Frame)>,
) {
    const MIN_BACKOFF: Duration = Duration::from_millis(50);
    const MAX_BACKOFF: Duration = Duration::from_secs(2);
    let mut version_logged = None;
    // Connected from the start, so the peer hears this party's heartbeats before any frame.
    let mut conn = connect(&settings, &peer, &mut version_logged).await.ok();
    let mut backoff = MIN_BACKOFF;
    loop {
        let (queued_at, frame) =
            match tokio::time::timeout(settings.limits.keepalive, queue.recv()).await {
                Ok(Some(item)) => item,
                Ok(None) => return,
                Err(_) => {
                    match &mut conn {
                        Some((stream, noise)) => {
                            let sent = tokio::time::timeout(
                                settings.io_timeout,
                                write_chunks(stream, noise, CHUNK_KEEPALIVE, &[]),
                            )
                            .await;
                            if peer_hung_up(stream.get_ref()) || !matches!(sent, Ok(Ok(()))) {
                                conn = None;
                            }
                        }
                        // The peer learns this party is live from the heartbeats: connect
                        // once per interval until it answers.
                        None => {
                            if let Ok(c) = connect(&settings, &peer, &mut version_logged).await {
                                backoff = MIN_BACKOFF;
                                conn = Some(c);
                            }
                        }
                    }
                    continue;
                }
            };
        loop {
            if queued_at.elapsed() > settings.frame_ttl {
                tracing::warn!(peer = peer.index, session = %frame.session, "peer unreachable, dropping stale frame");
                break;
            }
            if conn
                .as_ref()
                .is_some_and(|(stream, _)| peer_hung_up(stream.get_ref()))
            {
                tracing::debug!(
                    peer = peer.index,
                    "peer closed the connection, reconnecting"
                );
                conn = None;
            }
            let (stream, noise) = match &mut conn {
                Some(c) => c,
                None => match connect(&settings, &peer, &mut version_logged).await {
                    Ok(c) => {
                        backoff = MIN_BACKOFF;
                        conn.insert(c)
                    }
                    Err(()) => {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                },
            };
            match tokio::time::timeout(settings.io_timeout, write_frame(stream, noise, &frame))
                .await
            {
                Ok(Ok(())) => break,
                _ => {
                    tracing::debug!(peer = peer.index, "write failed, reconnecting");
                    conn = None;
                }
            }
        }
    }
}

/// Dials `peer` within the I/O timeout. A peer of another version is logged as an error (at most
/// once a minute: the dialer keeps trying, so that the peer is heard as soon as it is upgraded),
/// other failures at debug level.
async fn connect(
    settings: &Settings,
    peer: &PeerConfig,
    version_logged: &mut Option<Instant>,
) -> Result<(RecordStream, snow::TransportState), ()> {
    let reason = match tokio::time::timeout(settings.io_timeout, dial(settings, peer)).await {
        Ok(Ok(c)) => {
            tracing::debug!(me = settings.me, peer = peer.index, "connected");
            *version_logged = None;
            return Ok(c);
        }
        Ok(Err(DialError::Version(theirs))) => {
            let error = version_mismatch(peer.index, theirs, settings.version);
            if log_due(version_logged) {
                tracing::error!(me = settings.me, address = %peer.address, "cannot connect: {error}");
            } else {
                tracing::debug!(me = settings.me, address = %peer.address, "cannot connect: {error}");
            }
            return Err(());
        }
        Ok(Err(DialError::Failed(e))) => e.to_string(),
        Err(_) => "timed out".into(),
    };
    tracing::debug!(peer = peer.index, %reason, "connect failed, retrying");
    Err(())
}

/// Data flows only dialer → listener after the handshake, so a readable socket means EOF or a
/// reset: the peer is gone (e.g. restarted, or it closed this connection for a newer one) and a
/// write would be lost.
fn peer_hung_up(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    !matches!(stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

async fn write_record(stream: &mut RecordStream, record: &[u8]) -> Result<(), MpcError> {
    stream
        .send(Bytes::copy_from_slice(record))
        .await
        .map_err(io_err)
}

async fn read_record(stream: &mut RecordStream) -> Result<bytes::BytesMut, MpcError> {
    match stream.next().await {
        Some(record) => record.map_err(io_err),
        None => Err(MpcError::Transport("connection closed".into())),
    }
}

/// Encrypts a frame into records and writes them in one go.
async fn write_frame(
    stream: &mut RecordStream,
    noise: &mut snow::TransportState,
    frame: &Frame,
) -> Result<(), MpcError> {
    let mut plain = Vec::with_capacity(FRAME_HEADER + frame.payload.len());
    plain.extend_from_slice(&frame.session.0);
    plain.push(if frame.broadcast { FLAG_BROADCAST } else { 0 });
    plain.extend_from_slice(&frame.payload);
    write_chunks(stream, noise, CHUNK_LAST, &plain).await
}

/// Writes `data` as records of `kind` (a frame: "more follows" on all but the last).
async fn write_chunks(
    stream: &mut RecordStream,
    noise: &mut snow::TransportState,
    kind: u8,
    data: &[u8],
) -> Result<(), MpcError> {
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[]]
    } else {
        data.chunks(CHUNK_DATA).collect()
    };
    // Sized for this frame, not for Noise's largest message: most frames are small.
    let largest = chunks.first().map_or(0, |c| c.len()) + 1;
    let mut chunk_plain = Vec::with_capacity(largest);
    let mut cipher = vec![0u8; largest + NOISE_TAG];
    for (i, chunk) in chunks.iter().enumerate() {
        chunk_plain.clear();
        chunk_plain.push(if i + 1 < chunks.len() {
            CHUNK_MORE
        } else {
            kind
        });
        chunk_plain.extend_from_slice(chunk);
        let n = noise
            .write_message(&chunk_plain, &mut cipher)
            .map_err(noise_err)?;
        stream
            .feed(Bytes::copy_from_slice(&cipher[..n]))
            .await
            .map_err(io_err)?;
    }
    SinkExt::<Bytes>::flush(stream).await.map_err(io_err)
}

enum ReadError {
    /// No record within the idle timeout, or a frame not complete within the read timeout.
    Idle,
    Bad(MpcError),
}

impl From<MpcError> for ReadError {
    fn from(e: MpcError) -> Self {
        ReadError::Bad(e)
    }
}

/// Reads one frame, skipping keepalives (calling `heard` for every record, keepalives too);
/// `None` when the peer closed the connection between frames.
async fn read_frame(
    stream: &mut RecordStream,
    noise: &mut snow::TransportState,
    limits: &ConnectionLimits,
    heard: &(dyn Fn() + Sync),
) -> Result<Option<Frame>, ReadError> {
    let mut plain = Vec::new();
    let mut chunk = Vec::new();
    let mut frame_deadline = None;
    loop {
        let deadline =
            frame_deadline.unwrap_or_else(|| tokio::time::Instant::now() + limits.idle_timeout);
        let record = match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => return Err(ReadError::Idle),
            Ok(None) if frame_deadline.is_none() => return Ok(None),
            Ok(None) => {
                return Err(MpcError::Transport("connection closed mid-frame".into()).into())
            }
            Ok(Some(record)) => record.map_err(io_err)?,
        };
        // The plaintext is shorter than the record; most records are small.
        chunk.resize(record.len(), 0);
        let n = noise.read_message(&record, &mut chunk).map_err(noise_err)?;
        heard();
        let (&kind, data) = chunk[..n]
            .split_first()
            .ok_or_else(|| MpcError::Transport("empty record".into()))?;
        match kind {
            CHUNK_KEEPALIVE if frame_deadline.is_none() && data.is_empty() => continue,
            CHUNK_LAST | CHUNK_MORE => {}
            _ => return Err(MpcError::Transport(format!("bad record kind {kind}")).into()),
        }
        frame_deadline.get_or_insert_with(|| tokio::time::Instant::now() + limits.read_timeout);
        plain.extend_from_slice(data);
        if plain.len() > FRAME_HEADER + limits.max_frame_len {
            return Err(MpcError::Transport(format!(
                "frame longer than {} bytes",
                limits.max_frame_len
            ))
            .into());
        }
        if kind == CHUNK_LAST {
            break;
        }
    }
    if plain.len() < FRAME_HEADER {
        return Err(MpcError::Transport("frame shorter than its header".into()).into());
    }
    let payload = plain.split_off(FRAME_HEADER);
    let mut session = [0u8; 32];
    session.copy_from_slice(&plain[..32]);
    Ok(Some(Frame {
        session: SessionId(session),
        broadcast: plain[32] & FLAG_BROADCAST != 0,
        payload,
    }))
}

fn noise_err(e: snow::Error) -> MpcError {
    MpcError::Transport(format!("noise: {e}"))
}

fn io_err(e: std::io::Error) -> MpcError {
    MpcError::Transport(format!("io: {e}"))
}

/// `n` parties on 127.0.0.1 with fresh keys and free ports, each with its bound listener, for
/// tests and benchmarks. Pass each pair to [`TcpTransport::start`]. The ports come from below
/// the ephemeral range ([`super::ports`]): a party restarted on its port must find it free, and
/// an ephemeral port, once released, goes to the next outgoing connection on the machine.
pub async fn loopback_configs(n: u16) -> Result<Vec<(TcpConfig, TcpListener)>, MpcError> {
    let mut listeners = Vec::new();
    let mut keys = Vec::new();
    for _ in 0..n {
        let address = super::ports::free_loopback_address()
            .map_err(|e| MpcError::Transport(format!("free loopback port: {e}")))?;
        listeners.push(
            TcpListener::bind(address)
                .await
                .map_err(|e| MpcError::Transport(format!("bind loopback: {e}")))?,
        );
        keys.push(generate_static_keypair());
    }
    let mut peers = Vec::new();
    for (i, (listener, (_, public))) in listeners.iter().zip(&keys).enumerate() {
        peers.push(PeerConfig {
            index: i as PartyIndex,
            address: listener
                .local_addr()
                .map_err(|e| MpcError::Transport(format!("listener address: {e}")))?
                .to_string(),
            static_public_key: *public,
        });
    }
    Ok(listeners
        .into_iter()
        .zip(keys)
        .enumerate()
        .map(|(i, (listener, (private, _)))| {
            (
                TcpConfig::new(i as PartyIndex, private, peers.clone()),
                listener,
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn limits(only_peer_addresses: bool) -> ConnectionLimits {
        ConnectionLimits {
            reserved_handshakes_per_peer: 2,
            max_handshakes: 7,
            max_handshakes_per_address: 2,
            max_handshakes_per_prefix: 3,
            only_peer_addresses,
            ..ConnectionLimits::default()
        }
    }

    /// Takes slots for `ip` until refused: what it got, and why it was refused.
    fn fill(
        slots: &mut Slots,
        ip: IpAddr,
        limits: &ConnectionLimits,
    ) -> (Vec<SlotKind>, SlotRefusal) {
        let mut got = Vec::new();
        loop {
            match slots.take(ip, limits) {
                Ok(kind) => got.push(kind),
                Err(refusal) => return (got, refusal),
            }
        }
    }

    #[test]
    fn prefixes_are_ipv4_slash_24_and_ipv6_slash_64() {
        assert_eq!(address_prefix(ip("192.0.2.77")), ip("192.0.2.0"));
        assert_eq!(address_prefix(ip("::ffff:192.0.2.77")), ip("192.0.2.0"));
        assert_eq!(
            address_prefix(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_ne!(
            address_prefix(ip("2001:db8:1:2::1")),
            address_prefix(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn strangers_share_limited_slots_and_never_take_a_peers() {
        let limits = limits(false);
        let mut slots = Slots {
            peers_at: HashMap::from([(ip("10.0.0.1"), 1), (ip("10.0.0.2"), 2)]),
            ..Slots::default()
        };
        use SlotKind::*;
        use SlotRefusal::*;
        // Per address, per prefix (IPv4 /24, IPv6 /64), and in all.
        assert_eq!(
            fill(&mut slots, ip("192.0.2.1"), &limits),
            (vec![Shared; 2], PerAddress)
        );
        assert_eq!(
            fill(&mut slots, ip("192.0.2.2"), &limits),
            (vec![Shared], PerPrefix)
        );
        assert_eq!(
            fill(&mut slots, ip("2001:db8::1"), &limits),
            (vec![Shared; 2], PerAddress)
        );
        assert_eq!(
            fill(&mut slots, ip("2001:db8::2"), &limits),
            (vec![Shared], PerPrefix)
        );
        assert_eq!(
            fill(&mut slots, ip("198.51.100.1"), &limits),
            (vec![Shared], Busy)
        );
        // The peers still have their reserved slots (two per peer at an address), and nothing
        // else: the shared slots are all taken.
        assert_eq!(
            fill(&mut slots, ip("10.0.0.1"), &limits),
            (vec![Reserved; 2], Busy)
        );
        assert_eq!(
            fill(&mut slots, ip("::ffff:10.0.0.2"), &limits),
            (vec![Reserved; 4], Busy)
        );
        // A stranger's slot freed goes to the next comer; a peer's freed slot stays its own.
        slots.release(ip("192.0.2.1"), Shared);
        slots.release(ip("10.0.0.1"), Reserved);
        assert_eq!(slots.take(ip("203.0.113.9"), &limits), Ok(Shared));
        assert_eq!(slots.take(ip("203.0.113.9"), &limits), Err(Busy));
        assert_eq!(slots.take(ip("10.0.0.1"), &limits), Ok(Reserved));
    }

    #[test]
    fn a_peer_beyond_its_reserved_slots_shares_like_anyone() {
        let limits = limits(true);
        let mut slots = Slots {
            peers_at: HashMap::from([(ip("10.0.0.1"), 1)]),
            ..Slots::default()
        };
        use SlotKind::*;
        assert_eq!(
            fill(&mut slots, ip("10.0.0.1"), &limits),
            (
                vec![Reserved, Reserved, Shared, Shared],
                SlotRefusal::PerAddress
            )
        );
        // With only_peer_addresses, another address (a neighbour of the peer's too) gets nothing.
        assert_eq!(
            slots.take(ip("10.0.0.3"), &limits),
            Err(SlotRefusal::NotAllowed)
        );
        for kind in [Reserved, Reserved, Shared, Shared] {
            slots.release(ip("10.0.0.1"), kind);
        }
        assert_eq!(slots.shared_used, 0);
        assert!(slots.reserved_used.is_empty() && slots.shared_per_prefix.is_empty());
    }
}
