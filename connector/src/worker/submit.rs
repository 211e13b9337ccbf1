//! The submitter: this party's results go on chain from its own account, several per transaction,
//! one transaction at a time (the account sequence is the chain client's, and one sender keeps it
//! simple). Transport errors are retried with backoff; a refusal of a batch is retried one message
//! at a time so that one refused answer does not sink the others.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::backoff::Backoff;
use crate::chain::{Chain, ChainError, ContractCall};
use crate::request::RequestRef;
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
    /// The contract refused it. What that means (an earlier try landed, the request is no
    /// longer pending, or the answer itself is wrong) is read from the chain's state by the
    /// worker, not from the contract's wording.
    Refused(String),
    /// Transport errors until the backoff gave up.
    GaveUp(String),
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

/// Logged when the contract refuses a result (read from the chain what that means).
pub const REFUSED_LOG: &str = "the contract refused the result";

/// An out-of-gas retry adds `1 / OUT_OF_GAS_STEPS` of the first limit that ran out.
pub const OUT_OF_GAS_STEPS: u64 = 4;

/// Logged when a transaction ran out of gas and is sent again with more.
pub const OUT_OF_GAS_LOG: &str = "transaction ran out of gas; simulating again with more gas";

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
            self.send_batch(batch).await;
        }
    }

    async fn send_batch(&self, batch: Vec<Submission>) {
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
                    Box::pin(self.send_batch(vec![s])).await;
                }
            }
            Err(ChainError::Rejected { log, .. }) => {
                let s = batch.into_iter().next().expect("one submission");
                tracing::info!(request = %s.request, %log, "{REFUSED_LOG}");
                let _ = s.done.send(SubmitOutcome::Refused(log));
            }
            Err(e) => {
                for s in batch {
                    let _ = s.done.send(SubmitOutcome::GaveUp(e.to_string()));
                }
            }
        }
    }

    /// Executes, retrying retryable errors with backoff; returns the tx hash and height. A
    /// transaction that ran out of gas is simulated again (the state it meets may have moved
    /// on) and sent with its reserve grown by a step, a quarter of the first limit that ran
    /// out: each try has more gas than the last, by steps rather than doubling (the SDK charges
    /// the whole limit, used or not), up to the chain's cap.
    async fn execute_with_retries(
        &self,
        mut calls: Vec<ContractCall>,
    ) -> Result<(String, u64), ChainError> {
        let mut backoff = self.settings.backoff.delays();
        let mut gas_step = None;
        loop {
            match self.chain.execute(calls.clone()).await {
                Ok(outcome) => return Ok((outcome.tx_hash, outcome.height)),
                Err(e) => {
                    self.metrics.tx_error(error_label(&e));
                    if !e.is_retryable() {
                        return Err(e);
                    }
                    let Some(delay) = backoff.next_delay() else {
                        return Err(e);
                    };
                    if let ChainError::OutOfGas { wanted, used } = e {
                        let step = *gas_step.get_or_insert(wanted.div_ceil(OUT_OF_GAS_STEPS));
                        let first = &mut calls[0];
                        first.gas_reserve = first.gas_reserve.saturating_add(step);
                        tracing::warn!(
                            gas_wanted = wanted,
                            gas_used = used,
                            reserve = first.gas_reserve,
                            ?delay,
                            "{OUT_OF_GAS_LOG}"
                        );
                    } else {
                        tracing::warn!(error = %e, ?delay, "transaction failed; retrying");
                    }
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
        ChainError::OutOfGas { .. } => "out_of_gas",
        ChainError::Config(_) => "config",
        ChainError::Behind { .. } => "behind",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::Backoff;
    use crate::chain::{ChainEvent, TxOutcome};
    use futures::stream::BoxStream;
    use std::sync::Mutex;

    /// A chain whose transactions fail with the queued errors first, recording what was sent.
    #[derive(Default)]
    struct FailingChain {
        errors: Mutex<Vec<ChainError>>,
        sent: Mutex<Vec<Vec<ContractCall>>>,
    }

    #[async_trait::async_trait]
    impl Chain for FailingChain {
        fn account(&self) -> &str {
            "wasm1party"
        }
        async fn latest_height(&self) -> Result<u64, ChainError> {
            Ok(1)
        }
        async fn query_smart_at_least(
            &self,
            _: &str,
            _: &[u8],
            _: u64,
        ) -> Result<Vec<u8>, ChainError> {
            Err(ChainError::Transport("not used".into()))
        }
        async fn fee_balance(&self) -> Result<Option<cosmwasm_std::Coin>, ChainError> {
            Ok(None)
        }
        async fn execute(&self, calls: Vec<ContractCall>) -> Result<TxOutcome, ChainError> {
            self.sent.lock().unwrap().push(calls);
            let mut errors = self.errors.lock().unwrap();
            if errors.is_empty() {
                Ok(TxOutcome {
                    tx_hash: "AB".into(),
                    height: 9,
                    gas_used: 1,
                })
            } else {
                Err(errors.remove(0))
            }
        }
        async fn subscribe(
            &self,
            _: Vec<String>,
        ) -> Result<BoxStream<'static, ChainEvent>, ChainError> {
            Err(ChainError::Transport("not used".into()))
        }
    }

    fn submitter(chain: Arc<FailingChain>) -> Submitter {
        Submitter {
            chain,
            settings: SubmitterSettings {
                max_batch: 4,
                batch_delay: Duration::from_millis(1),
                backoff: Backoff::new(
                    Duration::from_millis(1),
                    Duration::from_millis(5),
                    2,
                    Some(4),
                ),
            },
            metrics: Metrics::new("test"),
        }
    }

    fn answer(reserve: u64) -> ContractCall {
        ContractCall {
            contract: "wasm1contract".into(),
            msg: b"{}".to_vec(),
            funds: vec![],
            gas_reserve: reserve,
        }
    }

    #[tokio::test]
    async fn out_of_gas_is_sent_again_with_more_gas_and_counted_as_such() {
        let chain = Arc::new(FailingChain::default());
        chain.errors.lock().unwrap().extend([
            ChainError::OutOfGas {
                wanted: 190_000,
                used: 191_000,
            },
            ChainError::OutOfGas {
                wanted: 400_000,
                used: 401_000,
            },
        ]);
        let submitter = submitter(chain.clone());

        let landed = submitter.execute_with_retries(vec![answer(1_000)]).await;

        assert_eq!(landed, Ok(("AB".to_string(), 9)));
        let reserves: Vec<u64> = chain
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|calls| calls[0].gas_reserve)
            .collect();
        // Steps of a quarter of the first limit that ran out, not the failed limits added.
        assert_eq!(reserves, vec![1_000, 48_500, 96_000]);
        let page = submitter.metrics.render();
        assert!(
            page.contains(r#"mpc_connector_tx_errors_total{reason="out_of_gas",party="test"} 2"#),
            "{page}"
        );
        assert!(!page.contains(r#"reason="rejected""#), "{page}");
    }

    #[tokio::test]
    async fn a_refusal_is_not_sent_again() {
        let chain = Arc::new(FailingChain::default());
        let refused = ChainError::Rejected {
            code: 5,
            log: "signature 0 does not verify against the key".into(),
        };
        chain.errors.lock().unwrap().push(refused.clone());
        let submitter = submitter(chain.clone());

        assert_eq!(
            submitter.execute_with_retries(vec![answer(0)]).await,
            Err(refused)
        );
        assert_eq!(chain.sent.lock().unwrap().len(), 1);
    }
}
