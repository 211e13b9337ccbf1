//! Signer-set selection and the attempt/retry loop, shared by every signature scheme.
//!
//! A key is held by `parties` (sorted keyring indices); any `threshold` of them can sign. For a
//! request, attempt `k` uses session `plan.session(k)` (bound to every public input of the
//! request, [`SessionInputs`]) and the signer set [`SignerSchedule`] gives for it: every party
//! computes the same set without talking. The signers run the scheme's protocol on that session
//! (or, for a scheme that needs a fresh execution id, on the id they agree on from it: CGGMP21),
//! its participants exactly the signers, then send the final signatures to the non-signers on the
//! derived session `session.derive("result")` (participants: all of the key's parties), so every
//! party, signer or not, verifies and returns them (each party submits its own answer on chain).
//!
//! When an attempt times out (a chosen signer does not answer), every party moves on to the next
//! attempt, whose set shares as few parties as possible with the failed ones (the silent party
//! is among them); a small federation gets enough attempts to try every set. When a signer's run fails blaming parties (garbage, an
//! equivocated broadcast, an invalid share or proof), it tells every party who it blames (a
//! notice on the result session); a party named by more than half of the attempt's signers is
//! left out of every later set of the request ([`SignerSchedule::avoid`]), on every party alike,
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
use crate::session::{agree_run, SessionInputs};
use crate::transport::{PartyIndex, SessionChannel, SessionId, Transport};
use crate::wire;

/// Length of every signature this crate produces (ECDSA `r || s`, Ed25519 `R || s`).
pub const SIGNATURE_LEN: usize = 64;
pub type Signature = [u8; SIGNATURE_LEN];

/// The least time the signers of an attempt get to agree on its run id.
const MIN_AGREEMENT: Duration = Duration::from_secs(1);

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

    /// Whether each run needs an execution id never used before (CGGMP21 does): the signers then
    /// agree on one ([`agree_run`]) before running.
    fn needs_fresh_run_id(&self) -> bool {
        false
    }
}

/// Which request to sign and with which key's parties.
#[derive(Clone, Debug)]
pub struct SignPlan {
    /// Every public input of the run (the key's parties, sorted, and threshold among them):
    /// with the attempt, they make the session ids.
    pub inputs: SessionInputs,
    /// Bound on one protocol step; an attempt whose signer is silent this long is abandoned.
    pub step_timeout: Duration,
    /// The length of one attempt for everybody: how long a non-signer waits for the signers'
    /// result, and how long a signer whose attempt failed early waits before the next one.
    pub result_timeout: Duration,
    /// Attempts before giving up (each uses another signer set); `None`: enough to try every
    /// set of a small federation ([`SignerSchedule::attempts`]).
    pub max_attempts: Option<u32>,
}

impl SignPlan {
    pub fn parties(&self) -> &[PartyIndex] {
        &self.inputs.parties
    }

    pub fn threshold(&self) -> u16 {
        self.inputs.threshold
    }

    /// The signers' session of attempt `attempt` (a protocol needing a fresh execution id runs
    /// on the id its signers agree on from it, [`agree_run`]).
    pub fn session(&self, attempt: u32) -> SessionId {
        self.inputs.session("sign", attempt)
    }

    /// The session on which attempt `attempt`'s signers hand the result to the others.
    pub fn result_session(&self, attempt: u32) -> SessionId {
        self.session(attempt).derive("result")
    }
}

/// Sets of this many or fewer are enumerated, so every one can be tried ([`SignerSchedule`]);
/// beyond it (large federations) the schedule moves a window of `threshold` parties.
const ENUMERATED_SETS: u64 = 1024;

/// With this many signer sets or fewer, a request gets enough attempts to try each of them
/// (unless the operator set the number of attempts).
pub const SMALL_FEDERATION_SETS: u64 = 10;

/// Attempts of a request when the operator did not set them and there are many sets.
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// The signer sets of one request's attempts, the same at every party: each party computes them
/// from what all know alike (the key's parties, the threshold, the request's seed, the sets
/// already tried and the parties a majority of signers blamed), without talking.
///
/// A failed attempt's set holds a party that was silent or cheated, but which one is not common
/// knowledge, so the next set shares as few parties as possible with the last failed set, then
/// with all failed sets; among equals, an order taken from the seed spreads requests over the
/// parties. Each set of `threshold` parties not avoided is tried once before any is tried again.
#[derive(Clone, Debug)]
pub struct SignerSchedule {
    parties: Vec<PartyIndex>,
    threshold: u16,
    seed: SessionId,
    avoid: BTreeSet<PartyIndex>,
    tried: Vec<Vec<PartyIndex>>,
}

impl SignerSchedule {
    pub fn new(parties: &[PartyIndex], threshold: u16, seed: SessionId) -> Self {
        let mut parties = parties.to_vec();
        parties.sort_unstable();
        parties.dedup();
        Self {
            parties,
            threshold,
            seed,
            avoid: BTreeSet::new(),
            tried: Vec::new(),
        }
    }

    /// Leaves `parties` out of every later set.
    pub fn avoid(&mut self, parties: impl IntoIterator<Item = PartyIndex>) {
        self.avoid.extend(parties);
    }

    pub fn avoided(&self) -> &BTreeSet<PartyIndex> {
        &self.avoid
    }

    /// How many attempts a request gets: as `configured`, or when not configured, enough to
    /// try every set when there are at most [`SMALL_FEDERATION_SETS`] of them (and at least
    /// [`DEFAULT_ATTEMPTS`]).
    pub fn attempts(&self, configured: Option<u32>) -> u32 {
        let sets = binomial(self.parties.len() as u64, self.threshold as u64);
        match configured {
            Some(attempts) => attempts.max(1),
            None if sets <= SMALL_FEDERATION_SETS => DEFAULT_ATTEMPTS.max(sets as u32),
            None => DEFAULT_ATTEMPTS,
        }
    }

    /// The next attempt's set, recorded as tried; fewer than `threshold` parties when too many
    /// are avoided.
    pub fn next_set(&mut self) -> Vec<PartyIndex> {
        let candidates: Vec<PartyIndex> = self
            .parties
            .iter()
            .copied()
            .filter(|p| !self.avoid.contains(p))
            .collect();
        let t = self.threshold as usize;
        let set = if candidates.len() <= t {
            candidates
        } else if binomial(candidates.len() as u64, t as u64) <= ENUMERATED_SETS {
            self.least_overlapping(&candidates)
        } else {
            self.window(&candidates)
        };
        self.tried.push(set.clone());
        set
    }

    /// Among the sets not tried yet (all of them once each was tried), the one sharing the
    /// fewest parties with the last tried set, then with all tried sets, then first in the
    /// seed's order.
    fn least_overlapping(&self, candidates: &[PartyIndex]) -> Vec<PartyIndex> {
        let sets = combinations(candidates, self.threshold as usize);
        let untried: Vec<&Vec<PartyIndex>> =
            sets.iter().filter(|s| !self.tried.contains(s)).collect();
        let pool = if untried.is_empty() {
            sets.iter().collect()
        } else {
            untried
        };
        let overlap =
            |a: &[PartyIndex], b: &[PartyIndex]| a.iter().filter(|p| b.contains(p)).count();
        pool.into_iter()
            .min_by_key(|set| {
                let last = self.tried.last().map_or(0, |l| overlap(set, l));
                let all: usize = self.tried.iter().map(|t| overlap(set, t)).sum();
                (last, all, self.rank(set))
            })
            .expect("at least one set")
            .clone()
    }

    /// `threshold` consecutive candidates (cyclically) from an offset taken from the seed,
    /// moved on by `threshold` per attempt so consecutive sets share as few parties as can be.
    fn window(&self, candidates: &[PartyIndex]) -> Vec<PartyIndex> {
        let n = candidates.len() as u64;
        let t = self.threshold as u64;
        let offset = self.rank(&[]) % n;
        let start = (offset + t * self.tried.len() as u64) % n;
        let mut set: Vec<PartyIndex> = (0..t)
            .map(|i| candidates[((start + i) % n) as usize])
            .collect();
        set.sort_unstable();
        set
    }

    /// A number from the seed and `set`: the tie-break order, different per request.
    fn rank(&self, set: &[PartyIndex]) -> u64 {
        let mut h = Sha256::new()
            .chain_update(b"mpc-party/signer-set/v2")
            .chain_update(self.seed.0);
        for p in set {
            h.update(p.to_be_bytes());
        }
        u64::from_be_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
    }
}

/// The set of attempt `attempt` when `avoid` stays the same throughout (tests and tools).
pub fn signer_set(
    parties: &[PartyIndex],
    threshold: u16,
    seed: &SessionId,
    attempt: u32,
    avoid: &BTreeSet<PartyIndex>,
) -> Vec<PartyIndex> {
    let mut schedule = SignerSchedule::new(parties, threshold, *seed);
    schedule.avoid(avoid.iter().copied());
    let mut set = schedule.next_set();
    for _ in 0..attempt {
        set = schedule.next_set();
    }
    set
}

/// n choose k, saturating (only compared against small bounds).
fn binomial(n: u64, k: u64) -> u64 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut c: u64 = 1;
    for i in 0..k {
        c = c.saturating_mul(n - i) / (i + 1);
    }
    c
}

/// Every `k`-element subset of `items` (sorted as `items` is), in lexicographic order.
fn combinations(items: &[PartyIndex], k: usize) -> Vec<Vec<PartyIndex>> {
    let mut out = Vec::new();
    let mut picked = Vec::with_capacity(k);
    fn walk(
        items: &[PartyIndex],
        k: usize,
        from: usize,
        picked: &mut Vec<PartyIndex>,
        out: &mut Vec<Vec<PartyIndex>>,
    ) {
        if picked.len() == k {
            out.push(picked.clone());
            return;
        }
        for i in from..items.len() {
            picked.push(items[i]);
            walk(items, k, i + 1, picked, out);
            picked.pop();
        }
    }
    walk(items, k, 0, &mut picked, &mut out);
    out
}

/// Signs for `plan` as party `transport.me()`, trying signer sets until one answers.
pub async fn sign_with_retry(
    transport: &dyn Transport,
    protocol: &dyn SignerProtocol,
    plan: &SignPlan,
) -> Result<Vec<Signature>, MpcError> {
    let me = transport.me();
    if !plan.parties().contains(&me) {
        return Err(MpcError::InvalidRequest(format!(
            "party {me} does not hold this key"
        )));
    }
    if plan.threshold() == 0 || plan.threshold() as usize > plan.parties().len() {
        return Err(MpcError::InvalidRequest(format!(
            "threshold {} of {} parties",
            plan.threshold(),
            plan.parties().len()
        )));
    }
    let mut schedule = SignerSchedule::new(
        plan.parties(),
        plan.threshold(),
        plan.inputs.request.signer_seed(),
    );
    let max_attempts = schedule.attempts(plan.max_attempts);
    let mut last = None;
    let mut attempts = 0;
    for attempt in 0..max_attempts {
        let window_ends = tokio::time::Instant::now() + plan.result_timeout;
        let signers = schedule.next_set();
        if signers.len() < plan.threshold() as usize {
            break;
        }
        attempts += 1;
        let session = plan.session(attempt);
        tracing::debug!(me, %session, attempt, ?signers, avoid = ?schedule.avoided(), "signing attempt");
        let mut results = transport
            .open_session(plan.result_session(attempt), plan.parties().to_vec())
            .await?;
        let outcome = if signers.contains(&me) {
            match sign_as_signer(transport, session, &results, protocol, plan, &signers).await {
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
                schedule.avoid(agreed);
                tracing::info!(me, attempt, %error, blamed = ?error.blamed(), avoid = ?schedule.avoided(), "signing attempt failed, trying another set");
                last = Some(error);
                if attempt + 1 < max_attempts {
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
    for party in plan.parties().iter().filter(|p| **p != me) {
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

/// Runs the scheme as a signer on `session` (or on the run id the signers agree on from it),
/// then hands the checked signatures to the non-signers.
async fn sign_as_signer(
    transport: &dyn Transport,
    session: SessionId,
    results: &SessionChannel,
    protocol: &dyn SignerProtocol,
    plan: &SignPlan,
    signers: &[PartyIndex],
) -> Result<Vec<Signature>, MpcError> {
    let session = if protocol.needs_fresh_run_id() {
        // Agreement and the run must both fit in the attempt's window, or this party would start
        // its next attempt late and meet nobody there.
        let agreement = plan
            .result_timeout
            .saturating_sub(plan.step_timeout)
            .max(MIN_AGREEMENT);
        agree_run(transport, session, signers, agreement).await?
    } else {
        session
    };
    let channel = transport.open_session(session, signers.to_vec()).await?;
    let signatures = protocol.run_signers(channel, plan.step_timeout).await?;
    check_signatures(protocol, &signatures, None)?;
    let payload = wire::encode(&results.session, TAG_RESULT, &signatures.concat());
    for party in plan.parties().iter().filter(|p| !signers.contains(p)) {
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
            // Not a reason to give up on the attempt: the others may still send the result.
            tracing::warn!(from = msg.from, "stray message on the result session");
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

    fn seed(request_id: u64) -> SessionId {
        SessionId::new("c", "sign", request_id, 0)
    }

    /// Attempts until a set without any of `silent` comes up (every set with one fails).
    fn attempts_until_clear(
        parties: &[PartyIndex],
        t: u16,
        seed: SessionId,
        silent: &[PartyIndex],
    ) -> usize {
        let mut schedule = SignerSchedule::new(parties, t, seed);
        (1..=100)
            .find(|_| !schedule.next_set().iter().any(|p| silent.contains(p)))
            .expect("a clear set within 100 attempts")
    }

    #[test]
    fn a_small_federation_tries_every_set_once_before_any_again() {
        for (n, t, sets) in [(3u16, 2u16, 3usize), (4, 2, 6), (5, 3, 10), (4, 4, 1)] {
            let parties: Vec<PartyIndex> = (0..n).collect();
            for request in 0..20 {
                let mut schedule = SignerSchedule::new(&parties, t, seed(request));
                assert_eq!(
                    schedule.attempts(None),
                    (sets as u32).max(DEFAULT_ATTEMPTS),
                    "{n} parties, threshold {t}"
                );
                assert_eq!(schedule.attempts(Some(1)), 1, "the operator's number holds");
                let tried: Vec<_> = (0..sets).map(|_| schedule.next_set()).collect();
                let distinct: BTreeSet<_> = tried.iter().cloned().collect();
                assert_eq!(
                    distinct.len(),
                    sets,
                    "{n} parties, threshold {t}: {tried:?}"
                );
                assert!(tried.iter().all(|s| s.len() == t as usize));
            }
        }
    }

    #[test]
    fn after_a_failed_attempt_the_next_set_avoids_its_parties() {
        // 4 parties, threshold 2: the set after a failed one is disjoint from it, so one silent
        // party costs at most one attempt; 6 parties, threshold 3 likewise.
        for (n, t) in [(4u16, 2u16), (6, 3)] {
            let parties: Vec<PartyIndex> = (0..n).collect();
            for request in 0..20 {
                let mut schedule = SignerSchedule::new(&parties, t, seed(request));
                let first = schedule.next_set();
                let second = schedule.next_set();
                assert!(
                    first.iter().all(|p| !second.contains(p)),
                    "{first:?} then {second:?}"
                );
                for silent in 0..n {
                    assert!(attempts_until_clear(&parties, t, seed(request), &[silent]) <= 2);
                }
            }
        }
        // 5 parties, threshold 3: any two sets overlap; one silent party is passed within 3
        // attempts, where moving the set on by one party kept it for up to 3 and more.
        let parties = [0, 1, 2, 3, 4];
        for request in 0..50 {
            for silent in 0..5 {
                assert!(attempts_until_clear(&parties, 3, seed(request), &[silent]) <= 3);
            }
        }
    }

    #[test]
    fn every_party_computes_the_same_sets() {
        let parties = [0, 1, 2, 3, 4, 5, 6];
        let mut a = SignerSchedule::new(&parties, 4, seed(9));
        // Another party lists the key's parties in another order.
        let mut b = SignerSchedule::new(&[6, 5, 4, 3, 2, 1, 0], 4, seed(9));
        for attempt in 0..40 {
            if attempt == 3 {
                a.avoid([2]);
                b.avoid([2]);
            }
            assert_eq!(a.next_set(), b.next_set());
        }
    }

    #[test]
    fn a_large_federation_moves_a_window_of_threshold_parties() {
        // 30 choose 15 sets are too many to list: consecutive windows are disjoint.
        let parties: Vec<PartyIndex> = (0..30).collect();
        let mut schedule = SignerSchedule::new(&parties, 15, seed(1));
        assert_eq!(schedule.attempts(None), DEFAULT_ATTEMPTS);
        let first = schedule.next_set();
        let second = schedule.next_set();
        assert_eq!(first.len(), 15);
        assert!(first.iter().all(|p| !second.contains(p)));
    }

    #[test]
    fn binomials_and_combinations() {
        assert_eq!(binomial(5, 3), 10);
        assert_eq!(binomial(3, 4), 0);
        assert!(binomial(200, 100) > ENUMERATED_SETS);
        assert_eq!(
            combinations(&[1, 2, 3], 2),
            vec![vec![1, 2], vec![1, 3], vec![2, 3]]
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
