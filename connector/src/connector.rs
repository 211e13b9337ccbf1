//! One party's connector, assembled: event source → worker → submitter, plus telemetry. Used by
//! `connector run` (real chain, from the TOML config) and by the devnet (embedded chain, one per
//! party in one process).

use std::collections::BTreeMap;
use std::sync::Arc;

use mpc_party::PartyIndex;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::backoff::Backoff;
use crate::chain::Chain;
use crate::config::{Config, Contracts};
use crate::event::EventSource;
use crate::mpc::MpcEngine;
use crate::store::ProgressStore;
use crate::telemetry::Metrics;
use crate::worker::submit::{Submitter, SubmitterSettings};
use crate::worker::{Worker, WorkerSettings, KEYGEN_STOP_GRACE};

/// How often the transport's view of the peers is copied into the metrics.
const PEERS_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
/// How often the account's balance is read for its gauge.
const BALANCE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Queue lengths between the stages.
const WORK_QUEUE: usize = 1024;
const SUBMIT_QUEUE: usize = 256;

/// Settings of the three stages.
#[derive(Clone, Debug)]
pub struct Settings {
    pub worker: WorkerSettings,
    pub submitter: SubmitterSettings,
    pub event_backoff: Backoff,
    pub rescan_interval: std::time::Duration,
}

impl Settings {
    pub fn from_config(config: &Config, poll_interval: std::time::Duration) -> Self {
        Self {
            worker: WorkerSettings {
                max_concurrent: config.worker.max_concurrent,
                max_concurrent_ecdsa: config.worker.max_concurrent_ecdsa,
                poll_interval,
                reserve_completion_gas: config.worker.reserve_completion_gas,
                retry: config.worker.retry.clone(),
                payload_digest: crate::mpc::payload_digest,
            },
            submitter: SubmitterSettings {
                max_batch: config.submitter.max_batch,
                batch_delay: config.submitter.batch_delay,
                backoff: config.submitter.backoff.clone(),
            },
            event_backoff: config.event_source.backoff.clone(),
            rescan_interval: config.event_source.rescan_interval,
        }
    }
}

/// Everything one connector is made of.
pub struct Parts {
    pub chain: Arc<dyn Chain>,
    pub contracts: Contracts,
    pub keyring_id: u64,
    /// Chain address → transport index of every party.
    pub peers: BTreeMap<String, PartyIndex>,
    pub engine: Arc<dyn MpcEngine>,
    pub store: Arc<ProgressStore>,
    pub metrics: Arc<Metrics>,
    pub settings: Settings,
}

/// A running connector. [`Running::stop`] ends it at once, as a crash would (in-flight MPC runs
/// are dropped; the store keeps what was recorded), and waits until its tasks are gone.
pub struct Running {
    shutdown: watch::Sender<bool>,
    /// The worker's flag: a stop that lets key generations in progress finish.
    finish_key_generations: Arc<std::sync::atomic::AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
    pub metrics: Arc<Metrics>,
    /// The progress store the worker records in (readable while it runs).
    pub store: Arc<ProgressStore>,
}

/// Starts the event source, the worker and the submitter.
pub fn start(mut parts: Parts) -> Running {
    parts.chain = Arc::new(crate::chain::metered::Metered::new(
        parts.chain,
        parts.metrics.clone(),
    ));
    let (shutdown, shutdown_rx) = watch::channel(false);
    let (work_tx, work_rx) = mpsc::channel(WORK_QUEUE);
    let (submit_tx, submit_rx) = mpsc::channel(SUBMIT_QUEUE);
    // The gauges nothing else updates: the peers as the transport sees them, and the
    // account's balance (the metered chain records it on each read).
    let gauges = {
        let (engine, chain, metrics, mut stop) = (
            parts.engine.clone(),
            parts.chain.clone(),
            parts.metrics.clone(),
            shutdown_rx.clone(),
        );
        async move {
            let mut peers = tokio::time::interval(PEERS_INTERVAL);
            let mut balance = tokio::time::interval(BALANCE_INTERVAL);
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = peers.tick() => metrics.peers(&engine.peers()),
                    _ = balance.tick() => {
                        if let Err(e) = chain.fee_balance().await {
                            tracing::debug!(error = %e, "cannot read the account's balance");
                        }
                    }
                }
            }
        }
    };
    let source = EventSource {
        chain: parts.chain.clone(),
        contracts: parts.contracts.clone(),
        keyring_id: parts.keyring_id,
        backoff: parts.settings.event_backoff.clone(),
        rescan_interval: parts.settings.rescan_interval,
        metrics: parts.metrics.clone(),
    };
    let worker = Worker::new(
        parts.chain.clone(),
        parts.contracts,
        parts.peers,
        parts.engine,
        parts.store.clone(),
        parts.metrics.clone(),
        submit_tx,
        parts.settings.worker,
    );
    let finish_key_generations = worker.finish_key_generations.clone();
    let submitter = Submitter {
        chain: parts.chain,
        settings: parts.settings.submitter,
        metrics: parts.metrics.clone(),
    };
    let tasks = vec![
        tokio::spawn(source.run(work_tx, shutdown_rx.clone())),
        tokio::spawn(worker.run(work_rx, shutdown_rx)),
        tokio::spawn(submitter.run(submit_rx)),
        tokio::spawn(gauges),
    ];
    parts.metrics.set_phase(crate::telemetry::Phase::Running);
    Running {
        shutdown,
        finish_key_generations,
        tasks,
        metrics: parts.metrics,
        store: parts.store,
    }
}

/// How long `Running::stop` lets a task end by itself before aborting it.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

impl Running {
    /// Stops every task and waits for them to be dropped (so the store and the transport's
    /// port are free again).
    pub async fn stop(self) {
        self.stop_within(STOP_GRACE).await
    }

    /// [`Running::stop`], but the key generations in progress finish first (at most
    /// [`KEYGEN_STOP_GRACE`]), so their shares are stored and their answers saved: what a
    /// service manager's SIGTERM gets.
    pub async fn stop_finishing_key_generations(self) {
        self.finish_key_generations
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.stop_within(KEYGEN_STOP_GRACE + STOP_GRACE).await
    }

    async fn stop_within(self, grace: std::time::Duration) {
        let _ = self.shutdown.send(true);
        // The tasks end by themselves on the signal (the worker first waits for its requests'
        // tasks); aborting at once would drop the worker without that wait.
        for mut task in self.tasks {
            if tokio::time::timeout(grace, &mut task).await.is_err() {
                task.abort();
                let _ = task.await;
            }
        }
    }

    /// Waits until a task ends (it should not, short of a stop): for `connector run`.
    pub async fn wait(&mut self) {
        let (_, index, _) = futures::future::select_all(self.tasks.iter_mut()).await;
        tracing::error!(task = index, "a connector task ended");
    }
}
