//! The parties' network under attack, on loopback TCP: slow, half-open and replayed connections
//! from someone who can reach the MPC ports (holding every handshake slot it can get while a
//! party restarts), and an authenticated peer flooding a party with maximum-size frames and
//! random session ids, or filling the buffer of a session the others open later. The honest
//! parties still sign, and what the attackers hold is read from the transports' own accounting.
//!
//! The attacker connects from other loopback addresses (127.0.0.2 and up) than the honest
//! parties (127.0.0.1), as it would from other hosts; the listeners then let strangers in
//! (`only_peer_addresses = false`, as for peers behind NAT), else they would be refused at once.

mod ecdsa_support;
mod net_support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ecdsa_support::{keygen_all, load_aux_5, sign_with};
use mpc_party::eddsa;
use mpc_party::transport::tcp::{
    loopback_configs, ConnectionLimits, ListenerStats, TcpConfig, TcpTransport, TransportStats,
};
use mpc_party::transport::{PartyIndex, RouterLimits, SessionChannel, SessionId, Transport};
use mpc_party::MpcError;
use net_support::{connect_from, eventually, rebind, until_live};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const STEP: Duration = Duration::from_secs(5);
const CONTRACT: &str = "wasm1attack";

/// Starts a transport per configuration.
fn start(configs: Vec<(TcpConfig, TcpListener)>) -> Vec<Option<Arc<TcpTransport>>> {
    configs
        .into_iter()
        .map(|(config, listener)| Some(Arc::new(TcpTransport::start(config, listener).unwrap())))
        .collect()
}

fn transport(transports: &[Option<Arc<TcpTransport>>], p: PartyIndex) -> &TcpTransport {
    transports[p as usize].as_ref().unwrap()
}

/// Parties 0 and 1's channels of one signing session (of request `request_id`).
async fn pair_session(
    transports: &[Option<Arc<TcpTransport>>],
    request_id: u64,
) -> (SessionChannel, SessionChannel) {
    let session = SessionId::new(CONTRACT, "sign", request_id, 0);
    let mut channels = Vec::new();
    for p in [0, 1] {
        channels.push(
            transport(transports, p)
                .open_session(session, vec![0, 1])
                .await
                .unwrap(),
        );
    }
    let c1 = channels.pop().unwrap();
    (channels.pop().unwrap(), c1)
}

/// Forwards connections to `upstream`, recording the first record (the Noise handshake's first
/// message) of each: what an eavesdropper on the path would capture.
async fn recording_proxy(upstream: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let captured = Arc::new(Mutex::new(Vec::new()));
    let record = captured.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut len = [0u8; 2];
                client.read_exact(&mut len).await?;
                let mut first = len.to_vec();
                first.resize(2 + u16::from_be_bytes(len) as usize, 0);
                client.read_exact(&mut first[2..]).await?;
                record.lock().unwrap().push(first.clone());
                let mut server = TcpStream::connect(upstream).await?;
                server.write_all(&first).await?;
                tokio::io::copy_bidirectional(&mut client, &mut server).await
            });
        }
    });
    (address, captured)
}

/// Parties `signers` run FROST key generation among all of `parties` then sign one message.
async fn frost_keygen_and_sign(
    transports: &[Option<Arc<TcpTransport>>],
    parties: &[PartyIndex],
    signers: &[PartyIndex],
    request_id: u64,
) {
    let keygen = SessionId::new(CONTRACT, "key", request_id, 0);
    let runs = parties.iter().map(|p| async move {
        let mut channel = transport(transports, *p)
            .open_session(keygen, parties.to_vec())
            .await?;
        eddsa::keygen(&mut channel, signers.len() as u16, STEP).await
    });
    let shares = futures::future::try_join_all(runs).await.unwrap();
    let sign = SessionId::new(CONTRACT, "sign", request_id, 0);
    let message = vec![b"transfer under attack".to_vec()];
    let runs = signers.iter().map(|p| {
        let share = &shares[parties.iter().position(|q| q == p).unwrap()];
        let message = &message;
        async move {
            let channel = transport(transports, *p)
                .open_session(sign, signers.to_vec())
                .await?;
            eddsa::sign(channel, share, message, STEP).await
        }
    });
    let signatures = futures::future::try_join_all(runs).await.unwrap();
    assert!(shares[0].verify(&message[0], &signatures[0][0]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_half_open_and_replayed_connections_hold_no_slot_and_parties_still_sign() {
    const PER_PARTY: usize = 40; // 200 connections over 5 parties
    const REPLAYS: u64 = 20;
    let mut configs = loopback_configs(5).await.unwrap();
    let addresses: Vec<SocketAddr> = configs
        .iter()
        .map(|(_, l)| l.local_addr().unwrap())
        .collect();
    for (config, _) in &mut configs {
        config.connections.handshake_timeout = Duration::from_millis(500);
        config.connections.only_peer_addresses = false;
    }
    // Party 0 reaches party 1 through a proxy that captures its handshakes.
    let (proxy, captured) = recording_proxy(addresses[1]).await;
    configs[0].0.peers[1].address = proxy.to_string();
    let transports = start(configs);
    let limits = ConnectionLimits::default();

    // 200 connections from one attacker host: half never send a byte, half start a record and
    // stall.
    let mut held = Vec::new();
    for (i, address) in addresses.iter().cycle().take(5 * PER_PARTY).enumerate() {
        let mut stream = connect_from("127.0.0.2", *address).await.unwrap();
        if i % 2 == 0 {
            stream.write_all(&[0x00]).await.unwrap();
        }
        held.push(stream);
    }

    // Key generation and signing among the five, while the attacker holds its connections.
    frost_keygen_and_sign(&transports, &[0, 1, 2, 3, 4], &[0, 1, 3], 1).await;

    // The attacker replays the captured handshake of party 0 to party 1, from another host.
    let first = captured.lock().unwrap()[0].clone();
    for _ in 0..REPLAYS {
        let mut replay = connect_from("127.0.0.3", addresses[1]).await.unwrap();
        replay.write_all(&first).await.unwrap();
        let mut rest = Vec::new();
        // Refused: the listener closes the connection without an answer.
        let read = tokio::time::timeout(STEP, replay.read_to_end(&mut rest)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    }

    // ECDSA too (aux info of the five from the fixture): keygen 2-of-5 and one signing.
    let aux = load_aux_5();
    let shares = keygen_all(&transports, &aux, 2, 2).await;
    let hash = [7u8; 32];
    let signed = sign_with(&transports, &shares, &[2, 4], &[hash], 2).await;
    assert!(mpc_party::ecdsa::verify(&shares[2], &hash, &signed[0][0]));

    // What the attacker holds: at most its per-address handshake slots, until they time out.
    let stats: Vec<TransportStats> = (0..5).map(|p| transport(&transports, p).stats()).collect();
    for (p, s) in stats.iter().enumerate() {
        let l = &s.listener;
        assert!(
            l.refused_per_address >= (PER_PARTY - limits.max_handshakes_per_address) as u64,
            "party {p}: {l:?}"
        );
        // Every authenticated connection is an honest peer's, one each.
        assert!(
            l.authenticated
                .iter()
                .all(|(peer, n)| *peer != p as PartyIndex && *n == 1),
            "party {p}: {l:?}"
        );
        assert_eq!(l.replaced, 0, "party {p}: a replay displaced a connection");
    }
    assert_eq!(stats[1].listener.refused_replays, REPLAYS);
    for p in 0..5 {
        eventually("the attacker's handshakes timing out", || {
            transport(&transports, p)
                .stats()
                .listener
                .handshakes_in_progress
                == 0
        })
        .await;
    }
    // The connections are still open on the attacker's side: it holds nothing with them.
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_peer_addresses_refuses_other_hosts_at_once() {
    // On by default.
    let configs = loopback_configs(2).await.unwrap();
    assert!(configs
        .iter()
        .all(|(c, _)| c.connections.only_peer_addresses));
    let address = configs[1].1.local_addr().unwrap();
    let transports = start(configs);
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(connect_from("127.0.0.2", address).await.unwrap());
    }
    eventually("refusals counted", || {
        transport(&transports, 1)
            .stats()
            .listener
            .refused_not_allowed
            == 10
    })
    .await;
    // The strangers hold no slot (the peer's own handshake may be in one of its reserved slots).
    let l = transport(&transports, 1).stats().listener;
    assert_eq!(shared_held(&l), 0, "{l:?}");
    // The peer (127.0.0.1) still gets through.
    let (c0, mut c1) = pair_session(&transports, 3).await;
    c0.send(Some(1), b"peer".to_vec()).await.unwrap();
    assert_eq!(
        c1.recv_timeout("peer", STEP, &[0]).await.unwrap().payload,
        b"peer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_peer_stays_within_its_budget_and_the_others_still_sign() {
    const FRAME: usize = 256 * 1024;
    const BUDGET: usize = 4 * 1024 * 1024;
    const PENDING_SESSIONS: usize = 16;
    let mut configs = loopback_configs(4).await.unwrap();
    for (config, _) in &mut configs {
        config.connections.max_frame_len = FRAME;
        config.limits = RouterLimits {
            peer_byte_budget: BUDGET,
            max_pending_sessions_per_peer: PENDING_SESSIONS,
            ..RouterLimits::default()
        };
    }
    let transports = start(configs);
    const FLOODER: PartyIndex = 3;
    const VICTIM: PartyIndex = 0;

    // The flooder (authenticated, party 3) sends the victim maximum-size frames on random
    // sessions, then many small ones on more random sessions.
    let flood = {
        let flooder = transports[FLOODER as usize].clone().unwrap();
        tokio::spawn(async move {
            let mut channels = Vec::new();
            for i in 0..300u32 {
                let session = SessionId(rand::random());
                let channel = flooder
                    .open_session(session, vec![VICTIM, FLOODER])
                    .await
                    .unwrap();
                let size = if i < 100 { FRAME } else { 10 };
                channel.send(Some(VICTIM), vec![0x5A; size]).await.unwrap();
                channels.push(channel);
            }
            channels
        })
    };
    // Meanwhile the other three make a key and sign with it.
    frost_keygen_and_sign(&transports, &[0, 1, 2], &[0, 2], 4).await;
    let _channels = flood.await.unwrap();
    eventually("the flood reaching the victim", || {
        transport(&transports, VICTIM).stats().peers[&FLOODER].refused >= 200
    })
    .await;

    let usage = transport(&transports, VICTIM).stats().peers;
    let flooder = &usage[&FLOODER];
    // Memory held for the flooder never went past its budget (nor its session limit), and
    // what went over was refused and counted against it, not against an honest party.
    assert!(
        flooder.peak_bytes <= BUDGET,
        "peak {} > budget {BUDGET}",
        flooder.peak_bytes
    );
    assert!(flooder.pending_sessions <= PENDING_SESSIONS, "{flooder:?}");
    for honest in [1, 2] {
        assert_eq!(
            usage[&honest].refused, 0,
            "party {honest}: {:?}",
            usage[&honest]
        );
    }
    eprintln!("victim's accounting of the flooder: {flooder:?}");
}

#[tokio::test]
async fn a_frame_over_the_limit_cuts_the_connection_and_is_counted() {
    let mut configs = loopback_configs(2).await.unwrap();
    for (config, _) in &mut configs {
        config.connections.max_frame_len = 1024;
    }
    let transports = start(configs);
    let (c0, mut c1) = pair_session(&transports, 5).await;
    c0.send(Some(1), vec![1; 1025]).await.unwrap();
    eventually("the oversized frame refused", || {
        transport(&transports, 1)
            .stats()
            .peers
            .get(&0)
            .is_some_and(|u| u.refused == 1)
    })
    .await;
    // The sender notices the closed connection and sends the next frame over a new one.
    c0.send(Some(1), vec![2; 1024]).await.unwrap();
    let got = c1.recv_timeout("frame", STEP, &[0]).await.unwrap();
    assert_eq!(got.payload, vec![2; 1024]);
    assert!(matches!(
        c1.recv_timeout("nothing more", Duration::from_millis(100), &[0])
            .await,
        Err(MpcError::Timeout { .. })
    ));
}

/// The strangers: eight addresses of one /24 (the peers' own, 127.0.0.0/24).
fn strangers() -> Vec<String> {
    (2..=9).map(|i| format!("127.0.0.{i}")).collect()
}

/// Connections to `to` from each of `from`, `per_address` each, that start a handshake record
/// and stall: each holds a handshake slot until the listener's handshake timeout, if it gets one.
async fn slow_handshakes(from: &[String], per_address: usize, to: SocketAddr) -> Vec<TcpStream> {
    let mut held = Vec::new();
    for address in from {
        for _ in 0..per_address {
            let mut stream = connect_from(address, to).await.unwrap();
            stream.write_all(&[0x00]).await.unwrap();
            held.push(stream);
        }
    }
    held
}

/// Handshake slots of the listener held by others than the peers' addresses.
fn shared_held(stats: &ListenerStats) -> usize {
    stats.handshakes_in_progress - stats.reserved_handshakes_in_progress
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_holding_every_shared_handshake_slot_do_not_keep_a_restarted_party_from_its_peers(
) {
    const RESTARTED: PartyIndex = 2;
    let limits = ConnectionLimits::default();
    let mut configs = loopback_configs(3).await.unwrap();
    let addresses: Vec<SocketAddr> = configs
        .iter()
        .map(|(_, l)| l.local_addr().unwrap())
        .collect();
    for (config, _) in &mut configs {
        // Strangers are let in, and their stalled handshakes are cut off only long after the
        // test: they hold their slots throughout.
        config.connections.only_peer_addresses = false;
        config.connections.handshake_timeout = Duration::from_secs(600);
        // The eight strangers are in one /24: without the prefix cap they fill every shared slot,
        // as eight addresses in eight networks would.
        config.connections.max_handshakes_per_prefix = limits.max_handshakes;
    }
    let restarted_config = configs[RESTARTED as usize].0.clone();
    let mut transports = start(configs);
    for p in 0..3 {
        until_live(transport(&transports, p), &[0, 1, 2]).await;
    }

    // The strangers take every shared slot of parties 0 and 1 (4 per address, 8 addresses).
    let per_address = limits.max_handshakes_per_address;
    assert_eq!(strangers().len() * per_address, limits.max_handshakes);
    let mut held = Vec::new();
    for address in &addresses[..2] {
        held.extend(slow_handshakes(&strangers(), per_address, *address).await);
        held.extend(slow_handshakes(&["127.0.0.10".into()], 1, *address).await);
    }
    for p in [0, 1] {
        eventually("the strangers holding every shared slot", || {
            let l = transport(&transports, p).stats().listener;
            shared_held(&l) == limits.max_handshakes && l.refused_busy == 1
        })
        .await;
    }

    // Party 2 restarts: same key, same port. Before its listener takes a connection, the
    // strangers are queued at it too (their connections complete in the kernel's backlog, ahead
    // of the peers' redials), so they take all its shared slots as well.
    transports[RESTARTED as usize] = None;
    let listener = rebind(addresses[RESTARTED as usize]).await;
    held.extend(slow_handshakes(&strangers(), per_address, addresses[RESTARTED as usize]).await);
    held.extend(slow_handshakes(&["127.0.0.10".into()], 1, addresses[RESTARTED as usize]).await);
    transports[RESTARTED as usize] = Some(Arc::new(
        TcpTransport::start(restarted_config, listener).unwrap(),
    ));

    // It reconnects to its peers and they to it, and the three make a key and sign with it.
    for p in 0..3 {
        until_live(transport(&transports, p), &[0, 1, 2]).await;
    }
    frost_keygen_and_sign(&transports, &[0, 1, 2], &[1, 2], 6).await;

    // All the while the strangers held every shared slot, and got no more.
    for p in 0..3 {
        let l = transport(&transports, p).stats().listener;
        assert_eq!(shared_held(&l), limits.max_handshakes, "party {p}: {l:?}");
        assert_eq!(l.refused_busy, 1, "party {p}: {l:?}");
        let others: Vec<PartyIndex> = (0..3).filter(|q| *q != p).collect();
        assert_eq!(
            l.authenticated.keys().copied().collect::<Vec<_>>(),
            others,
            "party {p}: {l:?}"
        );
    }
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_network_holds_few_shared_handshake_slots() {
    let limits = ConnectionLimits::default();
    let mut configs = loopback_configs(2).await.unwrap();
    for (config, _) in &mut configs {
        config.connections.only_peer_addresses = false;
        config.connections.handshake_timeout = Duration::from_secs(600);
    }
    let address = configs[1].1.local_addr().unwrap();
    let transports = start(configs);
    // Eight addresses of 127.0.0.0/24, four connections each: the /24 gets its cap of slots.
    let attempts = strangers().len() * limits.max_handshakes_per_address;
    let mut held = slow_handshakes(&strangers(), limits.max_handshakes_per_address, address).await;
    let stats = || transport(&transports, 1).stats().listener;
    eventually("the /24's connections taken or refused", || {
        let l = stats();
        shared_held(&l) + l.refused_per_prefix as usize == attempts
    })
    .await;
    assert_eq!(shared_held(&stats()), limits.max_handshakes_per_prefix);
    // Another network still gets slots.
    held.extend(slow_handshakes(&["127.0.1.2".into()], 2, address).await);
    eventually("the other network's handshakes held", || {
        shared_held(&stats()) == limits.max_handshakes_per_prefix + 2
    })
    .await;
    let l = stats();
    assert_eq!((l.refused_busy, l.refused_per_address), (0, 0), "{l:?}");
    // And the peer's connection is still there.
    let (c0, mut c1) = pair_session(&transports, 9).await;
    c0.send(Some(1), b"still here".to_vec()).await.unwrap();
    assert_eq!(
        c1.recv_timeout("peer", STEP, &[0]).await.unwrap().payload,
        b"still here"
    );
    drop(held);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_filling_a_future_sessions_buffer_does_not_block_the_honest_run() {
    const FILLER: PartyIndex = 3;
    const REQUEST: u64 = 8;
    // More than the whole buffer of a pending session held before senders had shares (256).
    const SENT: usize = 300;
    let share = RouterLimits::default().max_pending_per_sender;
    let transports = start(loopback_configs(4).await.unwrap());
    // The sessions of request 8 are known to anyone who reads the chain: party 3, not one of
    // the request's parties, fills the buffer of both at each of them before they open them.
    let filler = transport(&transports, FILLER);
    let mut channels = Vec::new();
    for kind in ["key", "sign"] {
        let session = SessionId::new(CONTRACT, kind, REQUEST, 0);
        let channel = filler
            .open_session(session, vec![0, 1, 2, FILLER])
            .await
            .unwrap();
        for i in 0..SENT {
            channel.send(None, vec![0xF1; 1 + i % 7]).await.unwrap();
        }
        channels.push(channel);
    }
    let refused = 2 * (SENT - share) as u64;
    for p in 0..3 {
        eventually("the filler's messages buffered or refused", || {
            transport(&transports, p)
                .stats()
                .peers
                .get(&FILLER)
                .is_some_and(|u| u.refused == refused && u.pending_sessions == 2)
        })
        .await;
    }

    frost_keygen_and_sign(&transports, &[0, 1, 2], &[0, 2], REQUEST).await;

    for p in 0..3 {
        let usage = transport(&transports, p).stats().peers;
        assert_eq!(usage[&FILLER].refused, refused, "party {p}: {usage:?}");
        // The sessions opened (party 1, not a signer, opened only the key's): what the filler
        // buffered there was dropped and released.
        let unopened = if p == 1 { 1 } else { 0 };
        assert_eq!(
            usage[&FILLER].pending_sessions, unopened,
            "party {p}: {usage:?}"
        );
        if unopened == 0 {
            assert_eq!(usage[&FILLER].bytes, 0, "party {p}: {usage:?}");
        }
        for honest in (0..3).filter(|q| *q != p) {
            assert_eq!(
                usage[&honest].refused, 0,
                "party {p}, from {honest}: {usage:?}"
            );
        }
    }
}
