//! Metrics at the chain edge: every call a connector makes to its chain is counted by call and
//! outcome, and the last outcome of reads and of transactions is kept for `/healthz`.

use std::sync::Arc;

use futures::stream::BoxStream;

use super::{Chain, ChainError, ChainEvent, ContractCall, TxOutcome};
use crate::telemetry::{Edge, Metrics};

/// A [`Chain`] that reports each call to [`Metrics`].
pub struct Metered {
    inner: Arc<dyn Chain>,
    metrics: Arc<Metrics>,
}

impl Metered {
    pub fn new(inner: Arc<dyn Chain>, metrics: Arc<Metrics>) -> Self {
        Self { inner, metrics }
    }

    fn record<T>(&self, edge: Edge, call: &str, result: &Result<T, ChainError>) {
        self.record_answered(edge, call, result, |_| false);
    }

    /// Records a call of which the errors `answered` picks are answers from a working node (a
    /// contract's refusal, a node that is behind), not failures of the edge.
    fn record_answered<T>(
        &self,
        edge: Edge,
        call: &str,
        result: &Result<T, ChainError>,
        answered: fn(&ChainError) -> bool,
    ) {
        let failure = result.as_ref().err().filter(|e| !answered(e));
        self.metrics.chain_call(edge, call, failure);
    }
}

#[async_trait::async_trait]
impl Chain for Metered {
    fn account(&self) -> &str {
        self.inner.account()
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        let result = self.inner.latest_height().await;
        self.record(Edge::Reads, "latest_height", &result);
        result
    }

    async fn query_smart_at_least(
        &self,
        contract: &str,
        msg: &[u8],
        min_height: u64,
    ) -> Result<Vec<u8>, ChainError> {
        let result = self
            .inner
            .query_smart_at_least(contract, msg, min_height)
            .await;
        self.record_answered(Edge::Reads, "query_smart", &result, |e| {
            matches!(e, ChainError::Behind { .. })
        });
        result
    }

    async fn fee_balance(&self) -> Result<Option<cosmwasm_std::Coin>, ChainError> {
        let result = self.inner.fee_balance().await;
        self.record(Edge::Reads, "fee_balance", &result);
        if let Ok(Some(coin)) = &result {
            self.metrics.account_balance(coin);
        }
        result
    }

    async fn execute(&self, calls: Vec<ContractCall>) -> Result<TxOutcome, ChainError> {
        let result = self.inner.execute(calls).await;
        self.record_answered(Edge::Transactions, "execute", &result, |e| {
            matches!(e, ChainError::Rejected { .. })
        });
        if let Ok(outcome) = &result {
            self.metrics.processed_height(outcome.height);
        }
        result
    }

    async fn subscribe(
        &self,
        contracts: Vec<String>,
    ) -> Result<BoxStream<'static, ChainEvent>, ChainError> {
        let result = self.inner.subscribe(contracts).await;
        self.record(Edge::Events, "subscribe", &result);
        result
    }
}
