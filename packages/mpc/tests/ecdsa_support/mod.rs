//! Helpers shared by the ECDSA tests and the ECDSA bench: parties on loopback TCP, running a step
//! on several parties at once, and the stored fixtures.
// Each includer uses a different subset of these helpers.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mpc_party::ecdsa::{self, AuxInfo, KeyShare, PaillierPrimes};
use mpc_party::transport::tcp::{loopback_configs, TcpTransport};
use mpc_party::{MpcError, PartyIndex, SessionChannel, SessionId, Transport};

pub const LONG: Duration = Duration::from_secs(300);
pub const SIGN_TIMEOUT: Duration = Duration::from_secs(60);
pub const CONTRACT: &str = "wasm1keyring";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn load_primes() -> Vec<PaillierPrimes> {
    let text = std::fs::read_to_string(fixture("ecdsa_primes.json")).expect("primes fixture");
    serde_json::from_str(&text).expect("primes fixture decodes")
}

pub fn load_aux_5() -> Vec<AuxInfo> {
    let text = std::fs::read_to_string(fixture("ecdsa_aux_5.json")).expect("aux fixture");
    serde_json::from_str(&text).expect("aux fixture decodes")
}

/// `n` parties on loopback TCP (Noise), each listening on its own port.
pub async fn tcp_parties(n: u16) -> Vec<Option<Arc<TcpTransport>>> {
    loopback_configs(n)
        .await
        .expect("loopback parties")
        .into_iter()
        .map(|(config, listener)| {
            Some(Arc::new(
                TcpTransport::start(config, listener).expect("start"),
            ))
        })
        .collect()
}

/// Runs `run` on each of `parties` in one session of `participants`, all at once.
pub async fn on_parties<T, F, Fut>(
    transports: &[Option<Arc<TcpTransport>>],
    parties: &[PartyIndex],
    participants: &[PartyIndex],
    session: SessionId,
    run: F,
) -> Vec<Result<T, MpcError>>
where
    F: Fn(PartyIndex, SessionChannel) -> Fut,
    Fut: Future<Output = Result<T, MpcError>>,
{
    let runs = parties.iter().map(|&party| {
        let transport = transports[party as usize].clone().expect("party online");
        let run = &run;
        async move {
            let channel = transport
                .open_session(session, participants.to_vec())
                .await?;
            run(party, channel).await
        }
    });
    futures::future::join_all(runs).await
}

/// Aux info of `parties` made live (the aux protocol on `session`) from the fixture primes.
pub async fn live_aux(
    transports: &[Option<Arc<TcpTransport>>],
    parties: &[PartyIndex],
    session: SessionId,
) -> Vec<AuxInfo> {
    let primes = load_primes();
    let runs = on_parties(transports, parties, parties, session, |party, channel| {
        ecdsa::aux_info(channel, primes[usize::from(party)].clone(), LONG)
    });
    all_ok(runs.await)
}

pub fn all_ok<T>(results: Vec<Result<T, MpcError>>) -> Vec<T> {
    results
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|e| panic!("participant #{i} failed: {e}")))
        .collect()
}

pub async fn keygen_all(
    transports: &[Option<Arc<TcpTransport>>],
    aux: &[AuxInfo],
    threshold: u16,
    request_id: u64,
) -> Vec<KeyShare> {
    let parties: Vec<PartyIndex> = (0..aux.len() as PartyIndex).collect();
    let session = SessionId::new(CONTRACT, "key", request_id, 0);
    all_ok(
        on_parties(transports, &parties, &parties, session, |party, channel| {
            ecdsa::keygen(channel, threshold, &aux[party as usize], LONG)
        })
        .await,
    )
}

pub async fn sign_with(
    transports: &[Option<Arc<TcpTransport>>],
    shares: &[KeyShare],
    signers: &[PartyIndex],
    hashes: &[[u8; 32]],
    request_id: u64,
) -> Vec<Vec<[u8; 64]>> {
    let session = SessionId::new(CONTRACT, "sign", request_id, 0);
    all_ok(
        on_parties(transports, signers, signers, session, |party, channel| {
            ecdsa::sign(channel, &shares[party as usize], hashes, SIGN_TIMEOUT)
        })
        .await,
    )
}
