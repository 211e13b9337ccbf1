//! The submitter: this party's results go on chain from its own account, several per transaction,
//! one transaction at a time (the account sequence is the chain client's, and one sender keeps it
//! simple). Transport errors are retried with backoff; a refusal of a batch is retried one message
//! at a time so that one refused answer does not sink the others.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::backoff::Backoff;
use crate::chain::{Chain, ChainError, ContractCall};
use crate::event::RequestRef;
use crate::telemetry::Metrics;

/// One result to put on chain.
pub struct Submission {
    pub request: RequestRef,
    pub call: ContractCall,
    pub done: oneshot::Sender<SubmitOutcome>,
}

/// What became of a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// In a block.
    OnChain { tx_hash: String, height: u64 },
    /// The contract already has this party's answer (an earlier try landed): done.
    AlreadyAnswered,
    /// The request is no longer pending (fulfilled by the others, rejected, expired): done.
    Closed(String),
    /// The contract refused the answer for another reason.
    Refused(String),
    /// Transport errors until the backoff gave up.
    GaveUp(String),
}

/// How the contracts word a refusal, reduced to what the submitter must do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    AlreadyAnswered,
    Closed,
    Other,
}

/// Classifies a contract's refusal by its error text (the chain reports contract errors as text).
/// Matches the `ContractError` messages of the keyring and signature-requests contracts.
pub fn classify_refusal(log: &str) -> Refusal {
    if log.contains("has already answered") {
        Refusal::AlreadyAnswered
    } else if [
        "not pending",
        "takes no more answers",
        "has expired",
        "is expired",
        "and cannot change",
    ]
    .iter()
    .any(|phrase| log.contains(phrase))
    {
        Refusal::Closed
    } else {
        Refusal::Other
    }
}

/// Batching and retry settings.
#[derive(Clone, Debug)]
pub struct SubmitterSettings {
    /// Most messages in one transaction.
    pub max_batch: usize,
    /// How long the first submission waits for others to join its batch.
    pub batch_delay: Duration,
    /// Retries on transport errors.
    pub backoff: Backoff,
}

pub struct Submitter {
    pub chain: Arc<dyn Chain>,
    pub settings: SubmitterSettings,
    pub metrics: Arc<Metrics>,
}

impl Submitter {
    /// Runs until every sender of `queue` is dropped.
    pub async fn run(self, mut queue: mpsc::Receiver<Submission>) {
        while let Some(first) = queue.recv().await {
            let mut batch = vec![first];
            let deadline = tokio::time::Instant::now() + self.settings.batch_delay;
            while batch.len() < self.settings.max_batch {
                match tokio::time::timeout_at(deadline, queue.recv()).await {
                    Ok(Some(next)) => batch.push(next),
                    Ok(None) | Err(_) => break,
                }
            }
            self.submit(batch).await;
        }
    }

    async fn submit(&self, batch: Vec<Submission>) {
        let calls: Vec<ContractCall> = batch.iter().map(|s| s.call.clone()).collect();
        match self.execute_with_retries(calls).await {
            Ok((tx_hash, height)) => {
                tracing::info!(%tx_hash, height, results = batch.len(), "results on chain");
                for s in batch {
                    let _ = s.done.send(SubmitOutcome::OnChain {
                        tx_hash: tx_hash.clone(),
                        height,
                    });
                }
            }
            Err(ChainError::Rejected { log, .. }) if batch.len() > 1 => {
                // One refused message refuses the whole transaction: find which, one by one.
                tracing::debug!(%log, "batch refused; submitting one by one");
                for s in batch {
                    Box::pin(self.submit(vec![s])).await;
                }
            }
            Err(ChainError::Rejected { log, .. }) => {
                let s = batch.into_iter().next().expect("one submission");
                let outcome = match classify_refusal(&log) {
                    Refusal::AlreadyAnswered => SubmitOutcome::AlreadyAnswered,
                    Refusal::Closed => SubmitOutcome::Closed(log),
                    Refusal::Other => {
                        tracing::warn!(request = %s.request, %log, "contract refused our result");
                        SubmitOutcome::Refused(log)
                    }
                };
                let _ = s.done.send(outcome);
            }
            Err(e) => {
                for s in batch {
                    let _ = s.done.send(SubmitOutcome::GaveUp(e.to_string()));
                }
            }
        }
    }

    /// Executes, retrying retryable errors with backoff; returns the tx hash and height.
    async fn execute_with_retries(
        &self,
        calls: Vec<ContractCall>,
    ) -> Result<(String, u64), ChainError> {
        let mut backoff = self.settings.backoff.clone();
        loop {
            match self.chain.execute(calls.clone()).await {
                Ok(outcome) => return Ok((outcome.tx_hash, outcome.height)),
                Err(e) => {
                    self.metrics
                        .tx_errors
                        .with_label_values(&[error_label(&e)])
                        .inc();
                    if !e.is_retryable() {
                        return Err(e);
                    }
                    let Some(delay) = backoff.next_delay() else {
                        return Err(e);
                    };
                    tracing::warn!(error = %e, ?delay, "transaction failed; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

fn error_label(e: &ChainError) -> &'static str {
    match e {
        ChainError::Transport(_) => "transport",
        ChainError::SequenceMismatch { .. } => "sequence",
        ChainError::Rejected { .. } => "rejected",
        ChainError::Decode(_) => "decode",
        ChainError::Timeout => "timeout",
        ChainError::GasCap { .. } => "gas_cap",
        ChainError::Config(_) => "config",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_classified_by_the_contracts_wording() {
        assert_eq!(
            classify_refusal("wasm1abc has already answered signature request 4"),
            Refusal::AlreadyAnswered
        );
        assert_eq!(
            classify_refusal("wasm1abc has already answered key request 2"),
            Refusal::AlreadyAnswered
        );
        assert_eq!(
            classify_refusal("signature request 4 is Fulfilled, not pending"),
            Refusal::Closed
        );
        assert_eq!(
            classify_refusal("key request 2 is fulfilled; it takes no more answers"),
            Refusal::Closed
        );
        assert_eq!(
            classify_refusal("signature request 4 has expired"),
            Refusal::Closed
        );
        assert_eq!(
            classify_refusal("signature 0 does not verify against the key"),
            Refusal::Other
        );
    }
}
