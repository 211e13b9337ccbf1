//! Threshold ECDSA (CGGMP21) between parties on loopback TCP.
//!
//! Paillier primes (tens of seconds each) come from `tests/fixtures/ecdsa_primes.json`, and the
//! aux info of the five-party set from `tests/fixtures/ecdsa_aux_5.json`, so the suite stays cheap
//! on two cores; `two_of_three_with_live_aux_info` still runs aux info generation live. A running
//! party always generates its own primes. Regenerate the fixtures with
//! `cargo test -p mpc-party --test ecdsa -- --ignored regenerate_fixtures`.

mod ecdsa_support;
mod net_support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ecdsa_support::*;
use k256::ecdsa::signature::hazmat::PrehashVerifier;
use mpc_party::ecdsa::{self, EcdsaSigner, KeyShare, PaillierPrimes};
use mpc_party::signing::{sign_with_retry, SignPlan};
use mpc_party::transport::memory::MemoryNetwork;
use mpc_party::windows::Windows;
use mpc_party::{
    ChainRequest, MpcError, PartyIndex, Scheme, SessionChannel, SessionId, SessionInputs, Transport,
};
use sha2::{Digest, Sha256};

/// Asserts that every share holds the same public key and returns it.
fn common_public_key(shares: &[KeyShare]) -> [u8; 33] {
    let key = ecdsa::public_key(&shares[0]);
    for share in shares {
        assert_eq!(ecdsa::public_key(share), key, "parties disagree on the key");
    }
    assert!(key[0] == 2 || key[0] == 3, "compressed SEC1 key");
    key
}

/// Verifies like a user would: k256, and the verifier the contracts call.
fn assert_verifies(public_key: &[u8; 33], hash: &[u8; 32], signature: &[u8; 64]) {
    let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).expect("key decodes");
    let sig = k256::ecdsa::Signature::from_slice(signature).expect("signature decodes");
    assert!(sig.normalize_s().is_none(), "signature is low-s");
    key.verify_prehash(hash, &sig).expect("k256 verifies");
    assert!(
        cosmwasm_crypto::secp256k1_verify(hash, signature, public_key).expect("cosmwasm input ok"),
        "cosmwasm secp256k1_verify accepts the signature"
    );
    // The same signature must not pass for another hash.
    let other: [u8; 32] = Sha256::digest(hash).into();
    assert!(!cosmwasm_crypto::secp256k1_verify(&other, signature, public_key).unwrap());
}

fn hashes(labels: &[&str]) -> Vec<[u8; 32]> {
    labels.iter().map(|l| Sha256::digest(l).into()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_three_with_live_aux_info() {
    let mut transports = tcp_parties(3).await;
    let parties = [0, 1, 2];
    let aux = live_aux(&transports, &parties, SessionId::new(CONTRACT, "aux", 1, 0)).await;
    assert!(aux.iter().all(|a| a.parties() == parties));

    let shares = keygen_all(&transports, &aux, 2, 1).await;
    assert!(shares.iter().all(|s| s.threshold() == 2));
    let key = common_public_key(&shares);

    let hashes = hashes(&["first", "second"]);
    let signed = sign_with(&transports, &shares, &[0, 1], &hashes, 1).await;
    assert_eq!(
        signed[0], signed[1],
        "both signers output the same signatures"
    );
    for (hash, signature) in hashes.iter().zip(&signed[0]) {
        assert_verifies(&key, hash, signature);
    }
    assert_messages_fit_the_frame_limit(&transports, "aux info, keygen and signing, 3 parties");

    // Party 0 goes offline; the two others still sign, with shares that went through the store's
    // serialisation.
    transports[0] = None;
    let restored: Vec<KeyShare> = shares
        .iter()
        .map(|s| serde_json::from_str(&serde_json::to_string(s).unwrap()).unwrap())
        .collect();
    let signed = sign_with(&transports, &restored, &[1, 2], &hashes[..1], 2).await;
    assert_verifies(&key, &hashes[0], &signed[0][0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_of_five_any_three_sign_while_a_party_is_offline() {
    let mut transports = tcp_parties(5).await;
    let aux = load_aux_5();
    let shares = keygen_all(&transports, &aux, 3, 2).await;
    let key = common_public_key(&shares);

    transports[4] = None;
    let hashes = hashes(&["3-of-5"]);
    for (request_id, signers) in [(10, [0, 2, 3]), (11, [1, 2, 3])] {
        let signed = sign_with(&transports, &shares, &signers, &hashes, request_id).await;
        assert_verifies(&key, &hashes[0], &signed[0][0]);
    }
    assert_messages_fit_the_frame_limit(&transports, "keygen and signing, 5 parties");
}

/// The largest message any party received stays well under the transport's frame limit (a
/// quarter of it), so the limit never cuts off honest traffic. Prints the size for BENCHMARKS.md.
fn assert_messages_fit_the_frame_limit(
    transports: &[Option<std::sync::Arc<mpc_party::transport::tcp::TcpTransport>>],
    what: &str,
) {
    let largest = transports
        .iter()
        .flatten()
        .flat_map(|t| t.stats().peers.into_values())
        .map(|usage| usage.largest_payload)
        .max()
        .unwrap();
    eprintln!("largest message, ECDSA {what}: {largest} bytes");
    assert!(largest > 0);
    assert!(
        largest <= mpc_party::transport::tcp::MAX_FRAME_LEN / 4,
        "{largest}"
    );
}

/// The scheme-generic signer logic with ECDSA: a party that is down is not chosen (the others
/// stop hearing its heartbeats), so the first window signs, and every online party, signer or
/// not, returns the signatures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_that_is_down_is_not_chosen_and_the_first_window_signs() {
    let mut transports = tcp_parties(5).await;
    let shares = keygen_all(&transports, &load_aux_5(), 3, 7).await;
    let key = common_public_key(&shares);
    let parties: Vec<PartyIndex> = (0..5).collect();
    let offline = 4;
    transports[offline as usize] = None;
    let online: Vec<PartyIndex> = (0..4).collect();
    for party in &online {
        let transport = transports[*party as usize].clone().unwrap();
        net_support::until_live(transport.as_ref(), &online).await;
    }
    let request = ChainRequest {
        chain_id: "chain-1".into(),
        contract: CONTRACT.into(),
        request_id: 100,
    };
    let hashes = hashes(&["around the offline party"]);
    let items: Vec<Vec<u8>> = hashes.iter().map(|h| h.to_vec()).collect();
    let plan = SignPlan {
        inputs: SessionInputs::signing(&request, Scheme::EcdsaSecp256k1, &key, &parties, 3, &items),
        // Generous for a loaded two-core machine.
        windows: Windows::new(Duration::from_secs(40), Duration::from_secs(10)),
        max_attempts: Some(1),
    };
    let signers = online.iter().map(|&party| {
        let transport: Arc<dyn Transport> = transports[party as usize].clone().unwrap();
        (party, transport)
    });
    let results = all_ok(sign_each(signers.collect(), &shares, &hashes, &plan).await);
    for signatures in &results {
        assert_eq!(
            signatures, &results[0],
            "every party returns the same signatures"
        );
    }
    assert_verifies(&key, &hashes[0], &results[0][0]);
}

/// Each of `signers` (index, transport) runs [`sign_with_retry`] for `plan` with its share.
async fn sign_each(
    signers: Vec<(PartyIndex, Arc<dyn Transport>)>,
    shares: &[KeyShare],
    hashes: &[[u8; 32]],
    plan: &SignPlan,
) -> Vec<Result<Vec<[u8; 64]>, MpcError>> {
    futures::future::join_all(signers.into_iter().map(|(party, transport)| async move {
        let signer = EcdsaSigner {
            share: &shares[party as usize],
            hashes: hashes.to_vec(),
            timeout: SIGN_TIMEOUT,
        };
        sign_with_retry(transport.as_ref(), &signer, plan).await
    }))
    .await
}

/// Changes the last digit of the first string under `value` (a hex or decimal number stays a
/// number, so the message still decodes and only the proof's check can fail).
fn change_a_digit(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => {
            let Some(last) = text.pop() else {
                return false;
            };
            text.push(match last {
                '0'..='8' | 'a'..='e' | 'A'..='E' => (last as u8 + 1) as char,
                _ => '0',
            });
            true
        }
        serde_json::Value::Array(items) => items.iter_mut().any(change_a_digit),
        serde_json::Value::Object(fields) => fields.values_mut().any(change_a_digit),
        _ => false,
    }
}

/// A signer whose range proof (round 1b's `psi0`, a well-formed message) fails cggmp21's checks:
/// the signers with it name it, a majority of them leaves it out, and the next window signs
/// without it. Every honest party, signer or not, returns the same valid signature; no honest
/// party is left out on the cheater's word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_whose_proof_fails_is_named_and_the_next_window_signs_without_it() {
    const CHEATER: PartyIndex = 2;
    let transports = tcp_parties(5).await;
    let shares = keygen_all(&transports, &load_aux_5(), 3, 11).await;
    let key = common_public_key(&shares);
    let parties: Vec<PartyIndex> = (0..5).collect();
    for transport in transports.iter().flatten() {
        net_support::until_live(transport.as_ref(), &parties).await;
    }
    let tamper: net_support::Tamper = Arc::new(|_, out| {
        let Ok(mut envelope) = serde_json::from_slice::<serde_json::Value>(&out.payload) else {
            return false;
        };
        let Some(proof) = envelope.pointer_mut("/msg/Round1b/psi0/1") else {
            return false;
        };
        if !change_a_digit(proof) {
            return false;
        }
        out.payload = serde_json::to_vec(&envelope).expect("encodes");
        true
    });
    let tampered = Arc::new(AtomicUsize::new(0));
    let cheater: Arc<dyn Transport> = Arc::new(net_support::Tampering {
        inner: transports[CHEATER as usize].clone().unwrap(),
        tamper,
        tampered: tampered.clone(),
    });
    let windows = Windows::new(Duration::from_secs(30), Duration::from_secs(5));
    // A request whose set, in the window the parties are about to join, holds the cheater.
    let window = windows.to_join().number;
    let request = (100..)
        .map(|id| ChainRequest {
            chain_id: "chain-1".into(),
            contract: CONTRACT.into(),
            request_id: id,
        })
        .find(|r| {
            mpc_party::signing::signer_set(
                &parties,
                3,
                &r.signer_seed(),
                window,
                &Default::default(),
            )
            .contains(&CHEATER)
        })
        .unwrap();
    let hashes = hashes(&["a cheater among the signers"]);
    let items: Vec<Vec<u8>> = hashes.iter().map(|h| h.to_vec()).collect();
    let plan = SignPlan {
        inputs: SessionInputs::signing(&request, Scheme::EcdsaSecp256k1, &key, &parties, 3, &items),
        windows,
        max_attempts: Some(3),
    };
    let signers = parties.iter().map(|&party| {
        let transport = match party {
            CHEATER => cheater.clone(),
            _ => transports[party as usize].clone().unwrap(),
        };
        (party, transport)
    });
    let results = sign_each(signers.collect(), &shares, &hashes, &plan).await;
    assert!(
        tampered.load(Ordering::SeqCst) > 0,
        "the cheater sent a bad proof"
    );
    let honest: Vec<Vec<[u8; 64]>> = results
        .into_iter()
        .enumerate()
        .filter(|(party, _)| *party as PartyIndex != CHEATER)
        .map(|(party, result)| result.unwrap_or_else(|e| panic!("party {party}: {e}")))
        .collect();
    for signatures in &honest {
        assert_eq!(
            signatures, &honest[0],
            "every honest party returns the same signatures"
        );
    }
    assert_verifies(&key, &hashes[0], &honest[0][0]);
}

/// Runs a signing session of signers {0, 1, 2} of a 3-of-5 key where party 2 is replaced by
/// `misbehave`, and returns what the honest parties 0 and 1 got, and how long they took.
async fn sign_against<F, Fut>(misbehave: F) -> (Vec<Result<Vec<[u8; 64]>, MpcError>>, Duration)
where
    F: FnOnce(SessionChannel, KeyShare) -> Fut,
    Fut: Future<Output = ()>,
{
    let transports = tcp_parties(5).await;
    let shares = keygen_all(&transports, &load_aux_5(), 3, 3).await;
    let session = SessionId::new(CONTRACT, "sign", 30, 0);
    let signers = [0, 1, 2];
    let hashes = hashes(&["attacked"]);
    let bad_channel = transports[2]
        .as_ref()
        .unwrap()
        .open_session(session, signers.to_vec())
        .await
        .unwrap();
    let started = Instant::now();
    let (honest, ()) = tokio::join!(
        on_parties(&transports, &[0, 1], &signers, session, |party, channel| {
            ecdsa::sign(channel, &shares[party as usize], &hashes, SIGN_TIMEOUT)
        }),
        misbehave(bad_channel, shares[2].clone()),
    );
    (honest, started.elapsed())
}

fn assert_blames_party_2(results: &[Result<Vec<[u8; 64]>, MpcError>], reason_part: &str) {
    for result in results {
        match result {
            Err(MpcError::Malformed { party: 2, reason }) => {
                assert!(reason.contains(reason_part), "reason: {reason}")
            }
            other => panic!("expected a malformed message from party 2, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_a_signer_fails_the_session_naming_it() {
    let (results, took) = sign_against(|channel, _| async move {
        channel
            .send(None, b"\x00garbage, not a protocol message".to_vec())
            .await
            .unwrap();
        // Stay connected without saying anything else.
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    assert_blames_party_2(&results, "undecodable");
    assert!(took < SIGN_TIMEOUT / 2, "failed fast, took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signing_message_over_its_size_bound_fails_the_session_naming_its_sender() {
    let (results, took) = sign_against(|channel, _| async move {
        // Under the transport's frame limit, far over any signing message.
        channel.send(None, vec![b' '; 300 * 1024]).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
    })
    .await;
    assert_blames_party_2(&results, "more than");
    assert!(took < SIGN_TIMEOUT / 2, "failed fast, took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_of_another_session_fails_the_session_naming_its_sender() {
    let (results, took) = sign_against(|mut channel, share| async move {
        // Party 2 speaks genuine protocol messages, but of another session (a replay).
        channel.session = SessionId::new(CONTRACT, "sign", 999, 0);
        let _ = ecdsa::sign(channel, &share, &hashes(&["other"]), Duration::from_secs(5)).await;
    })
    .await;
    assert_blames_party_2(&results, "another session");
    assert!(took < SIGN_TIMEOUT / 2, "failed fast, took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_signer_times_out_naming_it() {
    let transports = tcp_parties(5).await;
    let shares = keygen_all(&transports, &load_aux_5(), 3, 4).await;
    let session = SessionId::new(CONTRACT, "sign", 40, 0);
    let timeout = Duration::from_secs(4);
    let hash = hashes(&["x"]);
    let started = Instant::now();
    // Party 2 is a signer but never joins.
    let results = on_parties(
        &transports,
        &[0, 1],
        &[0, 1, 2],
        session,
        |party, channel| ecdsa::sign(channel, &shares[party as usize], &hash, timeout),
    )
    .await;
    assert!(started.elapsed() < timeout * 3, "bounded by the timeout");
    for result in results {
        match result {
            Err(MpcError::Timeout { waiting_for, .. }) => assert_eq!(waiting_for, vec![2]),
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
}

fn refused<T>(result: Result<T, MpcError>) -> String {
    match result {
        Err(MpcError::InvalidRequest(reason)) => reason,
        Err(other) => panic!("expected InvalidRequest, got {other}"),
        Ok(_) => panic!("expected InvalidRequest, got success"),
    }
}

/// Opens a session for party `me` of `participants` on an in-memory network (no peer needed:
/// these requests are refused before anything is sent).
async fn lone_channel(me: PartyIndex, participants: &[PartyIndex]) -> SessionChannel {
    MemoryNetwork::new(5)
        .party(me)
        .open_session(
            SessionId::new(CONTRACT, "sign", 50, 0),
            participants.to_vec(),
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_before_any_message() {
    let transports = tcp_parties(5).await;
    let aux = load_aux_5();
    let shares = keygen_all(&transports, &aux, 3, 5).await;
    let hash = hashes(&["h"]);

    let reason =
        refused(ecdsa::sign(lone_channel(0, &[0, 1]).await, &shares[0], &hash, LONG).await);
    assert!(reason.contains("exactly 3 signers"), "{reason}");
    let reason =
        refused(ecdsa::sign(lone_channel(0, &[0, 1, 2]).await, &shares[0], &[], LONG).await);
    assert!(reason.contains("nothing to sign"), "{reason}");
    let reason = refused(ecdsa::keygen(lone_channel(0, &[0, 1, 2]).await, 2, &aux[0], LONG).await);
    assert!(reason.contains("aux info"), "{reason}");
    let reason =
        refused(ecdsa::keygen(lone_channel(0, &[0, 1, 2, 3, 4]).await, 1, &aux[0], LONG).await);
    assert!(reason.contains("threshold 1"), "{reason}");
}

/// A 3-of-5 key made by parties {0..4}: party 5 of a larger keyring is not one of its signers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signer_outside_the_key_is_refused() {
    let transports = tcp_parties(5).await;
    let shares = keygen_all(&transports, &load_aux_5(), 3, 6).await;
    let channel = MemoryNetwork::new(6)
        .party(0)
        .open_session(SessionId::new(CONTRACT, "sign", 60, 0), vec![0, 1, 5])
        .await
        .unwrap();
    let reason = refused(ecdsa::sign(channel, &shares[0], &hashes(&["h"]), LONG).await);
    assert!(
        reason.contains("signer 5 is not a party of the key"),
        "{reason}"
    );
}

/// Regenerates the fixtures: Paillier primes for parties 0..5, then the aux info of the party set
/// {0, 1, 2, 3, 4} from them (over an in-memory network). Minutes of CPU; run by hand only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "regenerates tests/fixtures; minutes of CPU"]
async fn regenerate_fixtures() {
    let started = Instant::now();
    let primes: Vec<PaillierPrimes> =
        all_ok(futures::future::join_all((0..5).map(|_| ecdsa::generate_primes())).await);
    eprintln!("primes of 5 parties: {:?}", started.elapsed());
    std::fs::write(
        fixture("ecdsa_primes.json"),
        serde_json::to_string(&primes).unwrap(),
    )
    .unwrap();

    let network = MemoryNetwork::new(5);
    let parties: Vec<PartyIndex> = (0..5).collect();
    let session = SessionId::new("fixtures", "aux", 0, 0);
    let runs = parties.iter().map(|&party| {
        let transport = network.party(party);
        let primes = primes[party as usize].clone();
        let parties = parties.clone();
        async move {
            let channel = transport.open_session(session, parties).await?;
            ecdsa::aux_info(channel, primes, Duration::from_secs(1800)).await
        }
    });
    let aux = all_ok(futures::future::join_all(runs).await);
    std::fs::write(
        fixture("ecdsa_aux_5.json"),
        serde_json::to_string(&aux).unwrap(),
    )
    .unwrap();
}

/// The parties compare aux-info digests before key generation, so the five parties of one aux
/// run must get the same digest (each party's own entry also holds its private CRT data, which
/// the digest leaves out; with it, every party's digest differed and aux info was always made
/// again).
#[test]
fn aux_info_digests_of_one_run_agree_across_its_parties() {
    let aux = load_aux_5();
    let digest = aux[0].public_digest();
    assert!(aux.iter().all(|a| a.public_digest() == digest));
    let (first, rest) = aux.split_at(1);
    assert!(rest.iter().all(|a| a.parties() == first[0].parties()));
    assert_ne!(digest, [0u8; 32]);
}
