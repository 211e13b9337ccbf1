//! The worker (as Hermes' per-path workers): one task per pending request, driving this party's
//! side of it from "seen" to "answered on chain".
//!
//! For each request: read it from the chain (status, parties, answers); stop if it is no longer
//! pending or already has this party's answer; otherwise run the MPC protocol with the other
//! parties and hand the result to the [`submit::Submitter`]. The local [`ProgressStore`] records each step
//! so that a restart resumes unfinished requests and never answers twice; the answer is saved
//! before it is submitted, so a restart submits it rather than running MPC again. A drive that
//! fails is driven again with backoff until the request is final on chain or answered; an answer
//! carries the gas of the path on which it completes the request ([`gas`]).
//!
//! Failures: a failure is answered on chain only when this party cannot take part (it holds no
//! share of the key, the request is invalid for it: [`mpc_party::MpcError::is_local`]), which
//! the contract counts towards "the threshold can no longer be reached". Any other failed run
//! (a party silent, late or cheating) is run again, in the next attempt window the parties
//! share, until the request is final on chain: success may still come before its deadline.
//! Between runs the request gives its turn up and queues behind the requests that have not had
//! one ([`turns`]). While it runs, another party's verified answer on chain is adopted: it
//! carries the signatures this party would have produced (a restarted party that missed the
//! signing still answers).

pub mod gas;
pub mod submit;
pub mod turns;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cosmwasm_std::Binary;
use mpc_interfaces::keyring::{KeyRequestResponse, KeyResult};
use mpc_interfaces::signature_requests::{
    ExecuteMsg, Payload, SignRequestStatus, SignResult, SignatureRequestResponse,
};
use mpc_interfaces::KeyType;
use mpc_party::PartyIndex;
use tokio::sync::{mpsc, oneshot, watch};

use crate::backoff::Backoff;
use crate::chain::{query_at_least, Chain, ChainError, ContractCall};
use crate::config::Contracts;
use crate::mpc::{recovery_ids, verify, KeygenJob, MpcEngine, SignJob};
use crate::request::{Answer, RequestRef, RequestState, Sighting};
use crate::store::{Progress, ProgressStore, SavedAnswer};
use crate::telemetry::Metrics;
use submit::{Submission, SubmitOutcome};
use turns::{Class, Enlisted, Turns};

/// Worker settings.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// EdDSA runs at once (they wait on the network far more than they compute).
    pub max_concurrent: usize,
    /// ECDSA runs at once: each keeps a core busy for most of its run (Paillier proofs), so
    /// this is the CPU cap (default: the machine's cores).
    pub max_concurrent_ecdsa: usize,
    /// How often to look at the chain while waiting.
    pub poll_interval: Duration,
    /// Whether each answer carries the gas of the path on which it completes the request
    /// ([`gas::completion_reserve`]). Off, an answer that completes the threshold after others
    /// in its block runs out of gas and is sent again.
    pub reserve_completion_gas: bool,
    /// Waits between drives of a request whose drive failed (a transaction that kept failing, a
    /// node that kept refusing queries): it stays this party's work until it is final on chain.
    pub retry: Backoff,
    /// How this party computes a payload's digest before it signs it:
    /// [`crate::mpc::payload_digest`]. A seam for tests (a party that computes digests
    /// differently), not a setting: the configuration has no way to change it.
    pub payload_digest: PayloadDigest,
}

/// A payload's digest as this party computes it ([`WorkerSettings::payload_digest`]).
pub type PayloadDigest = fn(&Payload) -> Result<[u8; 32], String>;

/// Everything a request task needs.
pub struct Worker {
    pub chain: Arc<dyn Chain>,
    pub contracts: Contracts,
    /// Chain address → transport index of every party this connector can talk to.
    pub peers: BTreeMap<String, PartyIndex>,
    pub engine: Arc<dyn MpcEngine>,
    pub store: Arc<ProgressStore>,
    pub metrics: Arc<Metrics>,
    pub submissions: mpsc::Sender<Submission>,
    pub settings: WorkerSettings,
    /// Requests with a task running, so a request is never driven twice at once.
    in_flight: Mutex<HashSet<RequestRef>>,
    /// Turns to run MPC, by request order ([`turns`]).
    turns: Turns,
    /// Set before a stop that lets the key generations in progress finish
    /// ([`KEYGEN_STOP_GRACE`]): their shares are stored and their answers saved.
    pub finish_key_generations: Arc<AtomicBool>,
    /// Key generations from their first turn request (the wait for a turn counts: a stop may
    /// wait for one, at most the grace) until their answer is saved.
    key_generations: AtomicUsize,
}

/// How long a stop that lets key generations finish waits for them: a key's DKG that stopped
/// in its last round would leave the others with a key whose share this party never stored.
pub const KEYGEN_STOP_GRACE: Duration = Duration::from_secs(30);

/// A key generation in progress, counted until it is dropped (after its answer is saved).
struct KeyGeneration<'a>(&'a AtomicUsize);

impl<'a> KeyGeneration<'a> {
    fn start(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for KeyGeneration<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A node behind the block a request was seen in answers from before it: "not yet", as a
/// `partial` status is.
fn not_yet_when_behind<T>(answer: Result<T, ChainError>) -> Result<T, TaskError> {
    answer.map_err(|e| match e {
        ChainError::Behind { .. } => TaskError::NotYet(BEHIND_LOG),
        e => TaskError::Chain(e),
    })
}

/// How one request ended for this party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// This party's answer is on chain (now or before).
    Answered { success: bool },
    /// Nothing (more) to do: not pending any more, or not this party's.
    Closed(String),
    /// Could not answer this time (store or chain trouble); driven again after a backoff.
    Abandoned(String),
}

/// Errors that end a request task early.
#[derive(thiserror::Error, Debug)]
enum TaskError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    ProgressStore(#[from] crate::store::StoreError),
    #[error("the submitter has stopped")]
    SubmitterGone,
    #[error("the request is {0} on the node read, not pending yet")]
    NotYet(&'static str),
    #[error("the request became {0} on chain")]
    Settled(&'static str),
}

impl Worker {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        chain: Arc<dyn Chain>,
        contracts: Contracts,
        peers: BTreeMap<String, PartyIndex>,
        engine: Arc<dyn MpcEngine>,
        store: Arc<ProgressStore>,
        metrics: Arc<Metrics>,
        submissions: mpsc::Sender<Submission>,
        settings: WorkerSettings,
    ) -> Arc<Self> {
        let turns = Turns::new(settings.max_concurrent, settings.max_concurrent_ecdsa);
        Arc::new(Self {
            chain,
            contracts,
            peers,
            engine,
            store,
            metrics,
            submissions,
            settings,
            in_flight: Mutex::new(HashSet::new()),
            turns,
            finish_key_generations: Arc::default(),
            key_generations: AtomicUsize::new(0),
        })
    }

    /// Resumes what the store says is unfinished, then takes requests from the event source
    /// until it closes or `shutdown` turns true. The source offers a request many times (on
    /// every event, every reconnect and every rescan): it is taken on only when no task is
    /// driving it and the store does not have it settled.
    pub async fn run(
        self: Arc<Self>,
        mut work: mpsc::Receiver<Sighting>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut tasks = tokio::task::JoinSet::new();
        match self.store.unfinished() {
            Ok(unfinished) => {
                for request in unfinished {
                    tracing::info!(%request, "resuming after restart");
                    self.clone().take_on(Sighting::on_list(request), &mut tasks);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the store"),
        }
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                next = work.recv() => match next {
                    Some(sighting) => self.clone().take_on(sighting, &mut tasks),
                    None => break,
                },
                // Reap finished tasks so the set does not grow.
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        if self.finish_key_generations.load(Ordering::SeqCst) {
            self.finish_key_generations_in(&mut tasks).await;
        }
        // Abort the requests' tasks and wait until they are dropped: each holds the store, which
        // a restarted connector must be able to open again at once.
        tasks.shutdown().await;
    }

    /// Waits (at most [`KEYGEN_STOP_GRACE`]) until no key generation is in progress: each ends
    /// with its share stored and its answer saved (submitted now, or by the next start).
    async fn finish_key_generations_in(&self, tasks: &mut tokio::task::JoinSet<()>) {
        let grace = tokio::time::sleep(KEYGEN_STOP_GRACE);
        tokio::pin!(grace);
        while self.key_generations.load(Ordering::SeqCst) > 0 {
            tracing::info!(
                running = self.key_generations.load(Ordering::SeqCst),
                "stopping: letting the key generations in progress finish"
            );
            tokio::select! {
                _ = &mut grace => {
                    tracing::warn!("stopping: key generations still running after {KEYGEN_STOP_GRACE:?}");
                    return;
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }

    /// Starts driving `request` unless a task already drives it or the store has it settled.
    fn take_on(self: Arc<Self>, sighting: Sighting, tasks: &mut tokio::task::JoinSet<()>) {
        let request = sighting.request;
        match self.store.get(request) {
            Ok(Some(record)) if record.progress.is_final() => return,
            Ok(_) => {}
            // Driving it reads the store again and records the failure.
            Err(e) => tracing::warn!(%request, error = %e, "cannot read the store"),
        }
        if !self
            .in_flight
            .lock()
            .expect("in-flight lock")
            .insert(request)
        {
            return;
        }
        self.metrics.request_seen(request.kind());
        tasks.spawn(async move {
            self.settle(sighting).await;
            self.in_flight
                .lock()
                .expect("in-flight lock")
                .remove(&request);
        });
    }

    /// Drives the request again after each failed drive, with backoff, until this party has
    /// answered or the request is closed: every drive reads the request from the chain first, so
    /// one that became final meanwhile ends there. (A shutdown aborts the wait; the store keeps
    /// the request unfinished, so the next start resumes it.)
    async fn settle(&self, sighting: Sighting) {
        let request = sighting.request;
        let mut delays = self.settings.retry.delays();
        loop {
            let finished = self.drive(sighting).await;
            tracing::info!(%request, ?finished, "request done");
            let Finished::Abandoned(reason) = finished else {
                return;
            };
            let delay = delays.next_or_max();
            let attempt = delays.attempts();
            self.metrics.request_retried(request.kind());
            let retry_at = crate::store::unix_now() + delay.as_secs().max(1);
            if let Err(e) = self.store.failed(request, &reason, retry_at) {
                tracing::error!(%request, error = %e, "cannot record the failure");
            }
            tracing::warn!(%request, %reason, attempt, ?delay, "request failed; driving it again later");
            tokio::time::sleep(delay).await;
        }
    }

    /// Drives one request to its end for this party, reading it from the block it was seen
    /// pending in on.
    pub async fn drive(&self, sighting: Sighting) -> Finished {
        let request = sighting.request;
        let seen_at = sighting.height;
        let result = match self.store.get(request) {
            Ok(Some(record)) if record.progress.is_final() => {
                return match record.progress {
                    Progress::Submitted { success, .. } => Finished::Answered { success },
                    Progress::Closed { reason } => Finished::Closed(reason),
                    _ => unreachable!("final progress"),
                }
            }
            Ok(_) => {
                // Its place in the order of MPC turns, before its first chain read.
                let enlisted = self.turns.enlist(request);
                self.read_and_answer(request, &enlisted, seen_at).await
            }
            Err(e) => Err(e.into()),
        };
        let result = match result {
            // Final on chain while this party waited for its turn or ran MPC: nothing to answer.
            Err(TaskError::Settled(status)) => self.close(request, status),
            other => other,
        };
        result.unwrap_or_else(|e| {
            if !matches!(e, TaskError::NotYet(_)) {
                self.metrics.request_failed(request.kind());
            }
            Finished::Abandoned(e.to_string())
        })
    }

    /// What every request goes through before its kind's own MPC run: read it (from the block
    /// it was seen in on), decide from its state on chain, submit an answer saved earlier.
    async fn read_and_answer(
        &self,
        request: RequestRef,
        enlisted: &Enlisted<'_>,
        seen_at: u64,
    ) -> Result<Finished, TaskError> {
        self.store.seen(request)?;
        let state = self.read_in_place(request, seen_at).await?;
        if state.is_final() && self.confirmed_final(request).await?.is_none() {
            return Err(TaskError::NotYet("final on one read but not on the next"));
        }
        let delivery = self.delivery(request, &state);
        match self.before_mpc(request, &state)? {
            BeforeMpc::Done(finished) => return Ok(finished),
            BeforeMpc::AnswerFailure(reason) => {
                enlisted.leave();
                return self
                    .answer(request, request.failure(&reason), delivery)
                    .await;
            }
            BeforeMpc::Run => {}
        }
        if let Some(finished) = self.resubmit_saved(request, enlisted, delivery).await? {
            return Ok(finished);
        }
        match state {
            RequestState::Key(key_request) => {
                self.generate_key(request, &key_request, enlisted, delivery)
                    .await
            }
            RequestState::Sign(sign_request) => {
                self.sign(request, &sign_request, enlisted, delivery).await
            }
        }
    }

    /// Runs DKG for a key request and answers with the public key (or, when this party cannot
    /// take part, the failure).
    async fn generate_key(
        &self,
        request: RequestRef,
        key_request: &KeyRequestResponse,
        enlisted: &Enlisted<'_>,
        delivery: Delivery,
    ) -> Result<Finished, TaskError> {
        match self.answered_keys(key_request) {
            // A key whose DKG this party finished before a stop (its share is stored), which
            // the others answered with: this party's answer too, without a second DKG.
            AnsweredKeys::Held(answer) => {
                enlisted.leave();
                tracing::info!(%request, "{HELD_KEY_LOG}");
                return self.answer(request, answer, delivery).await;
            }
            // Another party answered with a key whose share this party does not hold: that DKG
            // finished without this party's last step (a crash in its last round), and a DKG
            // needs every party, none of which runs it again. Success is impossible, so this
            // party answers the failure now rather than leave the request open to its deadline.
            AnsweredKeys::NoneHeld => {
                enlisted.leave();
                tracing::warn!(%request, "{SHARE_LOST_LOG}");
                return self
                    .answer(request, request.failure(SHARE_LOST_LOG), delivery)
                    .await;
            }
            AnsweredKeys::Unknown => {}
        }
        let job = KeygenJob {
            contract: self.contracts.keyring.clone(),
            request_id: request.id(),
            key_type: key_request.key_type,
            parties: key_request.parties.len() as u16,
            threshold: key_request.party_threshold as u16,
        };
        let _counted = KeyGeneration::start(&self.key_generations);
        let run = || self.engine.keygen(job.clone());
        let answer = match self.run_mpc(request, enlisted, job.key_type, run).await? {
            MpcOutcome::Done(public_key) => Answer::Key(KeyResult::Success {
                public_key: Binary::new(public_key),
            }),
            MpcOutcome::CannotTakePart(reason) => request.failure(&reason),
            MpcOutcome::Adopted(answer) => answer,
        };
        self.answer(request, answer, delivery).await
    }

    /// Signs a signature request's items with the other parties and answers with the
    /// signatures (its own, or another party's verified ones), or, when this party cannot take
    /// part, the failure.
    async fn sign(
        &self,
        request: RequestRef,
        sign_request: &SignatureRequestResponse,
        enlisted: &Enlisted<'_>,
        delivery: Delivery,
    ) -> Result<Finished, TaskError> {
        // A payload request: this party signs only the digests it computes from the payloads
        // itself (nor does it adopt the others' signatures of anything else).
        if let Err(reason) = check_payloads(sign_request, self.settings.payload_digest) {
            enlisted.leave();
            tracing::warn!(%request, %reason, "{PAYLOAD_MISMATCH_LOG}");
            let failure = request.failure(&format!("{PAYLOAD_MISMATCH_LOG}: {reason}"));
            return self.answer(request, failure, delivery).await;
        }
        // The others signed before this party saw the request pending (a restart, a node
        // behind): their verified answer is the signature this party would produce, and they
        // have left the signing sessions.
        if let Some(answer) = verified_answer(sign_request) {
            enlisted.leave();
            tracing::info!(%request, "{ADOPTING_LOG}");
            return self.answer(request, answer, delivery).await;
        }
        let job = SignJob {
            contract: self.contracts.signature_requests.clone(),
            request_id: request.id(),
            key_type: sign_request.key_type,
            public_key: sign_request.public_key.to_vec(),
            items: sign_request.items.iter().map(|i| i.to_vec()).collect(),
        };
        let run = || self.engine.sign(job.clone());
        let answer = match self.run_mpc(request, enlisted, job.key_type, run).await? {
            MpcOutcome::Done(signatures) => match signed(sign_request, &signatures) {
                Some(answer) => answer,
                None => request.failure("the MPC run produced a signature that does not verify"),
            },
            MpcOutcome::Adopted(answer) => answer,
            MpcOutcome::CannotTakePart(reason) => request.failure(&reason),
        };
        self.answer(request, answer, delivery).await
    }

    /// [`Worker::read`], a failed read tried again a few times within the drive: a drive that
    /// gave up at once would lose its place in the order of turns, a higher request could take
    /// the turn meanwhile, and the parties would run different requests at once.
    async fn read_in_place(
        &self,
        request: RequestRef,
        seen_at: u64,
    ) -> Result<RequestState, TaskError> {
        let mut delays = READ_IN_PLACE.delays();
        loop {
            match self.read(request, seen_at).await {
                Err(TaskError::Chain(e)) if e.is_retryable() => match delays.next_delay() {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => return Err(TaskError::Chain(e)),
                },
                other => return other,
            }
        }
    }

    /// The request as of block `seen_at` or later (a node behind it: not yet).
    async fn read(&self, request: RequestRef, seen_at: u64) -> Result<RequestState, TaskError> {
        let kind = request.kind_of();
        let query = kind.query(request.id());
        let contract = kind.contract(&self.contracts);
        let answer = query_at_least(self.chain.as_ref(), contract, &query, seen_at).await;
        let answer: serde_json::Value = not_yet_when_behind(answer)?;
        Ok(RequestState::decode(kind, answer)?)
    }

    /// This connector's transport indices must be the parties' positions in the request's
    /// party list (that is how mpc-party numbers them).
    fn check_party_order(&self, parties: &[cosmwasm_std::Addr]) -> Result<(), String> {
        for (position, party) in parties.iter().enumerate() {
            match self.peers.get(party.as_str()) {
                Some(&index) if usize::from(index) == position => {}
                Some(&index) => {
                    return Err(format!(
                    "party {party} is number {position} on chain but has transport index {index}"
                ))
                }
                None => return Err(format!("party {party} is not configured in mpc.peers")),
            }
        }
        Ok(())
    }

    /// Runs MPC for `request` until it gives what this party answers with: one `run` per turn
    /// (a run tries a few attempt windows), run again while its failure is not this party's own
    /// ([`mpc_party::MpcError::is_local`]), the turn given up in between (the request queues in
    /// the next round, [`Enlisted::next_round`]). Each run is recorded in the store and the
    /// metrics. It ends early when the request becomes final on chain ([`TaskError::Settled`])
    /// or, for a signature request, when another party's verified answer is on chain (adopted).
    async fn run_mpc<T, Run, Fut>(
        &self,
        request: RequestRef,
        enlisted: &Enlisted<'_>,
        key_type: KeyType,
        run: Run,
    ) -> Result<MpcOutcome<T>, TaskError>
    where
        Run: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, mpc_party::MpcError>>,
    {
        let runs = async {
            loop {
                let turn = self.turn(enlisted, key_type).await;
                let record = self.store.started(request)?;
                let attempts = match record.progress {
                    Progress::Started { attempts } => attempts,
                    _ => 0,
                };
                tracing::info!(%request, attempts, "MPC run starting");
                let running = self.metrics.run_started(request.kind());
                let started = Instant::now();
                let result = run().await;
                self.metrics
                    .run_finished(request.kind(), started.elapsed().as_secs_f64());
                drop((running, turn));
                let error = match result {
                    Ok(value) => return Ok(MpcOutcome::Done(value)),
                    Err(error) => error,
                };
                let blamed = error.blamed();
                for party in &blamed {
                    self.metrics.blamed(*party);
                }
                if error.is_local() {
                    tracing::warn!(%request, %error, "MPC run failed: this party cannot take part");
                    return Ok(MpcOutcome::CannotTakePart(error.to_string()));
                }
                tracing::warn!(%request, %error, ?blamed, "{RUN_AGAIN_LOG}");
                self.metrics.request_retried(request.kind());
                enlisted.next_round();
            }
        };
        tokio::select! {
            outcome = runs => outcome,
            news = self.watch_chain(request) => match news {
                ChainNews::Final(status) => {
                    tracing::info!(%request, status, "final on chain: stopping this party's run");
                    Err(TaskError::Settled(status))
                }
                ChainNews::Answered(answer) => {
                    tracing::info!(%request, "{ADOPTING_LOG}");
                    Ok(MpcOutcome::Adopted(answer))
                }
            },
        }
    }

    /// This request's turn to run MPC ([`turns`]).
    async fn turn(&self, enlisted: &Enlisted<'_>, key_type: KeyType) -> turns::Turn<'_> {
        let class = match key_type {
            KeyType::EcdsaSecp256k1 => Class::Cpu,
            KeyType::EddsaEd25519 => Class::Network,
        };
        let turn = self.turns.take(enlisted, class);
        tokio::pin!(turn);
        // Registers the request in the queue before the depth is read.
        let turn = match futures::poll!(turn.as_mut()) {
            std::task::Poll::Ready(turn) => turn,
            std::task::Poll::Pending => {
                self.record_queue_depth();
                turn.await
            }
        };
        self.record_queue_depth();
        turn
    }

    /// Returns once the request is final on chain (on two reads in a row), or, for a signature
    /// request, holds another party's answer that verifies. Read every few blocks; read errors
    /// are ignored: the run goes on.
    async fn watch_chain(&self, request: RequestRef) -> ChainNews {
        loop {
            tokio::time::sleep(self.settings.poll_interval * SETTLED_POLL_BLOCKS).await;
            let Ok(state) = self.read(request, 0).await else {
                continue;
            };
            if state.is_final() {
                if let Ok(Some(status)) = self.confirmed_final(request).await {
                    return ChainNews::Final(status);
                }
                continue;
            }
            let adoptable = match &state {
                RequestState::Sign(sign_request) => verified_answer(sign_request),
                RequestState::Key(key_request) => match self.answered_keys(key_request) {
                    AnsweredKeys::Held(answer) => Some(answer),
                    AnsweredKeys::NoneHeld | AnsweredKeys::Unknown => None,
                },
            };
            if let Some(answer) = adoptable {
                return ChainNews::Answered(answer);
            }
        }
    }

    /// What this party's share store says of the keys other parties answered `key_request`
    /// with, read once per key.
    fn answered_keys(&self, key_request: &KeyRequestResponse) -> AnsweredKeys {
        let mut answered = false;
        let mut unreadable = false;
        for answer in &key_request.answers {
            let KeyResult::Success { public_key } = &answer.result else {
                continue;
            };
            answered = true;
            match self.engine.holds_key(key_request.key_type, public_key) {
                Ok(true) => {
                    return AnsweredKeys::Held(Answer::Key(KeyResult::Success {
                        public_key: public_key.clone(),
                    }))
                }
                Ok(false) => {}
                Err(_) => unreadable = true,
            }
        }
        match answered && !unreadable {
            true => AnsweredKeys::NoneHeld,
            false => AnsweredKeys::Unknown,
        }
    }

    /// A second read of a request one read found final, a poll interval later: its status if
    /// it is final again. A request is closed for good only on two reads (one read from a node
    /// that is wrong, or on a fork, must not end this party's work on it).
    async fn confirmed_final(
        &self,
        request: RequestRef,
    ) -> Result<Option<&'static str>, TaskError> {
        tokio::time::sleep(self.settings.poll_interval).await;
        let state = self.read(request, 0).await?;
        Ok(state.is_final().then(|| state.status()))
    }

    fn record_queue_depth(&self) {
        self.metrics.set_queue_depth(self.turns.waiting());
    }

    /// How this party's answer to `request` is sent, from the request as read on chain.
    fn delivery(&self, request: RequestRef, state: &RequestState) -> Delivery {
        let gas_reserve = if self.settings.reserve_completion_gas {
            gas::completion_reserve(request, state.parties().len())
        } else {
            0
        };
        Delivery {
            gas_reserve,
            callback: state.has_callback(),
        }
    }

    async fn answer(
        &self,
        request: RequestRef,
        answer: Answer,
        delivery: Delivery,
    ) -> Result<Finished, TaskError> {
        let success = answer.is_success();
        let call = answer
            .call(request, &self.contracts)?
            .with_gas_reserve(delivery.gas_reserve);
        self.deliver(request, call, success, delivery.callback)
            .await
    }

    /// Submits the answer an earlier drive (or run) computed and saved, if there is one: MPC
    /// is not run twice for one request (the other parties have moved on).
    async fn resubmit_saved(
        &self,
        request: RequestRef,
        enlisted: &Enlisted<'_>,
        delivery: Delivery,
    ) -> Result<Option<Finished>, TaskError> {
        let Some(saved) = self.store.get(request)?.and_then(|r| r.answer) else {
            return Ok(None);
        };
        enlisted.leave();
        tracing::info!(%request, "{SAVED_ANSWER_LOG}");
        let call = ContractCall {
            contract: request.contract(&self.contracts).to_string(),
            msg: saved.msg.into_bytes(),
            funds: vec![],
            gas_reserve: delivery.gas_reserve,
        };
        self.deliver(request, call, saved.success, delivery.callback)
            .await
            .map(Some)
    }

    /// Saves the answer, hands it to the submitter and records what became of it; for a
    /// request with a callback, runs it when this answer settled the request.
    async fn deliver(
        &self,
        request: RequestRef,
        call: ContractCall,
        success: bool,
        callback: bool,
    ) -> Result<Finished, TaskError> {
        let msg = String::from_utf8(call.msg.clone()).expect("messages are JSON");
        self.store
            .save_answer(request, SavedAnswer { msg, success })?;
        if let Some(finished) = self.no_longer_counts(request).await? {
            return Ok(finished);
        }
        let (done, outcome) = oneshot::channel();
        self.submissions
            .send(Submission {
                request,
                call,
                done,
            })
            .await
            .map_err(|_| TaskError::SubmitterGone)?;
        let outcome = outcome.await.map_err(|_| TaskError::SubmitterGone)?;
        match outcome {
            SubmitOutcome::OnChain { tx_hash, height } => {
                self.store.submitted(request, &tx_hash, height, success)?;
                self.metrics.answered(request.kind(), success);
                if callback {
                    self.run_callback_if_settled_here(request, height).await;
                }
                Ok(Finished::Answered { success })
            }
            SubmitOutcome::Refused(reason) => {
                // What the refusal means is read from the chain, not from its wording.
                let state = self.read(request, 0).await?;
                if let Some((height, success)) = state.answer_of(self.chain.account()) {
                    // An earlier try landed (its confirmation was lost): done, not twice.
                    return self.already_answered(request, height, success);
                }
                // The refusal and this read are two observations of a final request.
                if state.is_final() {
                    return self.close(request, state.status());
                }
                self.metrics.request_failed(request.kind());
                Ok(Finished::Abandoned(reason))
            }
            SubmitOutcome::GaveUp(reason) => {
                self.metrics.request_failed(request.kind());
                Ok(Finished::Abandoned(reason))
            }
        }
    }

    /// Sends `RunCallback` for a signature request this party's answer (on chain at `height`)
    /// settled, when its requester asked for a callback: the settling answer is the last one on
    /// chain, as answers to a final request are refused, so exactly one party sends it, paid
    /// from the fee it was just paid. Best effort: the message is permissionless, so a
    /// requester whose callback this party could not send runs it itself.
    async fn run_callback_if_settled_here(&self, request: RequestRef, height: u64) {
        let RequestRef::Sign(request_id) = request else {
            return;
        };
        let Ok(RequestState::Sign(state)) = self.read(request, height).await else {
            return;
        };
        let settled_here = state
            .answers
            .last()
            .is_some_and(|a| a.party.as_str() == self.chain.account());
        let settled = matches!(
            state.status,
            SignRequestStatus::Fulfilled | SignRequestStatus::Rejected
        );
        if !(state.callback_due && settled && settled_here) {
            return;
        }
        let msg = ExecuteMsg::RunCallback { request_id };
        let call = match ContractCall::new(&self.contracts.signature_requests, &msg) {
            Ok(call) => call,
            Err(e) => return tracing::warn!(%request, error = %e, "cannot make RunCallback"),
        };
        let (done, outcome) = oneshot::channel();
        let sent = self.submissions.send(Submission {
            request,
            call,
            done,
        });
        if sent.await.is_err() {
            return;
        }
        match outcome.await {
            Ok(SubmitOutcome::OnChain { tx_hash, .. }) => {
                tracing::info!(%request, %tx_hash, "{CALLBACK_RUN_LOG}")
            }
            Ok(other) => tracing::warn!(%request, outcome = ?other, "RunCallback not on chain"),
            Err(_) => {}
        }
    }

    /// The checks every request passes before this party runs MPC for it: still pending, not
    /// answered by this party yet (a restart may find its answer on chain), this party among its
    /// parties, and the parties' order matching the transport's indices. A request that is not
    /// pending yet (`partial` on a node behind the one whose event announced it) is not closed:
    /// it is driven again later.
    fn before_mpc(
        &self,
        request: RequestRef,
        state: &RequestState,
    ) -> Result<BeforeMpc, TaskError> {
        if state.is_final() {
            return self.close(request, state.status()).map(BeforeMpc::Done);
        }
        if !state.is_pending() {
            return Err(TaskError::NotYet(state.status()));
        }
        let me = self.chain.account();
        if let Some((height, success)) = state.answer_of(me) {
            return self
                .already_answered(request, height, success)
                .map(BeforeMpc::Done);
        }
        if !state.parties().iter().any(|p| p.as_str() == me) {
            return self
                .close(request, "this party is not one of the request's parties")
                .map(BeforeMpc::Done);
        }
        Ok(match self.check_party_order(state.parties()) {
            Ok(()) => BeforeMpc::Run,
            Err(reason) => BeforeMpc::AnswerFailure(reason),
        })
    }

    /// Just before an answer is sent: whether it can no longer count, because this party's
    /// answer is on chain already or the request is final (then it is not broadcast: it would
    /// be included, refused and paid for). A failed read sends it all the same.
    async fn no_longer_counts(&self, request: RequestRef) -> Result<Option<Finished>, TaskError> {
        let Ok(state) = self.read(request, 0).await else {
            return Ok(None);
        };
        if let Some((height, success)) = state.answer_of(self.chain.account()) {
            return self.already_answered(request, height, success).map(Some);
        }
        if !state.is_final() {
            return Ok(None);
        }
        match self.confirmed_final(request).await? {
            Some(status) => {
                tracing::info!(%request, status, "{NOT_SENT_LOG}");
                self.close(request, status).map(Some)
            }
            None => Ok(None),
        }
    }

    fn close(&self, request: RequestRef, reason: &str) -> Result<Finished, TaskError> {
        self.store.closed(request, reason)?;
        Ok(Finished::Closed(reason.to_string()))
    }

    fn already_answered(
        &self,
        request: RequestRef,
        height: u64,
        success: bool,
    ) -> Result<Finished, TaskError> {
        self.store.submitted(request, "", height, success)?;
        Ok(Finished::Answered { success })
    }
}

/// Tries of a drive's first read before the drive gives up (and its place in the order of turns):
/// 0.25 s, 0.5 s, 1 s, 2 s, then the drive is retried with the worker's backoff.
const READ_IN_PLACE: Backoff = Backoff::new(
    Duration::from_millis(250),
    Duration::from_secs(2),
    2,
    Some(4),
);

/// How often (in poll intervals, about blocks) a running request's status is read.
const SETTLED_POLL_BLOCKS: u32 = 5;

/// How this party's answer to a request is sent: the gas it carries beyond its simulation (see
/// [`gas`]), and whether it runs the requester's callback once it settles the request (only
/// then is the request read again after the answer lands).
#[derive(Clone, Copy, Debug)]
struct Delivery {
    gas_reserve: u64,
    callback: bool,
}

/// What [`Worker::before_mpc`] decided.
enum BeforeMpc {
    /// Nothing to run: closed or already answered.
    Done(Finished),
    /// This party cannot take part; it answers with a failure.
    AnswerFailure(String),
    Run,
}

/// What [`Worker::answered_keys`] found.
enum AnsweredKeys {
    /// A key the others answered with whose share this party holds (its own DKG of that request
    /// completed, and its answer was not sent): this party's answer too.
    Held(Answer),
    /// Others answered with keys, and the share store, read for each, holds none of them.
    NoneHeld,
    /// No key answered yet, or a read of the share store failed (which says nothing).
    Unknown,
}

/// What [`Worker::run_mpc`] ended with.
enum MpcOutcome<T> {
    /// The run's result.
    Done(T),
    /// This party cannot take part (its own failure, as text): it answers with the failure.
    CannotTakePart(String),
    /// Another party's answer on chain that this party may give too: verified signatures
    /// (what this party would produce), or a key whose share this party holds.
    Adopted(Answer),
}

/// What [`Worker::watch_chain`] saw.
enum ChainNews {
    Final(&'static str),
    Answered(Answer),
}

/// Why a drive waits: the node read is behind the block of the event that announced the
/// request (logged with the drive's retry).
pub const BEHIND_LOG: &str = "behind the event's block on the node read";

/// Logged when an answer is not sent because the request became final first.
pub const NOT_SENT_LOG: &str = "the request is final: not sending this party's answer";

/// Logged when this party ran the callback of a request its answer settled.
pub const CALLBACK_RUN_LOG: &str =
    "ran the requester's callback (this party's answer settled the request)";

/// Logged when a restarted drive submits the answer an earlier run saved.
pub const SAVED_ANSWER_LOG: &str = "submitting the answer saved by an earlier run";

/// Logged when a party answers a key request with a key whose share it stored earlier.
pub const HELD_KEY_LOG: &str = "answering with the key whose share this party stored";

/// Logged (and answered as the failure) when the others made a key whose share this party
/// lost: no DKG of that request can meet again.
pub const SHARE_LOST_LOG: &str =
    "the other parties made a key whose share this party does not hold: no DKG can meet again";

/// Logged (and answered as the failure, with the payload's index) when a payload's digest as
/// this party computes it is not the item the request asks it to sign: it does not sign.
pub const PAYLOAD_MISMATCH_LOG: &str =
    "refusing to sign: a payload's digest is not the item the request signs";

/// Logged when a party answers with another party's verified signatures.
pub const ADOPTING_LOG: &str = "adopting a verified answer from the chain";

/// Logged when a run failed for a reason another run may not have: it runs again.
pub const RUN_AGAIN_LOG: &str = "MPC run failed; running it again in the next attempt window";

/// Whether every payload of a payload request hashes, as `digest` computes it, to the item the
/// request signs for it; why not otherwise. A request without payloads passes.
fn check_payloads(request: &SignatureRequestResponse, digest: PayloadDigest) -> Result<(), String> {
    let Some(payloads) = &request.payloads else {
        return Ok(());
    };
    if payloads.len() != request.items.len() {
        return Err(format!(
            "{} payloads for {} items",
            payloads.len(),
            request.items.len()
        ));
    }
    for (index, (payload, item)) in payloads.iter().zip(&request.items).enumerate() {
        let computed = digest(payload).map_err(|e| format!("payload {index}: {e}"))?;
        if computed.as_slice() != item.as_slice() {
            // The digests' first 8 bytes: the reason stays within what the contract keeps.
            return Err(format!(
                "payload {index} ({}) hashes to {}.., the item is {}..",
                payload.hash,
                hex::encode(&computed[..8]),
                hex::encode(item.get(..8).unwrap_or(item.as_slice()))
            ));
        }
    }
    Ok(())
}

/// Another party's successful answer on chain that verifies against the key, if any, as this
/// party's answer (its recovery ids computed here: they follow from the signatures and the key).
fn verified_answer(request: &SignatureRequestResponse) -> Option<Answer> {
    request.answers.iter().find_map(|a| match &a.result {
        SignResult::Success { signatures, .. } => {
            let raw: Vec<Vec<u8>> = signatures.iter().map(|s| s.to_vec()).collect();
            signed(request, &raw)
        }
        SignResult::Failure { .. } => None,
    })
}

/// A success answer to a signature request with `signatures`, one per item, if each verifies
/// against the key as the contract checks it: with the recovery id of each for an ECDSA key.
fn signed(request: &SignatureRequestResponse, signatures: &[Vec<u8>]) -> Option<Answer> {
    let verifies = signatures.len() == request.items.len()
        && request
            .items
            .iter()
            .zip(signatures)
            .all(|(item, sig)| verify(request.key_type, &request.public_key, item, sig));
    if !verifies {
        return None;
    }
    let recovery_ids = recovery_ids(
        request.key_type,
        &request.public_key,
        &request.items,
        signatures,
    )?;
    Some(Answer::Sign(SignResult::Success {
        signatures: signatures.iter().cloned().map(Binary::new).collect(),
        recovery_ids,
    }))
}

#[cfg(test)]
mod payload_tests {
    use super::*;
    use cosmwasm_std::Addr;
    use mpc_interfaces::{HashKind, Policy};

    fn request(items: Vec<Binary>, payloads: Option<Vec<Payload>>) -> SignatureRequestResponse {
        SignatureRequestResponse {
            id: 1,
            key_id: 1,
            keyring_id: 1,
            workspace_id: 1,
            key_type: KeyType::EcdsaSecp256k1,
            public_key: Binary::default(),
            requester: Addr::unchecked("requester"),
            items,
            payloads,
            status: SignRequestStatus::Pending,
            policy: Policy::Owners { threshold: None },
            owners: vec![],
            approvals: vec![],
            rejections: vec![],
            parties: vec![],
            party_threshold: 2,
            answers: vec![],
            signatures: None,
            recovery_ids: None,
            fee: vec![],
            callback: None,
            callback_due: false,
            created_height: 1,
            approval_deadline_height: 2,
            mpc_timeout_blocks: 3,
            mpc_deadline_height: Some(4),
            reject_reason: None,
        }
    }

    fn payload(hash: HashKind, data: &[u8]) -> Payload {
        Payload {
            hash,
            data: Binary::from(data.to_vec()),
            digest: None,
        }
    }

    fn sha256_of_all(payload: &Payload) -> Result<[u8; 32], String> {
        mpc_payloads::digest(HashKind::Sha256, &payload.data).map_err(|e| e.to_string())
    }

    #[test]
    fn a_payload_is_signed_only_when_it_hashes_to_its_item() {
        let digest = |kind, data: &[u8]| Binary::from(mpc_payloads::digest(kind, data).unwrap());
        let payloads = vec![
            payload(HashKind::Keccak256, b"tx"),
            payload(HashKind::Sha256, b"x"),
        ];
        let items = vec![
            digest(HashKind::Keccak256, b"tx"),
            digest(HashKind::Sha256, b"x"),
        ];
        let real = crate::mpc::payload_digest;
        assert_eq!(check_payloads(&request(items.clone(), None), real), Ok(()));
        let good = request(items.clone(), Some(payloads.clone()));
        assert_eq!(check_payloads(&good, real), Ok(()));
        // A party that hashes differently refuses the keccak256 payload, naming it.
        let refused = check_payloads(&good, sha256_of_all).unwrap_err();
        assert!(
            refused.starts_with("payload 0 (keccak256) hashes to "),
            "{refused}"
        );
        // An item that is not the payload's digest is refused by every party.
        let swapped = request(
            vec![items[1].clone(), items[0].clone()],
            Some(payloads.clone()),
        );
        assert!(check_payloads(&swapped, real).is_err());
        let short = request(items[..1].to_vec(), Some(payloads));
        assert_eq!(
            check_payloads(&short, real),
            Err("2 payloads for 1 items".into())
        );
        // What goes on chain stays within the reasons the contract keeps.
        let reason = format!("{PAYLOAD_MISMATCH_LOG}: {refused}");
        assert!(reason.len() <= 200, "{} bytes: {reason}", reason.len());
    }
}
