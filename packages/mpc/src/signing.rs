//! Signer-set selection and the attempt loop, shared by every signature scheme.
//!
//! A key is held by `parties` (sorted keyring indices); any `threshold` of them can sign. An
//! attempt is a window on the wall clock ([`Windows`]), the same at every party: a party that
//! arrives late joins the window in progress (or the next), and parties that failed at
//! different points meet again in the next window. In window `k` every party picks the signer
//! set from what it knows alike with the others ([`SignerSchedule::set_for`]): the key's
//! parties it hears from now ([`Transport::live`]: heartbeats, so a stopped or unreachable party
//! is not chosen while `threshold` others are live), minus the parties a majority of an earlier
//! attempt's signers blamed, rotated by `k`. The set is bound into the signers' session id, so
//! parties that chose different sets (their views of who is live differed for a moment) never
//! share a session: their attempt fails and the next window tries again.
//!
//! The signers run the scheme's protocol (on a run id they agree on first, for a scheme that
//! needs a fresh execution id: CGGMP21), then send the final signatures to every other party on
//! the window's result session, so every party, signer or not, verifies and returns them (each
//! party submits its own answer on chain). A signer also takes a valid result that arrives there
//! while it runs (another set's signers finished first).
//!
//! A signer whose run fails tells every party whom it blames (a notice on the result session,
//! sent before [`Window::work_ends`], so every party has read it when the window ends); a party
//! named by more than half of the attempt's signers is left out of the request's later sets, on
//! every party alike, so one cheater cannot get an honest signer excluded on its word alone.
//! A timeout blames nobody. An attempt's failure is the caller's to retry, except where this
//! party itself cannot take part ([`MpcError::is_local`]).
//!
//! A scheme plugs in by implementing [`SignerProtocol`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::error::MpcError;
use crate::session::{agree_run, SessionInputs};
use crate::transport::{Outgoing, PartyIndex, SessionChannel, SessionId, Transport};
use crate::windows::{Window, Windows};
use crate::wire;

/// Length of every signature this crate produces (ECDSA `r || s`, Ed25519 `R || s`).
pub const SIGNATURE_LEN: usize = 64;
pub type Signature = [u8; SIGNATURE_LEN];

/// Tag of the message carrying the final signatures from a signer to the other parties.
const TAG_RESULT: u8 = 0xF0;
/// Tag of a failed signer's notice naming the parties it blames (u16 big-endian each).
const TAG_BLAME: u8 = 0xF1;

/// One scheme's signing protocol for one request.
#[async_trait::async_trait]
pub trait SignerProtocol: Send + Sync {
    /// Number of items (messages or hashes) to sign.
    fn items(&self) -> usize;

    /// Runs the protocol on `channel`, whose participants are exactly the signers (sorted,
    /// includes `channel.me`). Each wait must be bounded by `step_timeout`. Returns one
    /// signature per item, in order.
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
    /// with the window and the signer set, they make the session ids.
    pub inputs: SessionInputs,
    /// The attempts' windows: an attempt's every wait ends with its window.
    pub windows: Windows,
    /// Windows tried before [`sign_with_retry`] returns the last failure (the caller decides
    /// whether to try again); `None`: enough to try every set of a small federation
    /// ([`SignerSchedule::attempts`]).
    pub max_attempts: Option<u32>,
}

impl SignPlan {
    pub fn parties(&self) -> &[PartyIndex] {
        &self.inputs.parties
    }

    pub fn threshold(&self) -> u16 {
        self.inputs.threshold
    }

    /// The signers' session in window `window` with `signers` (a protocol needing a fresh
    /// execution id runs on the id its signers agree on from it, [`agree_run`]). The set is
    /// bound in it: parties that chose different sets never share a session.
    pub fn session(&self, window: u64, signers: &[PartyIndex]) -> SessionId {
        let set: Vec<String> = signers.iter().map(|p| p.to_string()).collect();
        self.inputs
            .session(&format!("sign/{}", set.join(",")), window)
    }

    /// The session on which window `window`'s signers hand the result (or their blame) to
    /// every other party.
    pub fn result_session(&self, window: u64) -> SessionId {
        self.inputs.session("sign-result", window)
    }
}

/// Sets of this many or fewer are enumerated, so every one comes up in turn
/// ([`SignerSchedule`]); beyond it (large federations) the schedule moves a window of
/// `threshold` parties.
const ENUMERATED_SETS: u64 = 256;

/// With this many signer sets or fewer, a call gets enough attempts to try each of them
/// (unless the operator set the number of attempts).
pub const SMALL_FEDERATION_SETS: u64 = 10;

/// Attempts of a call when the operator did not set them and there are many sets.
pub const DEFAULT_ATTEMPTS: u32 = 3;

/// The signer sets of one request, the same at every party: each party computes the set of a
/// window from what all know alike (the key's parties, the threshold, the request's seed, the
/// window's number) and the candidates it sees (live, not blamed), without talking.
///
/// A failed window's set may hold a party that was silent or cheated, but which one is not
/// common knowledge, so consecutive windows' sets share as few parties as possible; every set
/// of `threshold` candidates comes up once in as many windows as there are sets, in an order
/// taken from the seed (so requests spread over the parties).
#[derive(Clone, Debug)]
pub struct SignerSchedule {
    parties: Vec<PartyIndex>,
    threshold: u16,
    seed: SessionId,
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
        }
    }

    /// How many attempts a call gets: as `configured`, or when not configured, enough to try
    /// every set when there are at most [`SMALL_FEDERATION_SETS`] of them (and at least
    /// [`DEFAULT_ATTEMPTS`]).
    pub fn attempts(&self, configured: Option<u32>) -> u32 {
        let sets = binomial(self.parties.len() as u64, self.threshold as u64);
        match configured {
            Some(attempts) => attempts.max(1),
            None if sets <= SMALL_FEDERATION_SETS => DEFAULT_ATTEMPTS.max(sets as u32),
            None => DEFAULT_ATTEMPTS,
        }
    }

    /// The set of window `window` among `candidates` (the key's parties this party hears from
    /// and no majority blamed); fewer than `threshold` parties when there are not enough.
    pub fn set_for(&self, candidates: &[PartyIndex], window: u64) -> Vec<PartyIndex> {
        let mut candidates: Vec<PartyIndex> = candidates
            .iter()
            .copied()
            .filter(|p| self.parties.contains(p))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let t = self.threshold as usize;
        if candidates.len() <= t {
            return candidates;
        }
        let sets = binomial(candidates.len() as u64, t as u64);
        if sets <= ENUMERATED_SETS {
            let cycle = self.cycle(&candidates);
            cycle[(window % cycle.len() as u64) as usize].clone()
        } else {
            self.moving_window(&candidates, window)
        }
    }

    /// Every set of `threshold` candidates once, each sharing the fewest parties with the one
    /// before it, then with all before it, then first in the seed's order.
    fn cycle(&self, candidates: &[PartyIndex]) -> Vec<Vec<PartyIndex>> {
        let mut left = combinations(candidates, self.threshold as usize);
        let overlap =
            |a: &[PartyIndex], b: &[PartyIndex]| a.iter().filter(|p| b.contains(p)).count();
        let mut cycle: Vec<Vec<PartyIndex>> = Vec::with_capacity(left.len());
        while !left.is_empty() {
            let (best, _) = left
                .iter()
                .enumerate()
                .min_by_key(|(_, set)| {
                    let last = cycle.last().map_or(0, |l| overlap(set, l));
                    let all: usize = cycle.iter().map(|t| overlap(set, t)).sum();
                    (last, all, self.rank(set))
                })
                .expect("at least one set left");
            cycle.push(left.swap_remove(best));
        }
        cycle
    }

    /// `threshold` consecutive candidates (cyclically) from an offset taken from the seed,
    /// moved on by `threshold` per window so consecutive sets share as few parties as can be.
    fn moving_window(&self, candidates: &[PartyIndex], window: u64) -> Vec<PartyIndex> {
        let n = candidates.len() as u64;
        let t = self.threshold as u64;
        let offset = self.rank(&[]) % n;
        let start = (offset + (t * (window % n)) % n) % n;
        let mut set: Vec<PartyIndex> = (0..t)
            .map(|i| candidates[((start + i) % n) as usize])
            .collect();
        set.sort_unstable();
        set
    }

    /// A number from the seed and `set`: the tie-break order, different per request.
    fn rank(&self, set: &[PartyIndex]) -> u64 {
        let mut h = Sha256::new()
            .chain_update(b"mpc-party/signer-set/v3")
            .chain_update(self.seed.0);
        for p in set {
            h.update(p.to_be_bytes());
        }
        u64::from_be_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
    }
}

/// The set of window `window` for a request with seed `seed` when `avoid` are left out and
/// every party is live (tests and tools).
pub fn signer_set(
    parties: &[PartyIndex],
    threshold: u16,
    seed: &SessionId,
    window: u64,
    avoid: &BTreeSet<PartyIndex>,
) -> Vec<PartyIndex> {
    let candidates: Vec<PartyIndex> = parties
        .iter()
        .copied()
        .filter(|p| !avoid.contains(p))
        .collect();
    SignerSchedule::new(parties, threshold, *seed).set_for(&candidates, window)
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

/// Signs for `plan` as party `transport.me()`: one attempt per window, each with the set of
/// that window, until one gives the signatures or `plan`'s attempts are used up (the last
/// failure is returned; the caller may call again: the next window is as good as any).
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
    let t = plan.threshold() as usize;
    if t == 0 || t > plan.parties().len() {
        return Err(MpcError::InvalidRequest(format!(
            "threshold {} of {} parties",
            plan.threshold(),
            plan.parties().len()
        )));
    }
    let schedule = SignerSchedule::new(
        plan.parties(),
        plan.threshold(),
        plan.inputs.request.signer_seed(),
    );
    let attempts = schedule.attempts(plan.max_attempts);
    let mut avoid: BTreeSet<PartyIndex> = BTreeSet::new();
    let mut window = plan.windows.to_join();
    let mut last = None;
    for attempt in 0..attempts {
        if attempt > 0 {
            window = plan.windows.after(&window);
        }
        tokio::time::sleep_until(window.starts).await;
        let live = transport.live();
        let candidates: Vec<PartyIndex> = plan
            .parties()
            .iter()
            .copied()
            .filter(|p| live.contains(p) && !avoid.contains(p))
            .collect();
        if candidates.len() < t {
            let silent: Vec<PartyIndex> = plan
                .parties()
                .iter()
                .copied()
                .filter(|p| !live.contains(p))
                .collect();
            tracing::info!(me, window = window.number, ?silent, avoid = ?avoid, "fewer than threshold parties are live; waiting for the next window");
            last = Some(MpcError::Timeout {
                step: "live parties".into(),
                after_ms: window.length().as_millis() as u64,
                waiting_for: silent,
            });
            tokio::time::sleep_until(window.ends).await;
            continue;
        }
        let signers = schedule.set_for(&candidates, window.number);
        tracing::debug!(me, window = window.number, ?signers, avoid = ?avoid, "signing attempt");
        match attempt_in_window(transport, protocol, plan, &window, &signers).await {
            Ok(signatures) => return Ok(signatures),
            Err(Failure { error, .. }) if error.is_local() => return Err(error),
            Err(Failure { error, agreed }) => {
                avoid.extend(agreed);
                tracing::info!(me, window = window.number, ?signers, %error, blamed = ?error.blamed(), avoid = ?avoid, "signing attempt failed; the next window tries again");
                last = Some(error);
                tokio::time::sleep_until(window.ends).await;
            }
        }
    }
    Err(MpcError::AttemptsExhausted {
        attempts,
        last: Box::new(last.unwrap_or_else(|| {
            MpcError::InvalidRequest("fewer than threshold parties left to sign".into())
        })),
    })
}

/// Why an attempt failed: the error as this party saw it (naming whom it blames), and the
/// parties a majority of the attempt's signers blamed (avoided from now on).
struct Failure {
    error: MpcError,
    agreed: Vec<PartyIndex>,
}

impl From<MpcError> for Failure {
    fn from(error: MpcError) -> Self {
        Self {
            error,
            agreed: Vec::new(),
        }
    }
}

/// One window's attempt: as a signer, the protocol (taking a valid result from the result
/// session meanwhile); as a non-signer, the wait for the result.
async fn attempt_in_window(
    transport: &dyn Transport,
    protocol: &dyn SignerProtocol,
    plan: &SignPlan,
    window: &Window,
    signers: &[PartyIndex],
) -> Result<Vec<Signature>, Failure> {
    let me = transport.me();
    let channel = transport
        .open_session(plan.result_session(window.number), plan.parties().to_vec())
        .await?;
    let mut results = ResultSession::new(channel, protocol, signers);
    if signers.contains(&me) {
        let outbox = results.outbox();
        let run = tokio::time::timeout_at(
            window.work_ends(),
            sign_as_signer(transport, protocol, plan, window, signers, &outbox),
        );
        tokio::pin!(run);
        let error = tokio::select! {
            outcome = &mut run => match outcome {
                Ok(Ok(signatures)) => return Ok(signatures),
                Ok(Err(error)) => error,
                Err(_) => MpcError::Timeout {
                    step: "signing".into(),
                    after_ms: window.length().as_millis() as u64,
                    waiting_for: signers.iter().copied().filter(|p| *p != me).collect(),
                },
            },
            Some(signatures) = results.next_result(window.work_ends(), false) => {
                return Ok(signatures)
            }
        };
        if error.is_local() {
            return Err(error.into());
        }
        results.tell_blame(&error).await;
        if let Some(signatures) = results.next_result(window.ends, true).await {
            return Ok(signatures);
        }
        let agreed = results.agreed_blame();
        return Err(Failure { error, agreed });
    }
    if let Some(signatures) = results.next_result(window.ends, true).await {
        return Ok(signatures);
    }
    Err(results.failure(window))
}

/// Runs the scheme as a signer on the window's session (or on the run id the signers agree on
/// from it), then hands the checked signatures to every other party.
async fn sign_as_signer(
    transport: &dyn Transport,
    protocol: &dyn SignerProtocol,
    plan: &SignPlan,
    window: &Window,
    signers: &[PartyIndex],
    outbox: &Outbox,
) -> Result<Vec<Signature>, MpcError> {
    let session = plan.session(window.number, signers);
    let session = if protocol.needs_fresh_run_id() {
        // Waits as long as the window's work may: a signer that arrives late still meets.
        agree_run(transport, session, signers, window.work_left()).await?
    } else {
        session
    };
    let channel = transport.open_session(session, signers.to_vec()).await?;
    let signatures = protocol.run_signers(channel, window.work_left()).await?;
    check_signatures(protocol, &signatures, None)?;
    let payload = wire::encode(&outbox.session, TAG_RESULT, &signatures.concat());
    for party in plan.parties().iter().filter(|p| **p != transport.me()) {
        outbox.send(*party, payload.clone()).await?;
    }
    Ok(signatures)
}

/// The sending side of a window's result session.
struct Outbox {
    session: SessionId,
    outgoing: mpsc::Sender<Outgoing>,
}

impl Outbox {
    async fn send(&self, to: PartyIndex, payload: Vec<u8>) -> Result<(), MpcError> {
        self.outgoing
            .send(Outgoing {
                to: Some(to),
                payload,
            })
            .await
            .map_err(|_| MpcError::Transport(format!("session {} closed", self.session)))
    }
}

/// A window's result session as one party reads it: the first valid result from anyone, and
/// the blame notices of this party's signers.
struct ResultSession<'a> {
    channel: SessionChannel,
    protocol: &'a dyn SignerProtocol,
    signers: Vec<PartyIndex>,
    /// Per signer, whom it blames (this party's own notice included).
    notices: BTreeMap<PartyIndex, Vec<PartyIndex>>,
    /// The last invalid message, naming its sender: reported only if no valid result comes.
    refused: Option<MpcError>,
}

impl<'a> ResultSession<'a> {
    fn new(
        channel: SessionChannel,
        protocol: &'a dyn SignerProtocol,
        signers: &[PartyIndex],
    ) -> Self {
        Self {
            channel,
            protocol,
            signers: signers.to_vec(),
            notices: BTreeMap::new(),
            refused: None,
        }
    }

    fn outbox(&self) -> Outbox {
        Outbox {
            session: self.channel.session,
            outgoing: self.channel.outgoing.clone(),
        }
    }

    /// The first valid result before `deadline`, collecting notices meanwhile; `None` at the
    /// deadline, or (with `until_all_noticed`) once every signer has sent its notice: then no
    /// signer of this set will send a result.
    async fn next_result(
        &mut self,
        deadline: tokio::time::Instant,
        until_all_noticed: bool,
    ) -> Option<Vec<Signature>> {
        loop {
            if until_all_noticed && self.signers.iter().all(|s| self.notices.contains_key(s)) {
                return None;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let msg = self
                .channel
                .recv_timeout("final signatures", left, &[])
                .await
                .ok()?;
            match wire::decode(&self.channel.session, &msg) {
                Ok((TAG_RESULT, body)) => match parse_signatures(self.protocol, msg.from, &body) {
                    Ok(signatures) => return Some(signatures),
                    Err(e) => {
                        tracing::warn!(from = msg.from, error = %e, "refused a signer's result");
                        self.refused = Some(e);
                    }
                },
                Ok((TAG_BLAME, body)) if self.signers.contains(&msg.from) => {
                    self.notices.insert(msg.from, parse_blame(&body));
                }
                // A notice from a party that is not a signer in this party's view: not counted.
                Ok((TAG_BLAME, _)) => {}
                _ => {
                    tracing::warn!(from = msg.from, "stray message on the result session");
                    self.refused = Some(MpcError::Malformed {
                        party: msg.from,
                        reason: "unexpected message on the result session".into(),
                    });
                }
            }
        }
    }

    /// Tells every other party whom this party blames for `error` (maybe nobody).
    async fn tell_blame(&mut self, error: &MpcError) {
        let blamed = error.blamed();
        let body: Vec<u8> = blamed.iter().flat_map(|p| p.to_be_bytes()).collect();
        let payload = wire::encode(&self.channel.session, TAG_BLAME, &body);
        // A closed session only means this party is shutting down.
        let _ = self.channel.send(None, payload).await;
        self.notices.insert(self.channel.me, blamed);
    }

    /// The parties named by more than half of the attempt's signers: an honest majority of
    /// signers agrees on them, and a minority cannot name an honest party alone.
    fn agreed_blame(&self) -> Vec<PartyIndex> {
        agreed_blame(&self.notices, &self.signers)
    }

    /// A non-signer's failure: the parties a majority of signers blamed, or the invalid result,
    /// or the signers that sent nothing.
    fn failure(mut self, window: &Window) -> Failure {
        let agreed = self.agreed_blame();
        let error = if !agreed.is_empty() {
            MpcError::Misbehaved {
                parties: agreed.clone(),
                reason: "a majority of the signers blamed these parties".into(),
            }
        } else if let Some(refused) = self.refused.take() {
            refused
        } else {
            MpcError::Timeout {
                step: "final signatures".into(),
                after_ms: window.length().as_millis() as u64,
                waiting_for: self
                    .signers
                    .iter()
                    .copied()
                    .filter(|s| !self.notices.contains_key(s))
                    .collect(),
            }
        };
        Failure { error, agreed }
    }
}

fn parse_blame(body: &[u8]) -> Vec<PartyIndex> {
    body.chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// The parties named by more than half of `signers` in `notices`.
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

    fn seed(request_id: u64) -> SessionId {
        SessionId::new("c", "sign", request_id, 0)
    }

    fn all(n: u16) -> Vec<PartyIndex> {
        (0..n).collect()
    }

    #[test]
    fn every_set_comes_up_once_in_as_many_windows_as_there_are_sets() {
        for (n, t, sets) in [(3u16, 2u16, 3usize), (4, 2, 6), (5, 3, 10), (4, 4, 1)] {
            let parties = all(n);
            for request in 0..20 {
                let schedule = SignerSchedule::new(&parties, t, seed(request));
                assert_eq!(
                    schedule.attempts(None),
                    (sets as u32).max(DEFAULT_ATTEMPTS),
                    "{n} parties, threshold {t}"
                );
                assert_eq!(schedule.attempts(Some(1)), 1, "the operator's number holds");
                // Any run of `sets` consecutive windows, wherever it starts.
                let start = 1_000_003 * request;
                let tried: Vec<_> = (start..start + sets as u64)
                    .map(|w| schedule.set_for(&parties, w))
                    .collect();
                let distinct: BTreeSet<_> = tried.iter().cloned().collect();
                assert_eq!(distinct.len(), sets, "{n} of threshold {t}: {tried:?}");
                assert!(tried.iter().all(|s| s.len() == t as usize));
                assert_eq!(
                    schedule.set_for(&parties, start),
                    schedule.set_for(&parties, start + sets as u64),
                    "the cycle repeats"
                );
            }
        }
        // Different requests start at different places (for some of a few seeds).
        let firsts: BTreeSet<_> = (0..20)
            .map(|r| SignerSchedule::new(&all(5), 3, seed(r)).set_for(&all(5), 0))
            .collect();
        assert!(firsts.len() > 1);
    }

    #[test]
    fn consecutive_windows_share_as_few_parties_as_can_be() {
        // 4 parties of which 2 sign, 6 of which 3: a set's complement is a set, and the cycle
        // pairs each set with its complement, so each pair of windows (2k, 2k + 1) uses two
        // disjoint sets: a party that spoils the sets it is in is out of one of the two.
        for (n, t) in [(4u16, 2u16), (6, 3)] {
            let parties = all(n);
            for request in 0..20 {
                let schedule = SignerSchedule::new(&parties, t, seed(request));
                let cycle = schedule.cycle(&parties);
                for pair in cycle.chunks(2) {
                    assert!(
                        pair[0].iter().all(|p| !pair[1].contains(p)),
                        "{:?} then {:?}",
                        pair[0],
                        pair[1]
                    );
                }
            }
        }
        // 5 parties of which 3 sign: any two sets share a party, and consecutive ones only one.
        let schedule = SignerSchedule::new(&all(5), 3, seed(3));
        let cycle = schedule.cycle(&all(5));
        for pair in cycle.windows(2).take(4) {
            let shared = pair[0].iter().filter(|p| pair[1].contains(p)).count();
            assert_eq!(shared, 1, "{:?} then {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn only_candidates_are_chosen_and_too_few_give_a_short_set() {
        let schedule = SignerSchedule::new(&all(4), 3, seed(7));
        for window in 0..8 {
            // Party 2 is not live (or blamed): never chosen.
            assert_eq!(schedule.set_for(&[0, 1, 3], window), vec![0, 1, 3]);
        }
        assert_eq!(schedule.set_for(&[0, 3], 5), vec![0, 3]);
        // A candidate that is not a party of the key is ignored.
        assert_eq!(schedule.set_for(&[0, 1, 3, 9], 5), vec![0, 1, 3]);
        let avoid = BTreeSet::from([1]);
        let set = signer_set(&all(4), 2, &seed(7), 11, &avoid);
        assert_eq!(set.len(), 2);
        assert!(!set.contains(&1));
    }

    #[test]
    fn every_party_computes_the_same_sets() {
        // Another party lists the key's parties and the candidates in another order.
        let a = SignerSchedule::new(&all(7), 4, seed(9));
        let b = SignerSchedule::new(&[6, 5, 4, 3, 2, 1, 0], 4, seed(9));
        for window in 0..40 {
            assert_eq!(
                a.set_for(&[0, 1, 3, 4, 5, 6], window),
                b.set_for(&[6, 5, 4, 3, 1, 0], window)
            );
        }
    }

    #[test]
    fn a_large_federation_moves_a_window_of_threshold_parties() {
        // 30 choose 15 sets are too many to list: consecutive windows are disjoint.
        let parties = all(30);
        let schedule = SignerSchedule::new(&parties, 15, seed(1));
        assert_eq!(schedule.attempts(None), DEFAULT_ATTEMPTS);
        let first = schedule.set_for(&parties, 41);
        let second = schedule.set_for(&parties, 42);
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

    #[test]
    fn the_signer_set_and_the_window_are_bound_in_the_session() {
        use crate::session::ChainRequest;
        let request = ChainRequest {
            chain_id: "c".into(),
            contract: "k".into(),
            request_id: 1,
        };
        let plan = SignPlan {
            inputs: SessionInputs::signing(
                &request,
                crate::Scheme::EddsaEd25519,
                &[1; 32],
                &[0, 1, 2],
                2,
                &[b"m".to_vec()],
            ),
            windows: Windows::new(Duration::from_secs(10), Duration::from_secs(1)),
            max_attempts: None,
        };
        assert_ne!(plan.session(5, &[0, 1]), plan.session(5, &[0, 2]));
        assert_ne!(plan.session(5, &[0, 1]), plan.session(6, &[0, 1]));
        assert_ne!(plan.result_session(5), plan.result_session(6));
        assert_ne!(plan.result_session(5), plan.session(5, &[0, 1]));
    }
}
