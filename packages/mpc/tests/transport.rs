//! Transport behaviour: authenticated senders, routing by session, buffering, large frames,
//! refusal of unknown peers and of peers of another protocol version, reconnection after a
//! restart.

mod net_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mpc_party::transport::memory::MemoryNetwork;
use mpc_party::transport::tcp::{
    generate_static_keypair, loopback_configs, PeerConfig, TcpConfig, TcpTransport,
    PROTOCOL_VERSION,
};
use mpc_party::transport::{RouterLimits, SessionChannel, SessionId, Transport};
use mpc_party::MpcError;
use net_support::{eventually, rebind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(5);

async fn tcp_cluster(n: u16) -> (Vec<TcpTransport>, Vec<TcpConfig>) {
    let mut transports = Vec::new();
    let mut configs = Vec::new();
    for (config, listener) in loopback_configs(n).await.unwrap() {
        configs.push(config.clone());
        transports.push(TcpTransport::start(config, listener).unwrap());
    }
    (transports, configs)
}

async fn recv(channel: &mut SessionChannel) -> mpc_party::Message {
    channel.recv_timeout("test", WAIT, &[]).await.unwrap()
}

fn session(n: u64) -> SessionId {
    SessionId::new("wasm1test", "sign", n, 0)
}

#[tokio::test]
async fn tcp_delivers_point_to_point_and_broadcast_with_the_sender() {
    let (net, _) = tcp_cluster(3).await;
    let mut chans = Vec::new();
    for t in &net {
        chans.push(t.open_session(session(1), vec![2, 0, 1]).await.unwrap());
    }
    assert_eq!(chans[0].participants, vec![0, 1, 2]);
    chans[0].send(Some(2), b"to two".to_vec()).await.unwrap();
    chans[1].send(None, b"to all".to_vec()).await.unwrap();

    let m = recv(&mut chans[2]).await;
    let n = recv(&mut chans[2]).await;
    let mut got = vec![
        (m.from, m.broadcast, m.payload),
        (n.from, n.broadcast, n.payload),
    ];
    got.sort();
    assert_eq!(
        got,
        vec![
            (0, false, b"to two".to_vec()),
            (1, true, b"to all".to_vec())
        ]
    );
    let m = recv(&mut chans[0]).await;
    assert_eq!(
        (m.from, m.broadcast, m.payload),
        (1, true, b"to all".to_vec())
    );
    // Party 1 got nothing (its own broadcast is not echoed back, party 0 wrote only to 2).
    assert!(matches!(
        chans[1]
            .recv_timeout("idle", Duration::from_millis(200), &[])
            .await,
        Err(MpcError::Timeout { .. })
    ));
}

#[tokio::test]
async fn concurrent_sessions_do_not_mix_and_early_messages_wait_for_open() {
    let (net, _) = tcp_cluster(2).await;
    let a0 = net[0].open_session(session(1), vec![0, 1]).await.unwrap();
    let b0 = net[0].open_session(session(2), vec![0, 1]).await.unwrap();
    for i in 0..20u8 {
        a0.send(Some(1), vec![b'a', i]).await.unwrap();
        b0.send(Some(1), vec![b'b', i]).await.unwrap();
    }
    // Party 1 opens its sessions only after the messages were sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut b1 = net[1].open_session(session(2), vec![0, 1]).await.unwrap();
    let mut a1 = net[1].open_session(session(1), vec![0, 1]).await.unwrap();
    for i in 0..20u8 {
        assert_eq!(recv(&mut a1).await.payload, vec![b'a', i]);
        assert_eq!(recv(&mut b1).await.payload, vec![b'b', i]);
    }
}

#[tokio::test]
async fn frames_larger_than_a_noise_message_arrive_whole() {
    let (net, _) = tcp_cluster(2).await;
    let c0 = net[0].open_session(session(3), vec![0, 1]).await.unwrap();
    let mut c1 = net[1].open_session(session(3), vec![0, 1]).await.unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    c0.send(Some(1), big.clone()).await.unwrap();
    c0.send(Some(1), Vec::new()).await.unwrap();
    assert_eq!(recv(&mut c1).await.payload, big);
    assert_eq!(recv(&mut c1).await.payload, Vec::<u8>::new());
}

#[tokio::test]
async fn a_peer_with_an_unknown_key_is_refused() {
    let (net, configs) = tcp_cluster(2).await;
    let mut c1 = net[1].open_session(session(4), vec![0, 1]).await.unwrap();
    // An impostor claims to be party 0 but holds another static key: party 1 pins 0's key.
    let (impostor_key, _) = mpc_party::transport::tcp::generate_static_keypair();
    let mut impostor = configs[0].clone();
    impostor.static_private_key = impostor_key.into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let impostor = TcpTransport::start(impostor, listener).unwrap();
    let chan = impostor.open_session(session(4), vec![0, 1]).await.unwrap();
    chan.send(Some(1), b"forged".to_vec()).await.unwrap();
    // Garbage on a raw TCP connection does not disturb the listener either.
    let mut raw = tokio::net::TcpStream::connect(&configs[1].peers[1].address)
        .await
        .unwrap();
    raw.write_all(&[0, 5, 1, 2, 3, 4, 5, 0xff, 0xff])
        .await
        .unwrap();
    assert!(matches!(
        c1.recv_timeout("forged", Duration::from_millis(500), &[0])
            .await,
        Err(MpcError::Timeout { .. })
    ));
    // The real party 0 still gets through.
    let c0 = net[0].open_session(session(4), vec![0, 1]).await.unwrap();
    c0.send(Some(1), b"genuine".to_vec()).await.unwrap();
    let m = recv(&mut c1).await;
    assert_eq!((m.from, m.payload), (0, b"genuine".to_vec()));
}

#[tokio::test]
async fn sender_reconnects_when_the_peer_restarts() {
    let (mut net, configs) = tcp_cluster(2).await;
    let c0 = net[0].open_session(session(5), vec![0, 1]).await.unwrap();
    {
        let mut c1 = net[1].open_session(session(5), vec![0, 1]).await.unwrap();
        c0.send(Some(1), b"before".to_vec()).await.unwrap();
        assert_eq!(recv(&mut c1).await.payload, b"before");
    }
    // Party 1 restarts on the same address.
    let address: std::net::SocketAddr = configs[0].peers[1].address.parse().unwrap();
    drop(net.pop());
    let restarted = TcpTransport::start(configs[1].clone(), rebind(address).await).unwrap();
    let mut c1 = restarted
        .open_session(session(6), vec![0, 1])
        .await
        .unwrap();
    let c0 = {
        drop(c0);
        net[0].open_session(session(6), vec![0, 1]).await.unwrap()
    };
    c0.send(Some(1), b"after".to_vec()).await.unwrap();
    assert_eq!(recv(&mut c1).await.payload, b"after");
}

#[tokio::test]
async fn sessions_need_configured_participants_including_me() {
    let (net, _) = tcp_cluster(2).await;
    assert!(matches!(
        net[0].open_session(session(7), vec![0, 5]).await,
        Err(MpcError::InvalidRequest(_))
    ));
    assert!(matches!(
        net[0].open_session(session(7), vec![1]).await,
        Err(MpcError::InvalidRequest(_))
    ));
    let _open = net[0].open_session(session(7), vec![0, 1]).await.unwrap();
    assert!(matches!(
        net[0].open_session(session(7), vec![0, 1]).await,
        Err(MpcError::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn buffers_for_unopened_sessions_are_bounded_per_peer() {
    let net = MemoryNetwork::with_limits(
        3,
        RouterLimits {
            max_pending_sessions_per_peer: 2,
            max_pending_per_sender: 3,
            ..RouterLimits::default()
        },
    );
    let (p0, p1, p2) = (net.party(0), net.party(1), net.party(2));
    for s in 1..=3 {
        let c = p0.open_session(session(s), vec![0, 1]).await.unwrap();
        for i in 0..5u8 {
            c.send(Some(1), vec![i]).await.unwrap();
        }
    }
    // Another peer's messages are not pushed out by party 0's.
    let c = p2.open_session(session(9), vec![1, 2]).await.unwrap();
    c.send(Some(1), b"honest".to_vec()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Sessions 1 and 2 kept their first 3 messages; session 3 was over party 0's limit.
    for s in 1..=2 {
        let mut c = p1.open_session(session(s), vec![0, 1]).await.unwrap();
        for i in 0..3u8 {
            assert_eq!(recv(&mut c).await.payload, vec![i]);
        }
        assert!(c
            .recv_timeout("dropped", Duration::from_millis(100), &[0])
            .await
            .is_err());
    }
    let mut c3 = p1.open_session(session(3), vec![0, 1]).await.unwrap();
    assert!(c3
        .recv_timeout("refused", Duration::from_millis(100), &[0])
        .await
        .is_err());
    let mut c9 = p1.open_session(session(9), vec![1, 2]).await.unwrap();
    assert_eq!(recv(&mut c9).await.payload, b"honest");
}

#[tokio::test]
async fn messages_from_non_participants_are_dropped() {
    let net = MemoryNetwork::new(3);
    let mut c0 = net
        .party(0)
        .open_session(session(8), vec![0, 1])
        .await
        .unwrap();
    let outsider = net
        .party(2)
        .open_session(session(8), vec![0, 2])
        .await
        .unwrap();
    outsider.send(Some(0), b"outsider".to_vec()).await.unwrap();
    let c1 = net
        .party(1)
        .open_session(session(8), vec![0, 1])
        .await
        .unwrap();
    c1.send(Some(0), b"member".to_vec()).await.unwrap();
    let m = recv(&mut c0).await;
    assert_eq!((m.from, m.payload), (1, b"member".to_vec()));
    assert!(c0
        .recv_timeout("nothing more", Duration::from_millis(100), &[])
        .await
        .is_err());
}

#[tokio::test]
async fn a_duplicate_connection_replaces_the_old_one_without_breaking_the_session() {
    let (net, configs) = tcp_cluster(2).await;
    let mut c1 = net[1].open_session(session(10), vec![0, 1]).await.unwrap();
    let c0 = net[0].open_session(session(10), vec![0, 1]).await.unwrap();
    c0.send(Some(1), b"before".to_vec()).await.unwrap();
    assert_eq!(recv(&mut c1).await.payload, b"before");

    // A second instance with party 0's key (a restarted process, say) connects to party 1.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let duplicate = TcpTransport::start(configs[0].clone(), listener).unwrap();
    let d0 = duplicate
        .open_session(session(10), vec![0, 1])
        .await
        .unwrap();
    d0.send(Some(1), b"from the duplicate".to_vec())
        .await
        .unwrap();
    let m = recv(&mut c1).await;
    assert_eq!((m.from, m.payload), (0, b"from the duplicate".to_vec()));
    let listener_stats = || net[1].stats().listener;
    assert_eq!(listener_stats().replaced, 1);
    eventually("the old connection closing", || {
        listener_stats().authenticated.get(&0) == Some(&1)
    })
    .await;

    // The original party 0 goes on in the same session: its next frame arrives (over a new
    // connection, which in turn replaces the duplicate's).
    c0.send(Some(1), b"after".to_vec()).await.unwrap();
    let m = recv(&mut c1).await;
    assert_eq!((m.from, m.payload), (0, b"after".to_vec()));
    assert_eq!(listener_stats().replaced, 2);
}

#[tokio::test]
async fn idle_connections_close_unless_the_dialer_keeps_them_alive() {
    let mut configs = loopback_configs(3).await.unwrap();
    // Party 0 listens with a short idle timeout. Party 1 dials it and keeps the connection alive;
    // party 2 dials it but sends its keepalives far too rarely.
    configs[0].0.connections.idle_timeout = Duration::from_millis(400);
    configs[0].0.connections.keepalive = Duration::from_millis(100);
    configs[1].0.connections.keepalive = Duration::from_millis(100);
    configs[2].0.connections.keepalive = Duration::from_secs(30);
    let net: Vec<TcpTransport> = configs
        .into_iter()
        .map(|(config, listener)| TcpTransport::start(config, listener).unwrap())
        .collect();
    let mut c0 = net[0]
        .open_session(session(11), vec![0, 1, 2])
        .await
        .unwrap();
    for sender in [1, 2] {
        let c = net[sender]
            .open_session(session(11), vec![0, 1, 2])
            .await
            .unwrap();
        c.send(Some(0), b"hello".to_vec()).await.unwrap();
        assert_eq!(recv(&mut c0).await.payload, b"hello");
    }
    let stats = || net[0].stats().listener;
    eventually("party 2's idle connection closing", || {
        stats().idle_closed == 1 && !stats().authenticated.contains_key(&2)
    })
    .await;
    // Party 1's connection outlived several idle timeouts on keepalives alone.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(stats().idle_closed, 1);
    assert_eq!(stats().authenticated.get(&1), Some(&1));
}

/// Collects what this thread's tasks log (a current-thread runtime runs them all here), as an
/// operator reads it.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn capture() -> (Self, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn lines_with(&self, text: &str) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|line| line.contains(text))
            .map(str::to_string)
            .collect()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn version_error(peer: u16, theirs: u16, mine: u16) -> String {
    format!(
        "peer {peer} speaks MPC protocol version {theirs}, this party speaks {mine}: upgrade \
         every party of the federation to the same version"
    )
}

#[tokio::test]
async fn a_party_of_another_version_is_refused_by_both_sides_naming_both_versions() {
    let (logs, _guard) = Logs::capture();
    const NEWER: u16 = PROTOCOL_VERSION + 1;
    let mut configs = loopback_configs(2).await.unwrap();
    configs[1].0.protocol_version = NEWER;
    let net: Vec<TcpTransport> = configs
        .into_iter()
        .map(|(config, listener)| TcpTransport::start(config, listener).unwrap())
        .collect();
    // Each dials the other: each listener refuses the other's version and tells it its own.
    let at_0 = version_error(1, NEWER, PROTOCOL_VERSION);
    let at_1 = version_error(0, PROTOCOL_VERSION, NEWER);
    eventually("both sides logging the refusal", || {
        [&at_0, &at_1].iter().all(|error| {
            let lines = logs.lines_with(error);
            lines
                .iter()
                .any(|l| l.contains("ERROR") && l.contains("refused inbound"))
                && lines
                    .iter()
                    .any(|l| l.contains("ERROR") && l.contains("cannot connect"))
        })
    })
    .await;
    for (p, theirs) in [(0usize, NEWER), (1, PROTOCOL_VERSION)] {
        let listener = net[p].stats().listener;
        assert!(listener.refused_version >= 1, "party {p}: {listener:?}");
        assert_eq!(
            listener
                .peer_versions_refused
                .into_iter()
                .collect::<Vec<_>>(),
            vec![(1 - p as u16, theirs)]
        );
        assert!(listener.authenticated.is_empty(), "party {p}");
        assert_eq!(listener.failed_handshakes, 0, "party {p}");
    }
    // Neither hears the other, so neither picks the other as a signer; nothing gets through.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!((net[0].live(), net[1].live()), (vec![0], vec![1]));
    let c0 = net[0].open_session(session(12), vec![0, 1]).await.unwrap();
    let mut c1 = net[1].open_session(session(12), vec![0, 1]).await.unwrap();
    c0.send(Some(1), b"across versions".to_vec()).await.unwrap();
    assert!(matches!(
        c1.recv_timeout("nothing", Duration::from_millis(500), &[0])
            .await,
        Err(MpcError::Timeout { .. })
    ));
    // Once a minute at most: the dialers keep trying every second, the log does not repeat.
    for error in [&at_0, &at_1] {
        assert_eq!(logs.lines_with(error).len(), 2, "{error}");
    }
}

#[tokio::test]
async fn a_party_of_version_2_is_named_by_its_version() {
    let (logs, _guard) = Logs::capture();
    // Party 1 listens; party 0 runs version 2, which carried its version in the Noise prologue
    // ("mpc-party/tcp/v2", the bytes kept since) and sent its index and a timestamp.
    let (old_private, old_public) = generate_static_keypair();
    let (private, public) = generate_static_keypair();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let peers = vec![
        PeerConfig {
            index: 0,
            address: "127.0.0.1:9".into(),
            static_public_key: old_public,
        },
        PeerConfig {
            index: 1,
            address: address.to_string(),
            static_public_key: public,
        },
    ];
    let party = TcpTransport::start(TcpConfig::new(1, private, peers), listener).unwrap();
    let mut prologue = b"mpc-party/tcp/v2".to_vec();
    prologue.extend_from_slice(&0u64.to_be_bytes()); // the empty federation, length-prefixed
    let mut hs = snow::Builder::new("Noise_IK_25519_ChaChaPoly_SHA256".parse().unwrap())
        .prologue(&prologue)
        .local_private_key(&old_private)
        .remote_public_key(&public)
        .build_initiator()
        .unwrap();
    let mut payload = 0u16.to_be_bytes().to_vec();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    payload.extend_from_slice(&(now.as_nanos() as u64).to_be_bytes());
    let mut message = vec![0u8; 1024];
    let n = hs.write_message(&payload, &mut message).unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(&(n as u16).to_be_bytes()).await.unwrap();
    stream.write_all(&message[..n]).await.unwrap();
    // Closed without a reply (version 2 would not read one).
    let mut rest = Vec::new();
    let read = tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?} {rest:?}");
    let listener = party.stats().listener;
    assert_eq!(
        (listener.refused_version, listener.failed_handshakes),
        (1, 0)
    );
    let error = version_error(0, 2, PROTOCOL_VERSION);
    assert_eq!(logs.lines_with(&error).len(), 1, "{error}");
}
