//! FROST Ed25519 between parties over the Noise TCP transport on loopback: key generation,
//! signing (verified as the contracts verify), a party offline, and misbehaving parties.

mod net_support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mpc_party::eddsa::{TAG_SIGN_COMMITMENTS, TAG_SIGN_SHARES};
use mpc_party::session::agreement_session;
use mpc_party::signing::{signer_set, SignPlan};
use mpc_party::transport::tcp::{loopback_configs, TcpTransport};
use mpc_party::transport::{PartyIndex, SessionId, Transport};
use mpc_party::windows::Windows;
use mpc_party::{
    ChainRequest, MpcError, Party, PartyConfig, Scheme, SessionInputs, ShareStore, StoreSecret,
};

use net_support::{until_live, Tamper, Tampering};

const CONTRACT: &str = "wasm1keyringcontract";

struct Node {
    party: Party,
    transport: Arc<dyn Transport>,
    store: Arc<ShareStore>,
    _dir: tempfile::TempDir,
}

impl Node {
    /// This node's party with another configuration (same transport and shares).
    fn with_config(&self, config: PartyConfig) -> Party {
        Party::new(self.transport.clone(), self.store.clone(), config)
    }
}

fn quick_config() -> PartyConfig {
    PartyConfig {
        step_timeout: Duration::from_secs(2),
        eddsa_window: Duration::from_secs(2),
        max_attempts: Some(5),
        ..PartyConfig::default()
    }
}

/// The windows a party with [`quick_config`] joins now and next (a test that must act in the
/// window a party will take part in acts in both).
fn windows_now(windows: Windows) -> [u64; 2] {
    let now = windows.to_join().number;
    [now, now + 1]
}

/// `n` parties over TCP.
async fn nodes(n: u16) -> (Vec<Node>, Vec<Arc<TcpTransport>>) {
    nodes_with(n, |_, transport| transport).await
}

/// `n` parties over TCP; each party's transport passes through `wrap` (to play a cheater).
async fn nodes_with(
    n: u16,
    wrap: impl Fn(u16, Arc<TcpTransport>) -> Arc<dyn Transport>,
) -> (Vec<Node>, Vec<Arc<TcpTransport>>) {
    let mut nodes = Vec::new();
    let mut transports = Vec::new();
    for (i, (config, listener)) in loopback_configs(n).await.unwrap().into_iter().enumerate() {
        let tcp = Arc::new(TcpTransport::start(config, listener).unwrap());
        transports.push(tcp.clone());
        let transport = wrap(i as u16, tcp);
        let dir = tempfile::tempdir().unwrap();
        let secret = StoreSecret::key_from_text(&"11".repeat(32)).unwrap();
        let store = Arc::new(ShareStore::open(dir.path(), &secret).unwrap());
        nodes.push(Node {
            party: Party::new(transport.clone(), store.clone(), quick_config()),
            transport,
            store,
            _dir: dir,
        });
    }
    let all: Vec<PartyIndex> = (0..n).collect();
    for transport in &transports {
        until_live(transport.as_ref(), &all).await;
    }
    (nodes, transports)
}

fn request(id: u64) -> ChainRequest {
    ChainRequest {
        chain_id: "chain-1".into(),
        contract: CONTRACT.into(),
        request_id: id,
    }
}

async fn keygen_all(nodes: &[Node], t: u16) -> Vec<u8> {
    let n = nodes.len() as u16;
    let req = request(1);
    let runs = nodes
        .iter()
        .map(|node| node.party.keygen(Scheme::EddsaEd25519, &req, n, t));
    let keys: Vec<Vec<u8>> = futures::future::try_join_all(runs).await.unwrap();
    assert_eq!(keys[0].len(), 32);
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "parties disagree on the key"
    );
    keys[0].clone()
}

/// Both verifiers: ed25519-dalek and the host function the contracts call.
fn assert_verifies(public_key: &[u8], message: &[u8], signature: &[u8; 64]) {
    let key = ed25519_dalek::VerifyingKey::from_bytes(public_key.try_into().unwrap()).unwrap();
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
        .expect("ed25519-dalek verifies");
    assert!(cosmwasm_crypto::ed25519_verify(message, signature, public_key).unwrap());
}

async fn sign_and_check(nodes: &[&Node], public_key: &[u8], request_id: u64) {
    let messages = vec![b"first message".to_vec(), vec![7u8; 1000], Vec::new()];
    let req = request(request_id);
    let runs = nodes.iter().map(|node| {
        node.party
            .sign(Scheme::EddsaEd25519, public_key, &req, &messages)
    });
    let results: Vec<Vec<[u8; 64]>> = futures::future::try_join_all(runs).await.unwrap();
    // Every party, signer or not, returns the same signatures.
    assert!(results.iter().all(|r| *r == results[0]));
    for (message, signature) in messages.iter().zip(&results[0]) {
        assert_verifies(public_key, message, signature);
    }
    // A signature does not verify for another message.
    assert!(!cosmwasm_crypto::ed25519_verify(b"other", &results[0][0], public_key).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_three_keygen_and_sign_over_tcp() {
    let (nodes, _t) = nodes(3).await;
    let public_key = keygen_all(&nodes, 2).await;
    let all: Vec<&Node> = nodes.iter().collect();
    sign_and_check(&all, &public_key, 10).await;
    sign_and_check(&all, &public_key, 11).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_five_keygen_and_sign_over_tcp() {
    let (nodes, transports) = nodes(5).await;
    let public_key = keygen_all(&nodes, 3).await;
    let all: Vec<&Node> = nodes.iter().collect();
    sign_and_check(&all, &public_key, 20).await;
    // FROST messages are tiny next to the frame limit (which is sized for cggmp21).
    let largest = transports
        .iter()
        .flat_map(|t| t.stats().peers.into_values())
        .map(|usage| usage.largest_payload)
        .max()
        .unwrap();
    eprintln!("largest message, FROST 3-of-5 keygen and signing of 3 messages: {largest} bytes");
    assert!(largest <= 64 * 1024, "{largest}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_that_is_down_is_not_chosen_and_the_first_window_signs() {
    let (mut nodes, mut transports) = nodes(3).await;
    let public_key = keygen_all(&nodes, 2).await;
    // Party 2 goes offline: its node and transport stop; the others stop hearing it.
    drop(nodes.pop());
    drop(transports.pop());
    for node in &nodes {
        until_live(node.transport.as_ref(), &[0, 1]).await;
    }
    let online: Vec<&Node> = nodes.iter().collect();
    for request_id in 100..104 {
        let started = Instant::now();
        sign_and_check(&online, &public_key, request_id).await;
        // One window at most (plus the wait for it to start): no window is spent waiting
        // for the party that is down, whichever set the request would start with.
        let window = quick_config().eddsa_window;
        assert!(
            started.elapsed() < window + window / 2 + Duration::from_millis(500),
            "request {request_id} took {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_key_and_bad_requests_are_refused() {
    let (nodes, _t) = nodes(3).await;
    let err = nodes[0]
        .party
        .sign(
            Scheme::EddsaEd25519,
            &[9u8; 32],
            &request(5),
            &[b"m".to_vec()],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, MpcError::UnknownKey(_)), "{err}");
    let err = nodes[0]
        .party
        .keygen(Scheme::EddsaEd25519, &request(6), 3, 4)
        .await
        .unwrap_err();
    assert!(matches!(err, MpcError::InvalidRequest(_)), "{err}");
}

/// Parties 0 and 1 run key generation while party 2, instead of the protocol, sends `payload`.
async fn keygen_with_bad_party(payload: Vec<u8>) -> Vec<MpcError> {
    let (nodes, transports) = nodes(3).await;
    // Its garbage reaches the others in the first step of key generation (agreeing on the
    // run), in the window they will take part in.
    let inputs = SessionInputs::keygen(&request(1), Scheme::EddsaEd25519, &[0, 1, 2], 2);
    let one_attempt = PartyConfig {
        max_attempts: Some(1),
        ..quick_config()
    };
    let mut bad = Vec::new();
    for window in windows_now(one_attempt.keygen_windows(Scheme::EddsaEd25519)) {
        let session = agreement_session(&inputs.session("key", window));
        let channel = transports[2]
            .open_session(session, vec![0, 1, 2])
            .await
            .unwrap();
        channel.send(None, payload.clone()).await.unwrap();
        bad.push(channel);
    }
    let req = request(1);
    let runs = nodes[..2].iter().map(|node| {
        let party = node.with_config(one_attempt.clone());
        let req = req.clone();
        async move { party.keygen(Scheme::EddsaEd25519, &req, 3, 2).await }
    });
    let started = Instant::now();
    let results = futures::future::join_all(runs).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "failed promptly"
    );
    drop(bad);
    results
        .into_iter()
        .map(|r| match r.unwrap_err() {
            MpcError::AttemptsExhausted { last, .. } => *last,
            other => other,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_a_party_fails_the_session_naming_it() {
    for err in keygen_with_bad_party(b"\x00not a protocol message at all, garbage".to_vec()).await {
        assert!(
            matches!(err, MpcError::Malformed { party: 2, .. }),
            "expected party 2 blamed, got {err}"
        );
        assert_eq!(err.culprit(), Some(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_of_another_session_fails_the_session_naming_its_sender() {
    // A well-formed round-1 header, but bound to another session (a replay).
    let other = SessionId::new(CONTRACT, "key", 999, 0);
    let mut payload = other.0.to_vec();
    payload.push(1);
    payload.extend_from_slice(b"replayed body");
    for err in keygen_with_bad_party(payload).await {
        match &err {
            MpcError::Malformed { party: 2, reason } => {
                assert!(reason.contains("session"), "{reason}")
            }
            _ => panic!("expected party 2 blamed, got {err}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_signer_fails_signing_naming_it() {
    let (mut nodes, mut transports) = nodes(3).await;
    let public_key = keygen_all(&nodes, 2).await;
    // Party 1 goes offline, so party 0 signs with party 2 in every window.
    drop(nodes.remove(1));
    drop(transports.remove(1));
    until_live(nodes[0].transport.as_ref(), &[0, 2]).await;
    let request_id = 7;
    let plan = SignPlan {
        inputs: SessionInputs::signing(
            &request(request_id),
            Scheme::EddsaEd25519,
            &public_key,
            &[0, 1, 2],
            2,
            &[b"m".to_vec()],
        ),
        windows: quick_config().sign_windows(Scheme::EddsaEd25519),
        max_attempts: Some(1),
    };
    let (honest, signers) = (0, vec![0, 2]);
    let mut bad = Vec::new();
    for window in windows_now(plan.windows) {
        let channel = transports[1]
            .open_session(plan.session(window, &signers), signers.clone())
            .await
            .unwrap();
        channel.send(Some(honest), vec![0xAB; 80]).await.unwrap();
        bad.push(channel);
    }
    let one_attempt = nodes[0].with_config(PartyConfig {
        max_attempts: Some(1),
        ..quick_config()
    });
    let err = one_attempt
        .sign(
            Scheme::EddsaEd25519,
            &public_key,
            &request(request_id),
            &[b"m".to_vec()],
        )
        .await
        .unwrap_err();
    assert_eq!(err.blamed(), vec![2], "expected party 2 blamed, got {err}");
}

/// Other valid signing commitments, as many as `body` holds.
fn other_commitments(body: &[u8]) -> Vec<u8> {
    use frost_ed25519 as frost;
    let count = serde_json::from_slice::<Vec<frost::round1::SigningCommitments>>(body)
        .expect("commitments decode")
        .len();
    let share = frost::keys::SigningShare::deserialize(&[1u8; 32]).expect("a scalar");
    let fresh: Vec<_> = (0..count)
        .map(|_| frost::round1::commit(&share, &mut rand::rngs::OsRng).1)
        .collect();
    serde_json::to_vec(&fresh).expect("commitments encode")
}

/// Four parties of which `cheater` tampers with its messages, and a 3-of-4 key.
async fn four_with_a_cheater(
    cheater: PartyIndex,
    tamper: Tamper,
) -> (Vec<Node>, Arc<AtomicUsize>, Vec<u8>) {
    let tampered = Arc::new(AtomicUsize::new(0));
    let (nodes, _t) = nodes_with(4, |i, tcp| {
        if i != cheater {
            return tcp;
        }
        Arc::new(Tampering {
            inner: tcp,
            tamper: tamper.clone(),
            tampered: tampered.clone(),
        })
    })
    .await;
    let public_key = keygen_all(&nodes, 3).await;
    (nodes, tampered, public_key)
}

/// A request whose signer set, in the window the parties are about to join, is `set`.
fn request_signed_by(set: &[PartyIndex]) -> u64 {
    let window = quick_config()
        .sign_windows(Scheme::EddsaEd25519)
        .to_join()
        .number;
    (100..)
        .find(|id| {
            signer_set(
                &[0, 1, 2, 3],
                3,
                &request(*id).signer_seed(),
                window,
                &BTreeSet::new(),
            ) == set
        })
        .unwrap()
}

/// Every honest party signs `request_id` (the cheater runs too); returns the honest results.
async fn sign_all(
    nodes: &[Node],
    cheater: PartyIndex,
    public_key: &[u8],
    request_id: u64,
    messages: &[Vec<u8>],
) -> Vec<Vec<[u8; 64]>> {
    let req = request(request_id);
    let runs = nodes.iter().map(|node| {
        node.party
            .sign(Scheme::EddsaEd25519, public_key, &req, messages)
    });
    let results = futures::future::join_all(runs).await;
    let honest: Vec<Vec<[u8; 64]>> = results
        .into_iter()
        .enumerate()
        .filter(|(party, _)| *party as PartyIndex != cheater)
        .map(|(party, result)| result.unwrap_or_else(|e| panic!("party {party}: {e}")))
        .collect();
    assert!(honest.iter().all(|s| *s == honest[0]));
    assert_verifies(public_key, &messages[0], &honest[0][0]);
    honest
}

/// The cheater sends `victim` other (valid) signing commitments than the other signers, while
/// its echo is the honest one: the victim names it, the other honest signer sees only a dispute
/// about it and names nobody, so no majority excludes anyone; the windows whose set does not
/// pair the cheater with the victim sign.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_signer_costs_windows_and_the_request_is_signed() {
    const CHEATER: PartyIndex = 2;
    const VICTIM: PartyIndex = 0;
    let tamper: Tamper = Arc::new(|_, out| {
        // Payload: [session id: 32][tag: 1][body].
        if out.to != Some(VICTIM) || out.payload.get(32) != Some(&TAG_SIGN_COMMITMENTS) {
            return false;
        }
        let body = other_commitments(&out.payload[33..]);
        out.payload.truncate(33);
        out.payload.extend_from_slice(&body);
        true
    });
    let (nodes, tampered, public_key) = four_with_a_cheater(CHEATER, tamper).await;
    // The first window's set pairs them: that window fails.
    let request_id = request_signed_by(&[0, 1, 2]);
    let messages = vec![b"pay 10 to bob".to_vec()];
    sign_all(&nodes, CHEATER, &public_key, request_id, &messages).await;
    assert!(
        tampered.load(Ordering::SeqCst) > 0,
        "the cheater equivocated"
    );
}

/// The liar tells the victim that a third signer sent other commitments, and tells that
/// signer the same of the victim (its echoes lie; its commitments are honest). Neither honest
/// signer can tell the liar from the one it lies about, so neither names anybody, and nobody
/// is excluded on the liar's word. The liar's own run succeeds (the others' shares are honest),
/// and every party, the two it lied to included, gets the signatures from the window's result
/// session in the same window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_that_lies_in_its_echoes_gets_nobody_excluded_and_the_request_is_signed() {
    const LIAR: PartyIndex = 2;
    let tamper: Tamper = Arc::new(|participants, out| {
        if out.payload.get(32) != Some(&TAG_SIGN_SHARES) {
            return false;
        }
        // The echo: one 32-byte hash per signer, in signer order. To party 0 it lies about
        // party 1, and to party 1 about party 0.
        let subject = match out.to {
            Some(0) => 1,
            Some(1) => 0,
            _ => return false,
        };
        let Some(position) = participants.iter().position(|p| *p == subject) else {
            return false;
        };
        out.payload[33 + position * 32] ^= 0xFF;
        true
    });
    let (nodes, tampered, public_key) = four_with_a_cheater(LIAR, tamper).await;
    let one_window = PartyConfig {
        max_attempts: Some(1),
        ..quick_config()
    };
    let request_id = request_signed_by(&[0, 1, 2]);
    let messages = vec![b"pay 20 to carol".to_vec()];
    let req = request(request_id);
    let runs = nodes.iter().map(|node| {
        let party = node.with_config(one_window.clone());
        let (key, req, messages) = (public_key.clone(), req.clone(), messages.clone());
        async move {
            party
                .sign(Scheme::EddsaEd25519, &key, &req, &messages)
                .await
        }
    });
    let results = futures::future::join_all(runs).await;
    for (party, result) in results.iter().enumerate() {
        let signatures = result
            .as_ref()
            .unwrap_or_else(|e| panic!("party {party} in one window: {e}"));
        assert_verifies(&public_key, &messages[0], &signatures[0]);
    }
    assert_eq!(tampered.load(Ordering::SeqCst), 2, "the liar lied to both");
}
