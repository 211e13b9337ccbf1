//! The event source (as Hermes' event supervisor): turns the chain's event stream into a stream
//! of work — pending requests of this party's keyring — and hides reconnects.
//!
//! On start and after every reconnect it subscribes first and then pages the contracts'
//! `pending` lists for the keyring, so nothing that happened while it was away is lost (a request
//! that became pending between the page and the subscription shows up in the subscription).
//! Pages and the live stream overlap, so duplicates are dropped by [`Dedupe`].

mod dedupe;

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures::StreamExt;
use mpc_interfaces::events::{attr, KEY_REQUEST_EVENT, SIGNATURE_REQUEST_EVENT};
use mpc_interfaces::keyring::{KeyRequestStatus, KeyRequestsResponse, QueryMsg as KeyringQuery};
use mpc_interfaces::signature_requests::{
    QueryMsg as SignatureQuery, SignRequestStatus, SignatureRequestsResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

pub use dedupe::Dedupe;

use crate::backoff::Backoff;
use crate::chain::{query, Chain, ChainError, ChainEvent};
use crate::config::Contracts;
use crate::telemetry::Metrics;

/// A request this party may have to answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestRef {
    /// A key request of the keyring contract.
    Key(u64),
    /// A signature request of the signature-requests contract.
    Sign(u64),
}

impl RequestRef {
    pub fn id(&self) -> u64 {
        match self {
            RequestRef::Key(id) | RequestRef::Sign(id) => *id,
        }
    }

    /// The label used in session ids, metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            RequestRef::Key(_) => "key",
            RequestRef::Sign(_) => "sign",
        }
    }

    /// Store key: kind tag, then id, so records list by kind then id.
    pub fn to_key(self) -> (u8, u64) {
        match self {
            RequestRef::Key(id) => (0, id),
            RequestRef::Sign(id) => (1, id),
        }
    }

    pub fn from_key((kind, id): (u8, u64)) -> Self {
        if kind == 0 {
            RequestRef::Key(id)
        } else {
            RequestRef::Sign(id)
        }
    }

    /// The pending request an event announces, if it is one of `keyring_id`'s.
    pub fn from_event(event: &ChainEvent, contracts: &Contracts, keyring_id: u64) -> Option<Self> {
        let ours = event.attribute(attr::KEYRING_ID) == Some(keyring_id.to_string().as_str());
        let pending = event.attribute(attr::STATUS) == Some("pending");
        if !ours || !pending {
            return None;
        }
        let id = event.attribute(attr::REQUEST_ID)?.parse().ok()?;
        match event.kind.as_str() {
            KEY_REQUEST_EVENT if event.contract == contracts.keyring => Some(RequestRef::Key(id)),
            SIGNATURE_REQUEST_EVENT if event.contract == contracts.signature_requests => {
                Some(RequestRef::Sign(id))
            }
            _ => None,
        }
    }
}

impl fmt::Display for RequestRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} request {}", self.kind(), self.id())
    }
}

/// Page size of the catch-up queries.
const PAGE: u32 = 50;

/// Watches the chain and sends every pending request of the keyring to the worker, once.
pub struct EventSource {
    pub chain: Arc<dyn Chain>,
    pub contracts: Contracts,
    pub keyring_id: u64,
    pub backoff: Backoff,
    pub metrics: Arc<Metrics>,
    pub dedupe: Dedupe,
}

impl EventSource {
    /// Runs until `shutdown` turns true or the worker's queue closes.
    pub async fn run(
        mut self,
        work: mpsc::Sender<RequestRef>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let watched = vec![
            self.contracts.keyring.clone(),
            self.contracts.signature_requests.clone(),
        ];
        let mut first = true;
        loop {
            if *shutdown.borrow() {
                return;
            }
            if !first {
                self.metrics.reconnects.inc();
            }
            first = false;
            let connected = async {
                let stream = self.chain.subscribe(watched.clone()).await?;
                let backlog = self.pending().await?;
                Ok::<_, ChainError>((stream, backlog))
            };
            let (mut stream, backlog) = tokio::select! {
                _ = shutdown.changed() => return,
                result = connected => match result {
                    Ok(connected) => connected,
                    Err(e) => {
                        let delay = self.backoff.next_delay().unwrap_or(self.backoff.max);
                        tracing::warn!(error = %e, ?delay, "event source cannot connect; retrying");
                        tokio::select! {
                            _ = shutdown.changed() => return,
                            _ = tokio::time::sleep(delay) => continue,
                        }
                    }
                }
            };
            self.backoff.reset();
            self.metrics.connected.store(true, Ordering::SeqCst);
            tracing::debug!(backlog = backlog.len(), "event source connected");
            for request in backlog {
                if !self.forward(request, &work).await {
                    return;
                }
            }
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    next = stream.next() => match next {
                        Some(event) => {
                            if let Some(request) =
                                RequestRef::from_event(&event, &self.contracts, self.keyring_id)
                            {
                                if !self.forward(request, &work).await {
                                    return;
                                }
                            }
                        }
                        None => {
                            self.metrics.connected.store(false, Ordering::SeqCst);
                            tracing::warn!("event stream ended; reconnecting");
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Sends a request on unless it is a duplicate; `false` when the worker is gone.
    async fn forward(&mut self, request: RequestRef, work: &mpsc::Sender<RequestRef>) -> bool {
        if !self.dedupe.first_sighting(request) {
            return true;
        }
        self.metrics
            .requests_seen
            .with_label_values(&[request.kind()])
            .inc();
        work.send(request).await.is_ok()
    }

    /// Every pending request of the keyring, key requests first, each list paged to its end.
    pub async fn pending(&self) -> Result<Vec<RequestRef>, ChainError> {
        let mut out = Vec::new();
        let mut start_after = None;
        loop {
            let page: KeyRequestsResponse = query(
                self.chain.as_ref(),
                &self.contracts.keyring,
                &KeyringQuery::KeyRequestsByKeyring {
                    keyring_id: self.keyring_id,
                    status: KeyRequestStatus::Pending,
                    start_after,
                    limit: Some(PAGE),
                },
            )
            .await?;
            let Some(last) = page.requests.last().map(|r| r.id) else {
                break;
            };
            out.extend(page.requests.iter().map(|r| RequestRef::Key(r.id)));
            start_after = Some(last);
        }
        let mut start_after = None;
        loop {
            let page: SignatureRequestsResponse = query(
                self.chain.as_ref(),
                &self.contracts.signature_requests,
                &SignatureQuery::RequestsByKeyring {
                    keyring_id: self.keyring_id,
                    status: SignRequestStatus::Pending,
                    start_after,
                    limit: Some(PAGE),
                },
            )
            .await?;
            let Some(last) = page.requests.last().map(|r| r.id) else {
                break;
            };
            out.extend(page.requests.iter().map(|r| RequestRef::Sign(r.id)));
            start_after = Some(last);
        }
        Ok(out)
    }
}
