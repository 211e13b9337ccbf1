//! TCP transport between processes, authenticated and encrypted with Noise.
//!
//! Every party listens on one address and dials each peer it sends to. A connection starts with a
//! `Noise_IK_25519_ChaChaPoly_SHA256` handshake: the dialer pins the listener's static key from
//! the configuration, and the listener accepts only a dialer whose static key is one of its
//! configured peers, which identifies the sending party. Data flows one way on a connection (dialer
//! to listener), so the two directions of a pair reconnect independently when either side restarts.
//!
//! Wire format: records `[u16 big-endian length][Noise message]`. A frame (session id, flags,
//! payload) is split over records whose plaintext starts with a "more follows" byte, so frames may
//! exceed Noise's 64 KiB message limit up to [`MAX_FRAME_LEN`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::router::{Frame, FrameSink, Router, RouterLimits};
use super::{PartyIndex, SessionChannel, SessionId, Transport};
use crate::error::MpcError;

const NOISE_PARAMS: &str = "Noise_IK_25519_ChaChaPoly_SHA256";
/// Binds handshakes to this protocol and version.
const PROLOGUE: &[u8] = b"mpc-party/tcp/v1";
const NOISE_MAX_MSG: usize = 65535;
const NOISE_TAG: usize = 16;
/// Plaintext bytes of one record: one "more follows" byte, then data.
const CHUNK_DATA: usize = NOISE_MAX_MSG - NOISE_TAG - 1;
/// Largest frame accepted; a peer announcing more is cut off.
pub const MAX_FRAME_LEN: usize = 32 * 1024 * 1024;
const FRAME_HEADER: usize = 32 + 1;
const FLAG_BROADCAST: u8 = 1;

/// A peer as the configuration knows it.
#[derive(Clone, Debug)]
pub struct PeerConfig {
    pub index: PartyIndex,
    /// `host:port` the peer listens on.
    pub address: String,
    /// The peer's Noise static public key (X25519), pinned.
    pub static_public_key: [u8; 32],
}

/// One party's TCP transport configuration.
#[derive(Clone, Debug)]
pub struct TcpConfig {
    pub me: PartyIndex,
    /// This party's Noise static private key (X25519).
    pub static_private_key: [u8; 32],
    /// The other parties (entries with `index == me` are ignored).
    pub peers: Vec<PeerConfig>,
    pub limits: RouterLimits,
    /// Bound on connecting plus the handshake, and on writing one frame.
    pub io_timeout: Duration,
    /// Frames not sent within this time (peer down) are dropped rather than delivered stale.
    pub frame_ttl: Duration,
    /// Frames queued per peer; more are dropped while the peer is unreachable.
    pub peer_queue: usize,
}

impl TcpConfig {
    pub fn new(me: PartyIndex, static_private_key: [u8; 32], peers: Vec<PeerConfig>) -> Self {
        Self {
            me,
            static_private_key,
            peers,
            limits: RouterLimits::default(),
            io_timeout: Duration::from_secs(5),
            frame_ttl: Duration::from_secs(30),
            peer_queue: 4096,
        }
    }
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

fn noise_builder() -> Result<snow::Builder<'static>, MpcError> {
    let params = NOISE_PARAMS
        .parse()
        .map_err(|e| MpcError::Transport(format!("noise params: {e}")))?;
    Ok(snow::Builder::new(params).prologue(PROLOGUE))
}

/// A party's TCP transport. Dropping it stops its listener, connections and writers.
pub struct TcpTransport {
    me: PartyIndex,
    router: Arc<Router>,
    sink: Arc<PeerQueues>,
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
        let router = Arc::new(Router::new(me, config.limits.clone()));
        let settings = Arc::new(Settings {
            me,
            static_private_key: config.static_private_key,
            io_timeout: config.io_timeout,
            frame_ttl: config.frame_ttl,
            max_inbound: 4 * peers.len() + 16,
        });
        let mut tasks = Vec::new();
        let mut queues = HashMap::new();
        for peer in peers {
            let (tx, rx) = mpsc::channel(config.peer_queue);
            queues.insert(peer.index, tx);
            tasks.push(tokio::spawn(peer_writer(settings.clone(), peer, rx)).abort_handle());
        }
        tasks.push(
            tokio::spawn(accept_loop(
                settings,
                listener,
                Arc::new(known),
                router.clone(),
            ))
            .abort_handle(),
        );
        tracing::info!(me, %local_addr, "tcp transport listening");
        Ok(Self {
            me,
            router,
            sink: Arc::new(PeerQueues { queues }),
            local_addr,
            tasks,
        })
    }

    /// The address the transport listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
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
}

struct Settings {
    me: PartyIndex,
    static_private_key: [u8; 32],
    io_timeout: Duration,
    frame_ttl: Duration,
    max_inbound: usize,
}

/// Accepts connections; each one serves frames from one authenticated peer.
async fn accept_loop(
    settings: Arc<Settings>,
    listener: TcpListener,
    known: Arc<HashMap<[u8; 32], PartyIndex>>,
    router: Arc<Router>,
) {
    // Owned here, so aborting this task aborts every connection it serves.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, addr)) => {
                    if connections.len() >= settings.max_inbound {
                        tracing::warn!(%addr, "too many inbound connections, refusing");
                        continue;
                    }
                    connections.spawn(serve_inbound(
                        settings.clone(),
                        stream,
                        addr,
                        known.clone(),
                        router.clone(),
                    ));
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
    settings: Arc<Settings>,
    mut stream: TcpStream,
    addr: SocketAddr,
    known: Arc<HashMap<[u8; 32], PartyIndex>>,
    router: Arc<Router>,
) {
    let handshake = tokio::time::timeout(
        settings.io_timeout,
        respond_handshake(&settings, &mut stream, &known),
    )
    .await;
    let (peer, mut noise) = match handshake {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            tracing::warn!(%addr, error = %e, "refused inbound connection");
            return;
        }
        Err(_) => {
            tracing::warn!(%addr, "inbound handshake timed out");
            return;
        }
    };
    tracing::debug!(me = settings.me, peer, %addr, "inbound connection authenticated");
    loop {
        match read_frame(&mut stream, &mut noise).await {
            Ok(Some(frame)) => router.deliver(peer, frame),
            Ok(None) => {
                tracing::debug!(peer, "inbound connection closed");
                return;
            }
            Err(e) => {
                // The Noise state cannot recover from a bad record: drop the connection.
                tracing::warn!(peer, error = %e, "dropping inbound connection");
                return;
            }
        }
    }
}

/// Listener side of the IK handshake: accepts only a configured peer, whose claimed index must
/// match its pinned key.
async fn respond_handshake(
    settings: &Settings,
    stream: &mut TcpStream,
    known: &HashMap<[u8; 32], PartyIndex>,
) -> Result<(PartyIndex, snow::TransportState), MpcError> {
    let mut hs = noise_builder()?
        .local_private_key(&settings.static_private_key)
        .build_responder()
        .map_err(noise_err)?;
    let first = read_record(stream).await?;
    let mut buf = vec![0u8; NOISE_MAX_MSG];
    let n = hs.read_message(&first, &mut buf).map_err(noise_err)?;
    let remote = hs
        .get_remote_static()
        .ok_or_else(|| MpcError::Transport("peer sent no static key".into()))?;
    let peer = *known.get(remote).ok_or_else(|| {
        MpcError::Transport(format!("unknown static key {}", hex::encode(remote)))
    })?;
    let claimed = <[u8; 2]>::try_from(&buf[..n])
        .map(u16::from_be_bytes)
        .map_err(|_| MpcError::Transport("bad handshake payload".into()))?;
    if claimed != peer {
        return Err(MpcError::Transport(format!(
            "peer with the key of {peer} claims to be {claimed}"
        )));
    }
    let n = hs.write_message(&[], &mut buf).map_err(noise_err)?;
    write_record(stream, &buf[..n]).await?;
    Ok((peer, hs.into_transport_mode().map_err(noise_err)?))
}

/// Dialer side: connects to `peer`, pinning its static key.
async fn dial(
    settings: &Settings,
    peer: &PeerConfig,
) -> Result<(TcpStream, snow::TransportState), MpcError> {
    let mut stream = TcpStream::connect(&peer.address)
        .await
        .map_err(|e| MpcError::Transport(format!("connect {}: {e}", peer.address)))?;
    stream
        .set_nodelay(true)
        .map_err(|e| MpcError::Transport(format!("nodelay: {e}")))?;
    let mut hs = noise_builder()?
        .local_private_key(&settings.static_private_key)
        .remote_public_key(&peer.static_public_key)
        .build_initiator()
        .map_err(noise_err)?;
    let mut buf = vec![0u8; NOISE_MAX_MSG];
    let n = hs
        .write_message(&settings.me.to_be_bytes(), &mut buf)
        .map_err(noise_err)?;
    write_record(&mut stream, &buf[..n]).await?;
    let reply = read_record(&mut stream).await?;
    hs.read_message(&reply, &mut buf).map_err(noise_err)?;
    Ok((stream, hs.into_transport_mode().map_err(noise_err)?))
}

/// Sends the frames queued for one peer, (re)connecting as needed.
async fn peer_writer(
    settings: Arc<Settings>,
    peer: PeerConfig,
    mut queue: mpsc::Receiver<(Instant, Frame)>,
) {
    const MIN_BACKOFF: Duration = Duration::from_millis(50);
    const MAX_BACKOFF: Duration = Duration::from_secs(2);
    let mut conn: Option<(TcpStream, snow::TransportState)> = None;
    let mut backoff = MIN_BACKOFF;
    while let Some((queued_at, frame)) = queue.recv().await {
        loop {
            if queued_at.elapsed() > settings.frame_ttl {
                tracing::warn!(peer = peer.index, session = %frame.session, "peer unreachable, dropping stale frame");
                break;
            }
            if conn
                .as_ref()
                .is_some_and(|(stream, _)| peer_hung_up(stream))
            {
                tracing::debug!(
                    peer = peer.index,
                    "peer closed the connection, reconnecting"
                );
                conn = None;
            }
            let (stream, noise) = match &mut conn {
                Some(c) => c,
                None => {
                    match tokio::time::timeout(settings.io_timeout, dial(&settings, &peer)).await {
                        Ok(Ok(c)) => {
                            tracing::debug!(me = settings.me, peer = peer.index, "connected");
                            backoff = MIN_BACKOFF;
                            conn.insert(c)
                        }
                        failed => {
                            let reason = match failed {
                                Ok(Err(e)) => e.to_string(),
                                _ => "timed out".into(),
                            };
                            tracing::debug!(peer = peer.index, %reason, "connect failed, retrying");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                            continue;
                        }
                    }
                }
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

/// Data flows only dialer → listener after the handshake, so a readable socket means EOF or a
/// reset: the peer is gone (e.g. restarted) and a write would be lost.
fn peer_hung_up(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    !matches!(stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

async fn write_record(stream: &mut TcpStream, record: &[u8]) -> Result<(), MpcError> {
    let len =
        u16::try_from(record.len()).map_err(|_| MpcError::Transport("record too long".into()))?;
    let mut out = Vec::with_capacity(2 + record.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(record);
    stream.write_all(&out).await.map_err(io_err)
}

async fn read_record(stream: &mut TcpStream) -> Result<Vec<u8>, MpcError> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await.map_err(io_err)?;
    let mut record = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut record).await.map_err(io_err)?;
    Ok(record)
}

/// Encrypts a frame into records and writes them in one go.
async fn write_frame(
    stream: &mut TcpStream,
    noise: &mut snow::TransportState,
    frame: &Frame,
) -> Result<(), MpcError> {
    let mut plain = Vec::with_capacity(FRAME_HEADER + frame.payload.len());
    plain.extend_from_slice(&frame.session.0);
    plain.push(if frame.broadcast { FLAG_BROADCAST } else { 0 });
    plain.extend_from_slice(&frame.payload);
    let chunks: Vec<&[u8]> = plain.chunks(CHUNK_DATA).collect();
    let mut out = Vec::with_capacity(plain.len() + chunks.len() * (3 + NOISE_TAG));
    let mut chunk_plain = Vec::with_capacity(CHUNK_DATA + 1);
    let mut cipher = vec![0u8; NOISE_MAX_MSG];
    for (i, chunk) in chunks.iter().enumerate() {
        chunk_plain.clear();
        chunk_plain.push(u8::from(i + 1 < chunks.len()));
        chunk_plain.extend_from_slice(chunk);
        let n = noise
            .write_message(&chunk_plain, &mut cipher)
            .map_err(noise_err)?;
        out.extend_from_slice(&(n as u16).to_be_bytes());
        out.extend_from_slice(&cipher[..n]);
    }
    stream.write_all(&out).await.map_err(io_err)
}

/// Reads one frame; `None` when the peer closed the connection between frames.
async fn read_frame(
    stream: &mut TcpStream,
    noise: &mut snow::TransportState,
) -> Result<Option<Frame>, MpcError> {
    let mut plain = Vec::new();
    let mut chunk = vec![0u8; NOISE_MAX_MSG];
    loop {
        let record = match read_record(stream).await {
            Ok(r) => r,
            Err(_) if plain.is_empty() => return Ok(None),
            Err(e) => return Err(e),
        };
        let n = noise.read_message(&record, &mut chunk).map_err(noise_err)?;
        let (&more, data) = chunk[..n]
            .split_first()
            .ok_or_else(|| MpcError::Transport("empty record".into()))?;
        plain.extend_from_slice(data);
        if plain.len() > FRAME_HEADER + MAX_FRAME_LEN {
            return Err(MpcError::Transport("frame too long".into()));
        }
        if more == 0 {
            break;
        }
    }
    if plain.len() < FRAME_HEADER {
        return Err(MpcError::Transport("frame shorter than its header".into()));
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
/// tests and benchmarks. Pass each pair to [`TcpTransport::start`].
pub async fn loopback_configs(n: u16) -> Result<Vec<(TcpConfig, TcpListener)>, MpcError> {
    let mut listeners = Vec::new();
    let mut keys = Vec::new();
    for _ in 0..n {
        listeners.push(
            TcpListener::bind("127.0.0.1:0")
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
