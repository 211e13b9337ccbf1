//! The event source (as Hermes' event supervisor): turns the chain's event stream into a stream
//! of work — pending requests of this party's keyring — and hides reconnects.
//!
//! On start and after every reconnect it subscribes first and then pages the contracts'
//! `pending` lists for the keyring, so nothing that happened while it was away is lost (a request
//! that became pending between the page and the subscription shows up in the subscription). It
//! pages them again every `rescan_interval` (as Hermes' `clear_interval`), so a request whose
//! event was missed, or whose drive this party gave up on, is found again while it is pending.
//! The same request is offered many times; the worker (its in-flight set and the store) is
//! what takes each one once.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::backoff::Backoff;
use crate::chain::{query, Chain, ChainError};
use crate::config::Contracts;
use crate::request::{PendingPage, RequestKind, RequestRef, Sighting};
use crate::telemetry::Metrics;

/// Page size of the catch-up queries.
const PAGE: u32 = 50;

/// Watches the chain and offers every pending request of the keyring to the worker.
pub struct EventSource {
    pub chain: Arc<dyn Chain>,
    pub contracts: Contracts,
    pub keyring_id: u64,
    pub backoff: Backoff,
    /// How often the pending lists are paged again while connected.
    pub rescan_interval: Duration,
    pub metrics: Arc<Metrics>,
}

impl EventSource {
    /// Runs until `shutdown` turns true or the worker's queue closes.
    pub async fn run(self, work: mpsc::Sender<Sighting>, mut shutdown: watch::Receiver<bool>) {
        let watched = vec![
            self.contracts.keyring.clone(),
            self.contracts.signature_requests.clone(),
        ];
        let mut first = true;
        let mut delays = self.backoff.delays();
        loop {
            if *shutdown.borrow() {
                return;
            }
            if !first {
                self.metrics.reconnected();
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
                        let delay = delays.next_or_max();
                        tracing::warn!(error = %e, ?delay, "event source cannot connect; retrying");
                        tokio::select! {
                            _ = shutdown.changed() => return,
                            _ = tokio::time::sleep(delay) => continue,
                        }
                    }
                }
            };
            delays = self.backoff.delays();
            self.metrics.set_connected(true);
            tracing::debug!(backlog = backlog.len(), "event source connected");
            if !offer(&work, backlog.into_iter().map(Sighting::on_list)).await {
                return;
            }
            let mut rescan = tokio::time::interval(self.rescan_interval);
            rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            rescan.reset();
            loop {
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = rescan.tick() => match self.pending().await {
                        Ok(pending) => {
                            self.metrics.rescanned();
                            if !offer(&work, pending.into_iter().map(Sighting::on_list)).await {
                                return;
                            }
                        }
                        // The stream is still up; the next tick tries again.
                        Err(e) => tracing::warn!(error = %e, "cannot page the pending requests"),
                    },
                    next = stream.next() => match next {
                        Some(event) => {
                            self.metrics.processed_height(event.height);
                            let sighting =
                                RequestRef::from_event(&event, &self.contracts, self.keyring_id)
                                    .map(|request| Sighting { request, height: event.height });
                            if !offer(&work, sighting).await {
                                return;
                            }
                        }
                        None => {
                            self.metrics.set_connected(false);
                            tracing::warn!("event stream ended; reconnecting");
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Every pending request of the keyring, key requests first, each list paged to its end.
    pub async fn pending(&self) -> Result<Vec<RequestRef>, ChainError> {
        let mut out = Vec::new();
        for kind in RequestKind::ALL {
            let mut start_after = None;
            loop {
                let page: PendingPage = query(
                    self.chain.as_ref(),
                    kind.contract(&self.contracts),
                    &kind.pending_page(self.keyring_id, start_after, PAGE),
                )
                .await?;
                let Some(last) = page.requests.last().map(|r| r.id) else {
                    break;
                };
                out.extend(page.requests.iter().map(|r| kind.request(r.id)));
                start_after = Some(last);
            }
        }
        Ok(out)
    }
}

/// Hands requests to the worker; `false` when the worker is gone.
async fn offer(
    work: &mpsc::Sender<Sighting>,
    requests: impl IntoIterator<Item = Sighting>,
) -> bool {
    for request in requests {
        if work.send(request).await.is_err() {
            return false;
        }
    }
    true
}
