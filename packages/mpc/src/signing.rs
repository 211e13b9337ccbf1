//! Signer-set selection and the attempt/retry loop, shared by every signature scheme.
//!
//! A key is held by `parties` (sorted keyring indices); any `threshold` of them can sign. For a
//! request, attempt `k` uses session `SessionId::new(contract, "sign", request_id, k)` and the
//! signer set [`signer_set`]`(parties, threshold, seed, k)`, where `seed` is the attempt-0 session
//! id: every party computes the same set without talking. The signers run the scheme's protocol
//! on that session (its participants are exactly the signers), then send the final signatures to
//! the non-signers on the derived session `session.derive("result")` (participants: all of the
//! key's parties), so every party, signer or not, verifies and returns them (each party submits
//! its own answer on chain).
//!
//! When an attempt times out (a chosen signer does not answer), every party moves on to the next
//! attempt, whose set is rotated by one. When a signer's run fails blaming parties (garbage, an
//! equivocated broadcast, an invalid share or proof), it tells every party who it blames (a
//! notice on the result session); a party named by more than half of the attempt's signers is
//! left out of every later set of the request ([`signer_set`]'s `avoid`), on every party alike,
//! so one cheater cannot get an honest signer excluded on its word alone. A failed attempt lasts
//! `result_timeout` for every party, signer or not: a signer that gives up early waits out the
//! rest of the window (collecting notices), so that parties which fail at different points do not
//! drift apart and meet in different attempts. When no set of `threshold` parties is left, the
//! request fails with the last error, which names the culprits.
//!
//! A scheme plugs in by implementing [`SignerProtocol`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::MpcError;
use crate::transport::{PartyIndex, SessionChannel, SessionId, Transport};
use crate::wire;

/// Length of every signature this crate produces (ECDSA `r || s`, Ed25519 `R || s`).
pub const SIGNATURE_LEN: usize = 64;
pub type Signature = [u8; SIGNATURE_LEN];

/// Tag of the message carrying the final signatures from a signer to the non-signers.
const TAG_RESULT: u8 = 0xF0;
/// Tag of a failed signer's notice naming the parties it blames (u16 big-endian each).
const TAG_BLAME: u8 = 0xF1;

/// One scheme's signing protocol for one request.
#[async_trait::async_trait]
pub trait SignerProtocol: Send + Sync {
    /// Number of items (messages or hashes) to sign.
    fn items(&self) -> usize;

    /// Runs the protocol on `channel`, whose participants are exactly the signers (sorted,
    /// includes `channel.me`). Each step must be bounded by `step_timeout`. Returns one signature
    /// per item, in order.
    async fn run_signers(
        &self,
        channel: SessionChannel,
        step_timeout: Duration,
    ) -> Result<Vec<Signature>, MpcError>;

    /// Whether `signature` is a valid signature of item `index` under the key.
    fn verify(&self, index: usize, signature: &Signature) -> bool;
}

/// Which request to sign and with which key's parties.
#[derive(Clone, Debug)]
pub struct SignPlan {
    /// Contract address and request id: with the attempt, they make the session id.
    pub contract: String,
    pub request_id: u64,
    /// The key's parties (keyring indices), sorted.
    pub parties: Vec<PartyIndex>,
    pub threshold: u16,
    /// Bound on one protocol step; an attempt whose signer is silent this long is abandoned.
    pub step_timeout: Duration,
    /// The length of one attempt for everybody: how long a non-signer waits for the signers'
    /// result, and how long a signer whose attempt failed early waits before the next one.
    pub result_timeout: Duration,
    /// Attempts before giving up (each uses another signer set).
    pub max_attempts: u32,
}

impl SignPlan {
    /// The signers' session of attempt `attempt`.
    pub fn session(&self, attempt: u32) -> SessionId {
        SessionId::new(&self.contract, "sign", self.request_id, attempt)
    }

    /// The session on which attempt `attempt`'s signers hand the result to the others.
    pub fn result_session(&self, attempt: u32) -> SessionId {
        self.session(attempt).derive("result")
    }
}

/// The signer set of `attempt`: `threshold` consecutive parties (cyclically) of those not in
/// `avoid`, starting at an offset taken from `seed`, shifted by one per attempt. Deterministic,
/// so all parties agree. Fewer than `threshold` parties when too many are avoided.
pub fn signer_set(
    parties: &[PartyIndex],
    threshold: u16,
    seed: &SessionId,
    attempt: u32,
    avoid: &BTreeSet<PartyIndex>,
) -> Vec<PartyIndex> {
    let candidates: Vec<PartyIndex> = parties
        .iter()
        .copied()
        .filter(|p| !avoid.contains(p))
        .collect();
    let n = candidates.len();
    if n == 0 {
        return Vec::new();
    }
    let digest = Sha256::new()
        .chain_update(b"mpc-party/signer-set/v1")
        .chain_update(seed.0)
        .finalize();
    let offset = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % n as u64;
    let start = (offset + attempt as u64) % n as u64;
    let mut set: Vec<PartyIndex> = (0..(threshold as usize).min(n))
        .map(|i| candidates[(start as usize + i) % n])
        .collect();
    set.sort_unstable();
    set
}

/// Signs for `plan` as party `transport.me()`, trying signer sets until one answers.
pub async fn sign_with_retry(
    transport: &dyn Transport,
    protocol: &dyn SignerProtocol,
    plan: &SignPlan,
) -> Result<Vec<Signature>, MpcError> {
    let me = transport.me();
    if !plan.parties.contains(&me) {
        return Err(MpcError::InvalidRequest(format!(
            "party {me} does not hold this key"
        )));
    }
    if plan.threshold == 0 || plan.threshold as usize > plan.parties.len() {
        return Err(MpcError::InvalidRequest(format!(
            "threshold {} of {} parties",
            plan.threshold,
            plan.parties.len()
        )));
    }
    let seed = plan.session(0);
    let mut last = None;
    let mut avoid = BTreeSet::new();
    let mut attempts = 0;
    for attempt in 0..plan.max_attempts.max(1) {
        let window_ends = tokio::time::Instant::now() + plan.result_timeout;
        let session = plan.session(attempt);
        let signers = signer_set(&plan.parties, plan.threshold, &seed, attempt, &avoid);
        if signers.len() < plan.threshold as usize {
            break;
        }
        attempts += 1;
        tracing::debug!(me, %session, attempt, ?signers, ?avoid, "signing attempt");
        let mut results = transport
            .open_session(plan.result_session(attempt), plan.parties.clone())
            .await?;
        let outcome = if signers.contains(&me) {
            let channel = transport.open_session(session, signers.clone()).await?;
            match sign_as_signer(channel, &results, protocol, plan, &signers).await {
                Ok(signatures) => Ok(signatures),
                Err(error) if retryable(&error) => {
                    let notices =
                        exchange_blame(&mut results, plan, &signers, &error, window_ends).await;
                    Err(Failure {
                        agreed: agreed_blame(&notices, &signers),
                        error,
                    })
                }
                Err(error) => Err(Failure {
                    error,
                    agreed: Vec::new(),
                }),
            }
        } else {
            await_result(&mut results, protocol, plan, &signers).await
        };
        match outcome {
            Ok(signatures) => return Ok(signatures),
            // A silent or cheating party: another set may succeed. Only what a majority of the
            // signers agreed on is avoided, so every party picks the same next set.
            Err(Failure { error, agreed }) if retryable(&error) || !agreed.is_empty() => {
                avoid.extend(agreed);
                tracing::info!(me, attempt, %error, blamed = ?error.blamed(), ?avoid, "signing attempt failed, trying another set");
                last = Some(error);
                if attempt + 1 < plan.max_attempts {
                    tokio::time::sleep_until(window_ends).await;
                }
            }
            Err(Failure { error, .. }) => return Err(error),
        }
    }
    Err(MpcError::AttemptsExhausted {
        attempts,
        last: Box::new(last.unwrap_or_else(|| {
            MpcError::InvalidRequest("fewer than threshold parties left to sign".into())
        })),
    })
}

/// Whether another signer set may succeed where this error happened: a party was silent or
/// cheated (not a local fault such as a missing share).
fn retryable(error: &MpcError) -> bool {
    matches!(error, MpcError::Timeout { .. }) || !error.blamed().is_empty()
}

/// After a failed run as a signer: tells every other party whom I blame (maybe nobody), then
/// collects the other signers' notices until each signer has answered or the attempt's window
/// ends. Returns, per signer, whom it blames (mine included).
async fn exchange_blame(
    results: &mut SessionChannel,
    plan: &SignPlan,
    signers: &[PartyIndex],
    error: &MpcError,
    window_ends: tokio::time::Instant,
) -> BTreeMap<PartyIndex, Vec<PartyIndex>> {
    let me = results.me;
    let blamed = error.blamed();
    let body: Vec<u8> = blamed.iter().flat_map(|p| p.to_be_bytes()).collect();
    let payload = wire::encode(&results.session, TAG_BLAME, &body);
    for party in plan.parties.iter().filter(|p| **p != me) {
        // A closed session only means this party is shutting down.
        let _ = results.send(Some(*party), payload.clone()).await;
    }
    let mut notices = BTreeMap::from([(me, blamed)]);
    while signers.iter().any(|s| !notices.contains_key(s)) {
        let left = window_ends.saturating_duration_since(tokio::time::Instant::now());
        let Ok(msg) = results.recv_timeout("blame notices", left, &[]).await else {
            break;
        };
        if let Ok((TAG_BLAME, body)) = wire::decode(&results.session, &msg) {
            if signers.contains(&msg.from) {
                notices.insert(msg.from, parse_blame(&body));
            }
        }
    }
    notices
}

fn parse_blame(body: &[u8]) -> Vec<PartyIndex> {
    body.chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// The parties named by more than half of the attempt's signers: an honest majority of signers
/// agrees on them, and a minority cannot name an honest party alone.
fn agreed_blame(
    notices: &BTreeMap<PartyIndex, Vec<PartyIndex>>,
    signers: &[PartyIndex],
) -> Vec<PartyIndex> {
    let mut votes: BTreeMap<PartyIndex, usize> = BTreeMap::new();
    for (from, blamed) in notices {
        if !signers.contains(from) {
            continue;
        }
        for party in blamed.iter().collect::<BTreeSet<_>>() {
            *votes.entry(*party).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .filter(|(_, n)| 2 * n > signers.len())
        .map(|(p, _)| p)
        .collect()
}

/// Why an attempt failed: the error as this party saw it (naming whom it blames), and the
/// parties a majority of the attempt's signers blamed (avoided from now on).
struct Failure {
    error: MpcError,
    agreed: Vec<PartyIndex>,
}

/// Runs the scheme as a signer, then hands the checked signatures to the non-signers.
async fn sign_as_signer(
    channel: SessionChannel,
    results: &SessionChannel,
    protocol: &dyn SignerProtocol,
    plan: &SignPlan,
    signers: &[PartyIndex],
) -> Result<Vec<Signature>, MpcError> {
    let signatures = protocol.run_signers(channel, plan.step_timeout).await?;
    check_signatures(protocol, &signatures, None)?;
    let payload = wire::encode(&results.session, TAG_RESULT, &signatures.concat());
    for party in plan.parties.iter().filter(|p| !signers.contains(p)) {
        results.send(Some(*party), payload.clone()).await?;
    }
    Ok(signatures)
}

/// A non-signer takes the first valid result a signer sends. An invalid one is remembered and
/// reported (naming its sender) only if no signer sends a valid one. Failed signers' notices are
/// collected: the parties a majority of signers blame are the attempt's culprits.
async fn await_result(
    channel: &mut SessionChannel,
    protocol: &dyn SignerProtocol,
    plan: &SignPlan,
    signers: &[PartyIndex],
) -> Result<Vec<Signature>, Failure> {
    let deadline = tokio::time::Instant::now() + plan.result_timeout;
    let mut waiting_for = signers.to_vec();
    let mut refused = None;
    let mut notices = BTreeMap::new();
    let mut last_error = None;
    while !waiting_for.is_empty() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = match channel
            .recv_timeout("final signatures", left, &waiting_for)
            .await
        {
            Ok(msg) => msg,
            Err(e) => {
                last_error = Some(e);
                break;
            }
        };
        let decoded = wire::decode(&channel.session, &msg);
        let Some((tag, body)) = decoded
            .ok()
            .filter(|(tag, _)| *tag == TAG_RESULT || *tag == TAG_BLAME)
            .filter(|_| waiting_for.contains(&msg.from))
        else {
            refused = Some(MpcError::Malformed {
                party: msg.from,
                reason: "unexpected message on the result session".into(),
            });
            waiting_for.retain(|p| *p != msg.from);
            continue;
        };
        waiting_for.retain(|p| *p != msg.from);
        if tag == TAG_BLAME {
            notices.insert(msg.from, parse_blame(&body));
            continue;
        }
        match parse_signatures(protocol, msg.from, &body) {
            Ok(signatures) => return Ok(signatures),
            Err(e) => {
                tracing::warn!(from = msg.from, error = %e, "refused a signer's result");
                refused = Some(e);
            }
        }
    }
    let agreed = agreed_blame(&notices, signers);
    let error = if agreed.is_empty() {
        refused.or(last_error).unwrap_or_else(|| MpcError::Timeout {
            step: "final signatures".into(),
            after_ms: plan.result_timeout.as_millis() as u64,
            waiting_for: signers.to_vec(),
        })
    } else {
        MpcError::Misbehaved {
            parties: agreed.clone(),
            reason: "a majority of the signers blamed these parties".into(),
        }
    };
    Err(Failure { error, agreed })
}

fn parse_signatures(
    protocol: &dyn SignerProtocol,
    from: PartyIndex,
    body: &[u8],
) -> Result<Vec<Signature>, MpcError> {
    if !body.len().is_multiple_of(SIGNATURE_LEN) {
        return Err(MpcError::Malformed {
            party: from,
            reason: "result is not a list of 64-byte signatures".into(),
        });
    }
    let signatures: Vec<Signature> = body
        .chunks_exact(SIGNATURE_LEN)
        .map(|c| c.try_into().expect("64-byte chunk"))
        .collect();
    check_signatures(protocol, &signatures, Some(from))?;
    Ok(signatures)
}

/// One signature per item, each valid; `from` is blamed otherwise.
fn check_signatures(
    protocol: &dyn SignerProtocol,
    signatures: &[Signature],
    from: Option<PartyIndex>,
) -> Result<(), MpcError> {
    if signatures.len() != protocol.items() {
        return Err(MpcError::Protocol {
            party: from,
            reason: format!(
                "{} signatures for {} items",
                signatures.len(),
                protocol.items()
            ),
        });
    }
    if let Some(bad) = (0..signatures.len()).find(|i| !protocol.verify(*i, &signatures[*i])) {
        return Err(MpcError::Protocol {
            party: from,
            reason: format!("signature {bad} does not verify"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_sets_are_deterministic_rotate_and_cover_everyone() {
        let parties = [0, 1, 2, 3, 4];
        let seed = SessionId::new("c", "sign", 1, 0);
        let none = BTreeSet::new();
        let first = signer_set(&parties, 3, &seed, 0, &none);
        assert_eq!(first, signer_set(&parties, 3, &seed, 0, &none));
        assert_eq!(first.len(), 3);
        let sets: Vec<_> = (0..5)
            .map(|a| signer_set(&parties, 3, &seed, a, &none))
            .collect();
        // n consecutive attempts give n different sets, and any one party is left out of some.
        for (i, a) in sets.iter().enumerate() {
            for b in &sets[i + 1..] {
                assert_ne!(a, b);
            }
        }
        for p in parties {
            assert!(sets.iter().any(|s| !s.contains(&p)));
        }
        // Different requests start at different places (for some of a few seeds).
        let starts: std::collections::BTreeSet<_> = (0..20)
            .map(|r| signer_set(&parties, 3, &SessionId::new("c", "sign", r, 0), 0, &none))
            .collect();
        assert!(starts.len() > 1);
    }

    #[test]
    fn avoided_parties_are_never_chosen_and_too_few_left_gives_a_short_set() {
        let parties = [0, 1, 2, 3];
        let seed = SessionId::new("c", "sign", 7, 0);
        let avoid = BTreeSet::from([2]);
        for attempt in 0..6 {
            let set = signer_set(&parties, 3, &seed, attempt, &avoid);
            assert_eq!(set, vec![0, 1, 3]);
        }
        assert_eq!(
            signer_set(&parties, 3, &seed, 0, &BTreeSet::from([1, 2])).len(),
            2
        );
    }

    #[test]
    fn only_a_majority_of_signers_gets_a_party_blamed() {
        let signers = [0, 1, 2];
        // Two honest signers name 2; 2 names 1 alone.
        let notices = BTreeMap::from([(0, vec![2]), (1, vec![2]), (2, vec![1, 1])]);
        assert_eq!(agreed_blame(&notices, &signers), vec![2]);
        // One signer's word is not enough, nor is a non-signer's.
        let notices = BTreeMap::from([(2, vec![0]), (5, vec![0])]);
        assert!(agreed_blame(&notices, &signers).is_empty());
    }
}
