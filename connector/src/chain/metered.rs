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
        self.metrics.chain_call(edge, call, result.as_ref().err());
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
        // A node behind answers; the edge is healthy.
        let health = match &result {
            Err(ChainError::Behind { .. }) => Ok(()),
            Err(e) => Err(e.clone()),
            Ok(_) => Ok(()),
        };
        self.metrics
            .chain_call(Edge::Reads, "query_smart", health.as_ref().err());
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
        // A contract's refusal is an answer from a working chain, not an unhealthy edge.
        let health = match &result {
            Err(ChainError::Rejected { .. }) => Ok(()),
            Err(e) => Err(e.clone()),
            Ok(_) => Ok(()),
        };
        self.metrics
            .chain_call(Edge::Transactions, "execute", health.as_ref().err());
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
