//! The worker (as Hermes' per-path workers): one task per pending request, driving this party's
//! side of it from "seen" to "answered on chain".
//!
//! For each request: read it from the chain (status, parties, answers); stop if it is no longer
//! pending or already has this party's answer; otherwise run the MPC protocol with the other
//! parties and hand the result to the [`submit::Submitter`]. The local [`Store`] records each step
//! so that a restart resumes unfinished requests and never answers twice; the answer is saved
//! before it is submitted, so a restart submits it rather than running MPC again. A drive that
//! fails is driven again with backoff until the request is final on chain or answered; an answer
//! carries the gas of the path on which it completes the request ([`gas`]).
//!
//! Failures: mpc-party already retries signing over other signer sets. If this party's run
//! still fails, it waits a while for another party's answer on chain: a verified one carries the
//! same signatures this party would have produced, so it adopts them (a restarted party that
//! missed the signing still answers). Otherwise it answers with a failure, which the contract
//! counts towards "the threshold can no longer be reached".

pub mod gas;
pub mod submit;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cosmwasm_std::Binary;
use mpc_interfaces::keyring::{
    ExecuteMsg as KeyringExecute, KeyRequestResponse, KeyRequestStatus, KeyResult,
    QueryMsg as KeyringQuery,
};
use mpc_interfaces::signature_requests::{
    ExecuteMsg as SignatureExecute, QueryMsg as SignatureQuery, SignRequestStatus, SignResult,
    SignatureRequestResponse,
};
use mpc_party::PartyIndex;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};

use crate::backoff::Backoff;
use crate::chain::{query, Chain, ChainError, ContractCall};
use crate::config::Contracts;
use crate::event::RequestRef;
use crate::mpc::{verify, KeygenJob, MpcEngine, SignJob};
use crate::store::{Progress, SavedAnswer, Store};
use crate::telemetry::Metrics;
use submit::{Submission, SubmitOutcome};

/// Worker settings.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// MPC runs at once.
    pub max_concurrent: usize,
    /// After a failed signing run: blocks to wait for another party's answer to adopt.
    pub adopt_wait_blocks: u64,
    /// How often to look at the chain while waiting.
    pub poll_interval: Duration,
    /// Whether each answer carries the gas of the path on which it completes the request
    /// ([`gas::completion_reserve`]). Off, an answer that completes the threshold after others
    /// in its block runs out of gas and is sent again.
    pub reserve_completion_gas: bool,
    /// Waits between drives of a request whose drive failed (a transaction that kept failing, a
    /// node that kept refusing queries): it stays this party's work until it is final on chain.
    pub retry: Backoff,
}

/// Everything a request task needs.
pub struct Worker {
    pub chain: Arc<dyn Chain>,
    pub contracts: Contracts,
    /// Chain address → transport index of every party this connector can talk to.
    pub peers: BTreeMap<String, PartyIndex>,
    pub engine: Arc<dyn MpcEngine>,
    pub store: Arc<Store>,
    pub metrics: Arc<Metrics>,
    pub submissions: mpsc::Sender<Submission>,
    pub settings: WorkerSettings,
    /// Requests with a task running, so a request is never driven twice at once.
    in_flight: Mutex<HashSet<RequestRef>>,
    permits: Semaphore,
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
    Store(#[from] crate::store::StoreError),
    #[error("the submitter has stopped")]
    SubmitterGone,
    #[error("the request is {0} on the node read, not pending yet")]
    NotYet(&'static str),
}

impl Worker {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        chain: Arc<dyn Chain>,
        contracts: Contracts,
        peers: BTreeMap<String, PartyIndex>,
        engine: Arc<dyn MpcEngine>,
        store: Arc<Store>,
        metrics: Arc<Metrics>,
        submissions: mpsc::Sender<Submission>,
        settings: WorkerSettings,
    ) -> Arc<Self> {
        let permits = Semaphore::new(settings.max_concurrent.max(1));
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
            permits,
        })
    }

    /// Resumes what the store says is unfinished, then takes requests from the event source
    /// until it closes or `shutdown` turns true.
    pub async fn run(
        self: Arc<Self>,
        mut work: mpsc::Receiver<RequestRef>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut tasks = tokio::task::JoinSet::new();
        match self.store.unfinished() {
            Ok(unfinished) => {
                for request in unfinished {
                    tracing::info!(%request, "resuming after restart");
                    self.clone().spawn(request, &mut tasks);
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read the store"),
        }
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                next = work.recv() => match next {
                    Some(request) => self.clone().spawn(request, &mut tasks),
                    None => break,
                },
                // Reap finished tasks so the set does not grow.
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        // Abort the requests' tasks and wait until they are dropped: each holds the store, which
        // a restarted connector must be able to open again at once.
        tasks.shutdown().await;
    }

    fn spawn(self: Arc<Self>, request: RequestRef, tasks: &mut tokio::task::JoinSet<()>) {
        if !self
            .in_flight
            .lock()
            .expect("in-flight lock")
            .insert(request)
        {
            return;
        }
        tasks.spawn(async move {
            self.drive_until_settled(request).await;
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
    async fn drive_until_settled(&self, request: RequestRef) {
        let mut retry = self.settings.retry.clone();
        loop {
            let finished = self.drive(request).await;
            tracing::info!(%request, ?finished, "request done");
            let Finished::Abandoned(reason) = finished else {
                return;
            };
            let delay = retry.next_delay().unwrap_or(retry.max);
            let attempt = retry.attempts();
            self.metrics
                .requests_retried
                .with_label_values(&[request.kind()])
                .inc();
            let retry_at = crate::store::unix_now() + delay.as_secs().max(1);
            if let Err(e) = self.store.failed(request, &reason, retry_at) {
                tracing::error!(%request, error = %e, "cannot record the failure");
            }
            tracing::warn!(%request, %reason, attempt, ?delay, "request failed; driving it again later");
            tokio::time::sleep(delay).await;
        }
    }

    /// Drives one request to its end for this party.
    pub async fn drive(&self, request: RequestRef) -> Finished {
        let result = match self.store.get(request) {
            Ok(Some(record)) if record.progress.is_final() => {
                return match record.progress {
                    Progress::Submitted { success, .. } => Finished::Answered { success },
                    Progress::Closed { reason } => Finished::Closed(reason),
                    _ => unreachable!("final progress"),
                }
            }
            Ok(_) => match request {
                RequestRef::Key(id) => self.drive_key(id).await,
                RequestRef::Sign(id) => self.drive_sign(id).await,
            },
            Err(e) => Err(e.into()),
        };
        result.unwrap_or_else(|e| {
            if !matches!(e, TaskError::NotYet(_)) {
                self.metrics
                    .requests_failed
                    .with_label_values(&[request.kind()])
                    .inc();
            }
            Finished::Abandoned(e.to_string())
        })
    }

    async fn drive_key(&self, id: u64) -> Result<Finished, TaskError> {
        let request = RequestRef::Key(id);
        self.store.seen(request)?;
        let key_request: KeyRequestResponse = query(
            self.chain.as_ref(),
            &self.contracts.keyring,
            &KeyringQuery::KeyRequest { request_id: id },
        )
        .await?;
        let me = self.chain.account();
        let seen = RequestView {
            request,
            status: key_request.status.as_str(),
            pending: key_request.status == KeyRequestStatus::Pending,
            settled: key_request.status.is_final(),
            my_answer: key_request
                .answers
                .iter()
                .find(|a| a.party.as_str() == me)
                .map(|a| (a.height, matches!(a.result, KeyResult::Success { .. }))),
            parties: &key_request.parties,
        };
        let reserve = self.reserve(request, key_request.parties.len(), false);
        match self.before_mpc(seen)? {
            BeforeMpc::Done(finished) => return Ok(finished),
            BeforeMpc::AnswerFailure(reason) => {
                return self.answer_key(id, failure_key(&reason), reserve).await
            }
            BeforeMpc::Run => {}
        }
        if let Some(finished) = self.resubmit_saved(request, reserve).await? {
            return Ok(finished);
        }
        let job = KeygenJob {
            contract: self.contracts.keyring.clone(),
            request_id: id,
            key_type: key_request.key_type,
            parties: key_request.parties.len() as u16,
            threshold: key_request.party_threshold as u16,
        };
        let result = match self.timed(request, self.engine.keygen(job)).await? {
            Ok(public_key) => KeyResult::Success {
                public_key: Binary::new(public_key),
            },
            Err(reason) => failure_key(&reason),
        };
        self.answer_key(id, result, reserve).await
    }

    async fn drive_sign(&self, id: u64) -> Result<Finished, TaskError> {
        let request = RequestRef::Sign(id);
        self.store.seen(request)?;
        let sign_request: SignatureRequestResponse = query(
            self.chain.as_ref(),
            &self.contracts.signature_requests,
            &SignatureQuery::Request { request_id: id },
        )
        .await?;
        let me = self.chain.account();
        let seen = RequestView {
            request,
            status: sign_request.status.as_str(),
            pending: sign_request.status == SignRequestStatus::Pending,
            settled: sign_request.status.is_final(),
            my_answer: sign_request
                .answers
                .iter()
                .find(|a| a.party.as_str() == me)
                .map(|a| (a.height, matches!(a.result, SignResult::Success { .. }))),
            parties: &sign_request.parties,
        };
        let reserve = self.reserve(
            request,
            sign_request.parties.len(),
            sign_request.callback.is_some(),
        );
        match self.before_mpc(seen)? {
            BeforeMpc::Done(finished) => return Ok(finished),
            BeforeMpc::AnswerFailure(reason) => {
                return self.answer_sign(id, failure_sign(&reason), reserve).await
            }
            BeforeMpc::Run => {}
        }
        if let Some(finished) = self.resubmit_saved(request, reserve).await? {
            return Ok(finished);
        }
        let job = SignJob {
            contract: self.contracts.signature_requests.clone(),
            request_id: id,
            key_type: sign_request.key_type,
            public_key: sign_request.public_key.to_vec(),
            items: sign_request.items.iter().map(|i| i.to_vec()).collect(),
        };
        let outcome = self.timed(request, self.engine.sign(job)).await?;
        let reason = match outcome {
            Ok(signatures) if verifies(&sign_request, &signatures) => {
                let signatures = signatures.into_iter().map(Binary::new).collect();
                return self
                    .answer_sign(id, SignResult::Success { signatures }, reserve)
                    .await;
            }
            Ok(_) => "the MPC run produced a signature that does not verify".to_string(),
            Err(reason) => reason,
        };
        // Another party's verified answer is the signature this party would have produced.
        let deadline = self.chain.latest_height().await? + self.settings.adopt_wait_blocks;
        loop {
            match self.adoptable(id).await? {
                Adoptable::Signatures(signatures) => {
                    tracing::info!(%request, "adopting a verified answer from the chain");
                    return self
                        .answer_sign(id, SignResult::Success { signatures }, reserve)
                        .await;
                }
                Adoptable::Closed(status) => return self.close(request, &status),
                Adoptable::NotYet if self.chain.latest_height().await? < deadline => {
                    tokio::time::sleep(self.settings.poll_interval).await;
                }
                Adoptable::NotYet => {
                    return self.answer_sign(id, failure_sign(&reason), reserve).await
                }
            }
        }
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

    /// Another party's successful answer on chain that verifies against the key, if any.
    async fn adoptable(&self, id: u64) -> Result<Adoptable, TaskError> {
        let sign_request: SignatureRequestResponse = query(
            self.chain.as_ref(),
            &self.contracts.signature_requests,
            &SignatureQuery::Request { request_id: id },
        )
        .await?;
        if sign_request.status != SignRequestStatus::Pending {
            return Ok(Adoptable::Closed(sign_request.status.as_str().to_string()));
        }
        Ok(sign_request
            .answers
            .iter()
            .find_map(|a| match &a.result {
                SignResult::Success { signatures } => {
                    let raw: Vec<Vec<u8>> = signatures.iter().map(|s| s.to_vec()).collect();
                    verifies(&sign_request, &raw).then(|| signatures.clone())
                }
                SignResult::Failure { .. } => None,
            })
            .map_or(Adoptable::NotYet, Adoptable::Signatures))
    }

    /// Runs one MPC attempt, recording it in the store and the metrics. The inner error is the
    /// protocol's failure as text (for the failure answer and the logs).
    async fn timed<T>(
        &self,
        request: RequestRef,
        run: impl std::future::Future<Output = Result<T, mpc_party::MpcError>>,
    ) -> Result<Result<T, String>, TaskError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closed");
        let record = self.store.started(request)?;
        let attempts = match record.progress {
            Progress::Started { attempts } => attempts,
            _ => 0,
        };
        tracing::info!(%request, attempts, "MPC run starting");
        self.metrics
            .requests_started
            .with_label_values(&[request.kind()])
            .inc();
        self.metrics.in_flight.inc();
        let started = Instant::now();
        let result = run.await;
        self.metrics.in_flight.dec();
        self.metrics
            .mpc_latency
            .with_label_values(&[request.kind()])
            .observe(started.elapsed().as_secs_f64());
        Ok(result.map_err(|e| {
            let blamed = e.blamed();
            tracing::warn!(%request, error = %e, ?blamed, "MPC run failed");
            for party in blamed {
                self.metrics
                    .mpc_blamed
                    .with_label_values(&[&party.to_string()])
                    .inc();
            }
            e.to_string()
        }))
    }

    /// Gas this party's answer to `request` carries beyond its simulation (see [`gas`]).
    fn reserve(&self, request: RequestRef, parties: usize, callback: bool) -> u64 {
        if self.settings.reserve_completion_gas {
            gas::completion_reserve(request, parties, callback)
        } else {
            0
        }
    }

    async fn answer_key(
        &self,
        id: u64,
        result: KeyResult,
        reserve: u64,
    ) -> Result<Finished, TaskError> {
        let success = matches!(result, KeyResult::Success { .. });
        let call = ContractCall::new(
            &self.contracts.keyring,
            &KeyringExecute::SubmitKeyResult {
                request_id: id,
                result,
            },
        )?
        .with_gas_reserve(reserve);
        self.submit(RequestRef::Key(id), call, success).await
    }

    async fn answer_sign(
        &self,
        id: u64,
        result: SignResult,
        reserve: u64,
    ) -> Result<Finished, TaskError> {
        let success = matches!(result, SignResult::Success { .. });
        let call = ContractCall::new(
            &self.contracts.signature_requests,
            &SignatureExecute::SubmitSignatureResult {
                request_id: id,
                result,
            },
        )?
        .with_gas_reserve(reserve);
        self.submit(RequestRef::Sign(id), call, success).await
    }

    /// Submits the answer an earlier drive (or run) computed and saved, if there is one: MPC
    /// is not run twice for one request (the other parties have moved on).
    async fn resubmit_saved(
        &self,
        request: RequestRef,
        reserve: u64,
    ) -> Result<Option<Finished>, TaskError> {
        let Some(saved) = self.store.get(request)?.and_then(|r| r.answer) else {
            return Ok(None);
        };
        tracing::info!(%request, "submitting the answer saved by an earlier run");
        let contract = match request {
            RequestRef::Key(_) => &self.contracts.keyring,
            RequestRef::Sign(_) => &self.contracts.signature_requests,
        };
        let call = ContractCall {
            contract: contract.clone(),
            msg: saved.msg.into_bytes(),
            funds: vec![],
            gas_reserve: reserve,
        };
        self.submit(request, call, saved.success).await.map(Some)
    }

    /// Saves the answer, hands it to the submitter and records what became of it.
    async fn submit(
        &self,
        request: RequestRef,
        call: ContractCall,
        success: bool,
    ) -> Result<Finished, TaskError> {
        let msg = String::from_utf8(call.msg.clone()).expect("messages are JSON");
        self.store
            .save_answer(request, SavedAnswer { msg, success })?;
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
        let kind = [request.kind()];
        match outcome {
            SubmitOutcome::OnChain { tx_hash, height } => {
                self.store.submitted(request, &tx_hash, height, success)?;
                let counter = if success {
                    &self.metrics.requests_fulfilled
                } else {
                    &self.metrics.requests_failed
                };
                counter.with_label_values(&kind).inc();
                Ok(Finished::Answered { success })
            }
            SubmitOutcome::AlreadyAnswered => {
                // An earlier try landed (its confirmation was lost): done, not twice.
                self.store.submitted(request, "", 0, success)?;
                Ok(Finished::Answered { success })
            }
            SubmitOutcome::Closed(reason) => self.close(request, &reason),
            SubmitOutcome::Refused(reason) | SubmitOutcome::GaveUp(reason) => {
                self.metrics.requests_failed.with_label_values(&kind).inc();
                Ok(Finished::Abandoned(reason))
            }
        }
    }

    /// The checks every request passes before this party runs MPC for it: still pending, not
    /// answered by this party yet (a restart may find its answer on chain), this party among its
    /// parties, and the parties' order matching the transport's indices. A request that is not
    /// pending yet (`partial` on a node behind the one whose event announced it) is not closed:
    /// it is driven again later.
    fn before_mpc(&self, seen: RequestView<'_>) -> Result<BeforeMpc, TaskError> {
        if seen.settled {
            return self.close(seen.request, seen.status).map(BeforeMpc::Done);
        }
        if !seen.pending {
            return Err(TaskError::NotYet(seen.status));
        }
        if let Some((height, success)) = seen.my_answer {
            return self
                .already_answered(seen.request, height, success)
                .map(BeforeMpc::Done);
        }
        let me = self.chain.account();
        if !seen.parties.iter().any(|p| p.as_str() == me) {
            return self
                .close(
                    seen.request,
                    "this party is not one of the request's parties",
                )
                .map(BeforeMpc::Done);
        }
        Ok(match self.check_party_order(seen.parties) {
            Ok(()) => BeforeMpc::Run,
            Err(reason) => BeforeMpc::AnswerFailure(reason),
        })
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

/// What [`Worker::before_mpc`] reads of a key or signature request.
struct RequestView<'a> {
    request: RequestRef,
    status: &'static str,
    pending: bool,
    /// Final on chain: nothing will ever be asked of this party again.
    settled: bool,
    /// This party's answer on chain: its height and whether it was a success.
    my_answer: Option<(u64, bool)>,
    parties: &'a [cosmwasm_std::Addr],
}

enum BeforeMpc {
    /// Nothing to run: closed or already answered.
    Done(Finished),
    /// This party cannot take part; it answers with a failure.
    AnswerFailure(String),
    Run,
}

/// What the chain offers a party whose own signing run failed.
enum Adoptable {
    /// Another party's answer, verified against the key.
    Signatures(Vec<Binary>),
    /// The request is no longer pending.
    Closed(String),
    NotYet,
}

fn verifies(request: &SignatureRequestResponse, signatures: &[Vec<u8>]) -> bool {
    signatures.len() == request.items.len()
        && request
            .items
            .iter()
            .zip(signatures)
            .all(|(item, sig)| verify(request.key_type, &request.public_key, item, sig))
}

/// The contracts bound failure reasons; keep ours well inside.
fn truncate_reason(reason: &str) -> String {
    let mut end = reason.len().min(200);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}

fn failure_key(reason: &str) -> KeyResult {
    KeyResult::Failure {
        reason: truncate_reason(reason),
    }
}

fn failure_sign(reason: &str) -> SignResult {
    SignResult::Failure {
        reason: truncate_reason(reason),
    }
}
