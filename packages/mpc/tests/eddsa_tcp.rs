//! FROST Ed25519 between parties over the Noise TCP transport on loopback: key generation,
//! signing (verified as the contracts verify), a party offline, and misbehaving parties.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mpc_party::eddsa::TAG_SIGN_COMMITMENTS;
use mpc_party::session::agreement_session;
use mpc_party::signing::{signer_set, SignPlan};
use mpc_party::transport::tcp::{loopback_configs, TcpTransport};
use mpc_party::transport::{Outgoing, PartyIndex, SessionChannel, SessionId, Transport};
use mpc_party::{
    ChainRequest, MpcError, Party, PartyConfig, Scheme, SessionInputs, ShareStore, StoreSecret,
};

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
        result_timeout: Duration::from_secs(4),
        max_attempts: Some(5),
        ..PartyConfig::default()
    }
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

/// The first request id whose attempt-0 signer set includes `party`, so the retry path runs.
fn request_where_first_set_includes(parties: &[u16], t: u16, party: u16) -> u64 {
    (100..)
        .find(|id| {
            let seed = request(*id).signer_seed();
            signer_set(parties, t, &seed, 0, &BTreeSet::new()).contains(&party)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threshold_parties_sign_while_one_is_offline() {
    let (mut nodes, mut transports) = nodes(3).await;
    let public_key = keygen_all(&nodes, 2).await;
    // Party 2 goes offline: its node and transport stop.
    drop(nodes.pop());
    drop(transports.pop());
    let request_id = request_where_first_set_includes(&[0, 1, 2], 2, 2);
    let online: Vec<&Node> = nodes.iter().collect();
    let started = Instant::now();
    sign_and_check(&online, &public_key, request_id).await;
    // It took a retry (at least one step timeout), but not forever.
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert!(started.elapsed() < Duration::from_secs(30));
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
    // Its garbage reaches the others in the first step of key generation: agreeing on the run.
    let inputs = SessionInputs::keygen(&request(1), Scheme::EddsaEd25519, &[0, 1, 2], 2);
    let session = agreement_session(&inputs.session("key", 0));
    let bad = transports[2]
        .open_session(session, vec![0, 1, 2])
        .await
        .unwrap();
    bad.send(None, payload).await.unwrap();
    let req = request(1);
    let runs = nodes[..2]
        .iter()
        .map(|node| node.party.keygen(Scheme::EddsaEd25519, &req, 3, 2));
    let started = Instant::now();
    let results = futures::future::join_all(runs).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "failed promptly"
    );
    drop(bad);
    results.into_iter().map(|r| r.unwrap_err()).collect()
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
    let (nodes, transports) = nodes(3).await;
    let public_key = keygen_all(&nodes, 2).await;
    let request_id = request_where_first_set_includes(&[0, 1, 2], 2, 2);
    let plan = SignPlan {
        inputs: SessionInputs::signing(
            &request(request_id),
            Scheme::EddsaEd25519,
            &public_key,
            &[0, 1, 2],
            2,
            &[b"m".to_vec()],
        ),
        step_timeout: Duration::from_secs(2),
        result_timeout: Duration::from_secs(4),
        max_attempts: Some(1),
    };
    let signers = signer_set(
        &[0, 1, 2],
        2,
        &plan.inputs.request.signer_seed(),
        0,
        &BTreeSet::new(),
    );
    let honest = signers.iter().copied().find(|p| *p != 2).unwrap();
    let bad = transports[2]
        .open_session(plan.session(0), signers.clone())
        .await
        .unwrap();
    bad.send(Some(honest), vec![0xAB; 80]).await.unwrap();
    let one_attempt = nodes[honest as usize].with_config(PartyConfig {
        max_attempts: Some(1),
        result_timeout: Duration::from_secs(1),
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

/// A party's transport when it equivocates: its signing commitments to `victim` are replaced by
/// other valid commitments, while everything else (its echo included) is the honest protocol's.
/// Records the sessions it opens.
struct Equivocating {
    inner: Arc<TcpTransport>,
    victim: PartyIndex,
    opened: Mutex<Vec<SessionId>>,
}

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

#[async_trait::async_trait]
impl Transport for Equivocating {
    fn me(&self) -> PartyIndex {
        self.inner.me()
    }

    async fn open_session(
        &self,
        session: SessionId,
        participants: Vec<PartyIndex>,
    ) -> Result<SessionChannel, MpcError> {
        self.opened.lock().unwrap().push(session);
        let mut channel = self.inner.open_session(session, participants).await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Outgoing>(64);
        let real = std::mem::replace(&mut channel.outgoing, tx);
        let victim = self.victim;
        tokio::spawn(async move {
            while let Some(mut out) = rx.recv().await {
                // Payload: [session id: 32][tag: 1][body].
                if out.to == Some(victim) && out.payload.get(32) == Some(&TAG_SIGN_COMMITMENTS) {
                    let body = other_commitments(&out.payload[33..]);
                    out.payload.truncate(33);
                    out.payload.extend_from_slice(&body);
                }
                if real.send(out).await.is_err() {
                    return;
                }
            }
        });
        Ok(channel)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_signer_is_named_and_the_retry_without_it_signs() {
    const CHEATER: PartyIndex = 2;
    let parties = [0, 1, 2, 3];
    // A request whose first 3-of-4 signer set holds the cheater and two honest signers.
    let first_set = |id: u64| {
        let seed = request(id).signer_seed();
        signer_set(&parties, 3, &seed, 0, &BTreeSet::new())
    };
    let requests: Vec<u64> = (100..)
        .filter(|id| first_set(*id).contains(&CHEATER))
        .take(2)
        .collect();
    let victim = first_set(requests[0])
        .into_iter()
        .find(|p| *p != CHEATER)
        .unwrap();
    let cheater = Mutex::new(None);
    let (nodes, _t) = nodes_with(4, |i, tcp| {
        if i != CHEATER {
            return tcp;
        }
        let wrapped = Arc::new(Equivocating {
            inner: tcp,
            victim,
            opened: Mutex::default(),
        });
        *cheater.lock().unwrap() = Some(wrapped.clone());
        wrapped
    })
    .await;
    let cheater = cheater.into_inner().unwrap().unwrap();
    let public_key = keygen_all(&nodes, 3).await;
    let messages = vec![b"pay 10 to bob".to_vec()];

    // One attempt only: it fails on every honest party, naming the cheater and nobody else.
    let one_attempt = PartyConfig {
        max_attempts: Some(1),
        ..quick_config()
    };
    let req = request(requests[0]);
    let runs = nodes.iter().map(|node| {
        let party = node.with_config(one_attempt.clone());
        let (key, req, messages) = (public_key.clone(), req.clone(), messages.clone());
        async move {
            party
                .sign(Scheme::EddsaEd25519, &key, &req, &messages)
                .await
        }
    });
    let results = futures::future::join_all(runs).await;
    for (party, result) in results.iter().enumerate() {
        if party as PartyIndex == CHEATER {
            continue;
        }
        let err = result.as_ref().unwrap_err();
        assert_eq!(err.blamed(), vec![CHEATER], "party {party}: {err}");
    }

    // With retries, the next attempt leaves the cheater out and every party gets the signature.
    let req = request(requests[1]);
    let runs = nodes.iter().map(|node| {
        node.party
            .sign(Scheme::EddsaEd25519, &public_key, &req, &messages)
    });
    let signatures: Vec<Vec<[u8; 64]>> = futures::future::try_join_all(runs).await.unwrap();
    assert!(signatures.iter().all(|s| *s == signatures[0]));
    assert_verifies(&public_key, &messages[0], &signatures[0][0]);
    let inputs = SessionInputs::signing(
        &request(requests[1]),
        Scheme::EddsaEd25519,
        &public_key,
        &parties,
        3,
        &messages,
    );
    let plan_session = |attempt| inputs.session("sign", attempt);
    let opened = cheater.opened.lock().unwrap().clone();
    assert!(
        opened.contains(&plan_session(0)),
        "the cheater signed in attempt 0"
    );
    assert!(
        !opened.contains(&plan_session(1)),
        "the cheater was left out of attempt 1"
    );
}
