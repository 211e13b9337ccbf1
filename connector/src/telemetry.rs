//! Prometheus metrics and the probes (as Hermes' telemetry service), over a small axum server:
//! `/metrics` in the Prometheus text format, `/livez` (the process runs), `/readyz` (the party
//! can sign: what is missing otherwise) and `/healthz` (an alias of `/readyz`), and `/status`.
//!
//! `connector run` serves them from the moment its config is loaded and its lock held, before it
//! connects to the chain and makes its first Paillier primes (minutes of CPU): a liveness probe
//! sees the process alive all along, and readiness says what it still waits for.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use tokio::sync::watch;

/// One connector's metrics, in their own registry (the devnet runs several connectors in one
/// process).
pub struct Metrics {
    pub registry: Registry,
    /// Pending requests the worker took on (not in flight, not settled in the store), by kind
    /// (`key`, `sign`).
    requests_seen: IntCounterVec,
    /// MPC runs started, by kind.
    requests_started: IntCounterVec,
    /// Requests this party answered successfully on chain, by kind.
    requests_fulfilled: IntCounterVec,
    /// Requests this party answered with a failure or gave up on, by kind.
    requests_failed: IntCounterVec,
    /// Drives of a request started again after a failed one, by kind.
    requests_retried: IntCounterVec,
    /// Duration of one MPC run (DKG or signing), by kind.
    mpc_latency: HistogramVec,
    /// Failed MPC runs that named a party as the culprit, by the party's transport index.
    mpc_blamed: IntCounterVec,
    /// Transactions that failed, by reason (`transport`, `rejected`, `out_of_gas`, ...).
    tx_errors: IntCounterVec,
    /// Reconnects of the event source.
    reconnects: IntCounter,
    /// Pages of the pending lists read again on the rescan interval.
    rescans: IntCounter,
    /// Requests waiting for a turn to run MPC.
    queue_depth: IntGauge,
    /// MPC runs in progress.
    in_flight: IntGauge,
    /// Calls to the chain, by call and outcome (`ok`, `error`).
    chain_calls: IntCounterVec,
    /// Height of the last block this connector processed (an event's, or its own tx's).
    last_height: IntGauge,
    /// Set while the event source is subscribed; `/healthz` reports it.
    connected: AtomicBool,
    /// Per other party: 1 while an authenticated connection from it is up.
    peer_connected: IntGaugeVec,
    peer_live: IntGaugeVec,
    /// Per other party: bytes of its messages buffered here.
    peer_buffered: IntGaugeVec,
    /// Per other party: when its last protocol message arrived (unix seconds; 0: none yet).
    peer_last_message: IntGaugeVec,
    /// This party's account balance, per denom (it pays for its answers' gas).
    account_balance: IntGaugeVec,
    /// (connected, configured) other parties, for `/healthz`.
    peers: Mutex<(usize, usize)>,
    /// The last outcome at each edge of the chain, for `/healthz`.
    edges: Mutex<[Option<EdgeOutcome>; 3]>,
    /// Where the connector is in its life, and since when (`/livez`, `/readyz`).
    phase: Mutex<(Phase, Instant)>,
    /// Since when spare ECDSA Paillier primes are being made in the background, if they are.
    spare_primes: Mutex<Option<Instant>>,
    /// When these metrics were made: the process's start, for `/livez`.
    born: Instant,
}

/// Where a connector is in its life, as `/livez` and `/readyz` report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Loading what it needs: the chain client, the MPC transport, the share store.
    Starting,
    /// Making its first ECDSA Paillier primes (minutes of CPU, once per party): the connector's
    /// loop starts when they are made.
    MakingPrimes,
    /// The event source, the worker and the submitter run.
    Running,
    /// A stop was asked for: no new work.
    Stopping,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Starting => "starting",
            Phase::MakingPrimes => "making_primes",
            Phase::Running => "running",
            Phase::Stopping => "stopping",
        }
    }
}

/// The edges between a connector and its chain that `/healthz` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// The event subscription (CometBFT websocket).
    Events = 0,
    /// Queries (gRPC).
    Reads = 1,
    /// Transactions (simulation and broadcast).
    Transactions = 2,
}

impl Edge {
    const ALL: [Edge; 3] = [Edge::Events, Edge::Reads, Edge::Transactions];

    fn name(self) -> &'static str {
        match self {
            Edge::Events => "events",
            Edge::Reads => "reads",
            Edge::Transactions => "transactions",
        }
    }
}

#[derive(Clone, Debug)]
struct EdgeOutcome {
    error: Option<String>,
    at: Instant,
}

impl Metrics {
    pub fn new(party: &str) -> Arc<Self> {
        let registry = Registry::new_custom(
            Some("mpc_connector".into()),
            Some([("party".into(), party.into())].into()),
        )
        .expect("a valid prefix");
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("registered once");
            c
        };
        let requests_seen = counter(
            "requests_seen_total",
            "Pending requests taken on as work",
            &["kind"],
        );
        let requests_started = counter("requests_started_total", "MPC runs started", &["kind"]);
        let requests_fulfilled = counter(
            "requests_fulfilled_total",
            "Requests this party answered successfully",
            &["kind"],
        );
        let requests_failed = counter(
            "requests_failed_total",
            "Requests this party answered with a failure or gave up on",
            &["kind"],
        );
        let requests_retried = counter(
            "requests_retried_total",
            "Requests driven again after a failed drive",
            &["kind"],
        );
        let tx_errors = counter("tx_errors_total", "Failed transactions", &["reason"]);
        let mpc_blamed = counter(
            "mpc_blamed_total",
            "Failed MPC runs that named this party (transport index) as the culprit",
            &["peer"],
        );
        let mpc_latency = HistogramVec::new(
            HistogramOpts::new("mpc_round_seconds", "Duration of one MPC run").buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ]),
            &["kind"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(mpc_latency.clone()))
            .expect("registered once");
        let reconnects =
            IntCounter::new("reconnects_total", "Event source reconnects").expect("valid metric");
        registry
            .register(Box::new(reconnects.clone()))
            .expect("registered once");
        let rescans = IntCounter::new("rescans_total", "Pending lists read again on the interval")
            .expect("valid metric");
        registry
            .register(Box::new(rescans.clone()))
            .expect("registered once");
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("registered once");
            g
        };
        let in_flight = gauge("mpc_in_flight", "MPC runs in progress");
        let last_height = gauge("last_height", "Height of the last block processed");
        let gauge_vec = |name: &str, help: &str, label: &str| {
            let g = IntGaugeVec::new(Opts::new(name, help), &[label]).expect("valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("registered once");
            g
        };
        let peer_gauge = |name: &str, help: &str| gauge_vec(name, help, "peer");
        let peer_connected = peer_gauge(
            "peer_connected",
            "1 while an authenticated connection from the party (transport index) is up",
        );
        let peer_live = peer_gauge(
            "peer_live",
            "1 while the party's heartbeats arrive (a candidate signer), else 0",
        );
        let peer_buffered = peer_gauge(
            "peer_buffered_bytes",
            "Bytes of the party's messages buffered here",
        );
        let peer_last_message = peer_gauge(
            "peer_last_message_timestamp_seconds",
            "When the party's last protocol message arrived (unix seconds; 0: none yet)",
        );
        let account_balance = gauge_vec(
            "account_balance",
            "This party's account balance (it pays for its answers' gas), per denom",
            "denom",
        );
        let chain_calls = counter(
            "chain_calls_total",
            "Calls to the chain, by call and outcome",
            &["call", "outcome"],
        );
        let queue_depth = gauge("queue_depth", "Requests waiting for a turn to run MPC");
        Arc::new(Self {
            registry,
            requests_seen,
            requests_started,
            requests_fulfilled,
            requests_failed,
            requests_retried,
            mpc_latency,
            mpc_blamed,
            tx_errors,
            reconnects,
            rescans,
            queue_depth,
            in_flight,
            chain_calls,
            last_height,
            peer_connected,
            peer_live,
            peer_buffered,
            peer_last_message,
            account_balance,
            peers: Mutex::new((0, 0)),
            connected: AtomicBool::new(false),
            edges: Mutex::new([None, None, None]),
            phase: Mutex::new((Phase::Starting, Instant::now())),
            spare_primes: Mutex::new(None),
            born: Instant::now(),
        })
    }

    /// The connector moved to `phase` (`connector run` reports its start and its stop;
    /// [`crate::connector::start`] reports [`Phase::Running`]).
    pub fn set_phase(&self, phase: Phase) {
        let mut current = self.phase.lock().expect("phase lock");
        if current.0 != phase {
            *current = (phase, Instant::now());
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase.lock().expect("phase lock").0
    }

    /// Spare Paillier primes started (`true`) or stopped (`false`) being made in the background.
    pub fn making_spare_primes(&self, making: bool) {
        let mut spare = self.spare_primes.lock().expect("spare primes lock");
        *spare = making.then(|| spare.unwrap_or_else(Instant::now));
    }

    /// The worker took on a pending request.
    pub fn request_seen(&self, kind: &str) {
        self.requests_seen.with_label_values(&[kind]).inc();
    }

    /// An MPC run starts; the returned guard counts it in `mpc_in_flight` while it lives.
    pub fn run_started(&self, kind: &str) -> InProgress<'_> {
        self.requests_started.with_label_values(&[kind]).inc();
        self.in_flight.inc();
        InProgress(&self.in_flight)
    }

    /// MPC runs started so far, of `kind`.
    pub fn runs_started(&self, kind: &str) -> u64 {
        self.requests_started.with_label_values(&[kind]).get()
    }

    /// A failed MPC run named `party` (transport index) as its culprit.
    pub fn blamed(&self, party: u16) {
        self.mpc_blamed
            .with_label_values(&[&party.to_string()])
            .inc();
    }

    /// An MPC run ended after `seconds`.
    pub fn run_finished(&self, kind: &str, seconds: f64) {
        self.mpc_latency.with_label_values(&[kind]).observe(seconds);
    }

    /// This party's answer is on chain: a result (`success`) or a failure.
    pub fn answered(&self, kind: &str, success: bool) {
        if success {
            self.requests_fulfilled.with_label_values(&[kind]).inc();
        } else {
            self.request_failed(kind);
        }
    }

    /// A drive of a request failed (it is driven again later).
    pub fn request_failed(&self, kind: &str) {
        self.requests_failed.with_label_values(&[kind]).inc();
    }

    /// A request is driven again after a failed drive.
    pub fn request_retried(&self, kind: &str) {
        self.requests_retried.with_label_values(&[kind]).inc();
    }

    /// A transaction failed, for `reason` (`transport`, `out_of_gas`, ...).
    pub fn tx_error(&self, reason: &str) {
        self.tx_errors.with_label_values(&[reason]).inc();
    }

    /// The event source is (re)subscribed or lost its stream.
    pub fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::SeqCst);
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// The event source connects again after losing the chain.
    pub fn reconnected(&self) {
        self.reconnects.inc();
    }

    /// Reconnects so far.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.get()
    }

    /// The pending lists were paged again on the interval.
    pub fn rescanned(&self) {
        self.rescans.inc();
    }

    /// Requests waiting for a turn to run MPC.
    pub fn set_queue_depth(&self, waiting: usize) {
        self.queue_depth
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }

    /// The transport's view of the other parties now.
    pub fn peers(&self, peers: &[crate::mpc::PeerView]) {
        for peer in peers {
            let label = [peer.index.to_string()];
            self.peer_connected
                .with_label_values(&label)
                .set(i64::from(peer.connected));
            self.peer_live
                .with_label_values(&label)
                .set(i64::from(peer.live));
            self.peer_buffered
                .with_label_values(&label)
                .set(i64::try_from(peer.buffered_bytes).unwrap_or(i64::MAX));
            let last_message = peer
                .last_message_at
                .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |since| since.as_secs());
            self.peer_last_message
                .with_label_values(&label)
                .set(i64::try_from(last_message).unwrap_or(i64::MAX));
        }
        let connected = peers.iter().filter(|p| p.connected).count();
        *self.peers.lock().expect("peers lock") = (connected, peers.len());
    }

    /// The account's balance as last read.
    pub fn account_balance(&self, coin: &cosmwasm_std::Coin) {
        let amount = cosmwasm_std::Uint128::try_from(coin.amount)
            .map_or(i64::MAX, |a| i64::try_from(a.u128()).unwrap_or(i64::MAX));
        self.account_balance
            .with_label_values(&[coin.denom.as_str()])
            .set(amount);
    }

    /// Records one call to the chain at `edge` and how it went.
    pub fn chain_call(&self, edge: Edge, call: &str, error: Option<&crate::chain::ChainError>) {
        let outcome = if error.is_some() { "error" } else { "ok" };
        self.chain_calls.with_label_values(&[call, outcome]).inc();
        self.edges.lock().expect("edges lock")[edge as usize] = Some(EdgeOutcome {
            error: error.map(|e| e.to_string()),
            at: Instant::now(),
        });
    }

    /// A block this connector processed (it only moves forward).
    pub fn processed_height(&self, height: u64) {
        let height = i64::try_from(height).unwrap_or(i64::MAX);
        if height > self.last_height.get() {
            self.last_height.set(height);
        }
    }

    /// What `/readyz` (and its alias `/healthz`) reports: ready while the connector's loop runs,
    /// its event source is subscribed and the last read and transaction did not fail at the
    /// chain's edge (a contract's refusal is not a failure); otherwise what is missing.
    pub fn health(&self) -> Health {
        let edges = self.edges.lock().expect("edges lock").clone();
        let connected = self.is_connected();
        let report = Edge::ALL
            .iter()
            .map(|edge| {
                let last = edges[*edge as usize].as_ref();
                let state = match last {
                    None => "no calls yet".to_string(),
                    Some(EdgeOutcome { error: None, .. }) => "ok".to_string(),
                    Some(EdgeOutcome { error: Some(e), .. }) => format!("failing: {e}"),
                };
                let ago = last.map(|o| o.at.elapsed().as_secs());
                (edge.name(), state, ago)
            })
            .collect::<Vec<_>>();
        let (peers_connected, peers) = *self.peers.lock().expect("peers lock");
        let (phase, since) = *self.phase.lock().expect("phase lock");
        let phase_seconds = since.elapsed().as_secs();
        let mut missing = Vec::new();
        match phase {
            Phase::Starting => missing.push(format!(
                "engine: starting ({phase_seconds} s): connecting to the chain, opening the \
                 MPC transport and the share store"
            )),
            Phase::MakingPrimes => missing.push(format!(
                "engine: making ECDSA Paillier primes ({phase_seconds} s so far; minutes of CPU, \
                 once per party)"
            )),
            Phase::Running => {}
            Phase::Stopping => missing.push("engine: stopping".to_string()),
        }
        if !connected {
            missing.push("event stream: not subscribed".to_string());
        }
        for (name, state, _) in report.iter().skip(1) {
            if state.starts_with("failing") {
                missing.push(format!("{name}: {state}"));
            }
        }
        let spare_primes = self
            .spare_primes
            .lock()
            .expect("spare primes lock")
            .map(|since| since.elapsed().as_secs());
        Health {
            healthy: missing.is_empty(),
            missing,
            phase,
            phase_seconds,
            spare_primes,
            peers_connected,
            peers,
            event_stream: if connected {
                "connected"
            } else {
                "disconnected"
            },
            edges: report,
            last_height: self.last_height.get(),
        }
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("text encoding of gathered metrics");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// The party's view of its requests as `connector status` prints it, with at most `limit`
/// records: served on `/status` so that the command works while the connector holds its store.
pub type StatusPage = Arc<dyn Fn(usize) -> Result<String, String> + Send + Sync>;

#[derive(Clone)]
struct Pages {
    metrics: Arc<Metrics>,
    status: Option<StatusPage>,
}

/// An MPC run in progress (see [`Metrics::run_started`]); a run that is cancelled counts down
/// too.
pub struct InProgress<'a>(&'a IntGauge);

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A connector's readiness as `/readyz` and `/healthz` report it.
#[derive(Debug)]
pub struct Health {
    /// Ready to sign: `missing` is empty.
    pub healthy: bool,
    /// What keeps it from being ready, one line each.
    pub missing: Vec<String>,
    pub phase: Phase,
    /// Seconds in `phase`.
    pub phase_seconds: u64,
    /// Seconds spare Paillier primes have been made in the background, if they are (they do
    /// not keep the party from signing).
    pub spare_primes: Option<u64>,
    pub event_stream: &'static str,
    /// (edge, state, seconds since its last call).
    pub edges: Vec<(&'static str, String, Option<u64>)>,
    pub last_height: i64,
    /// Other parties with an authenticated connection up, of those configured.
    pub peers_connected: usize,
    pub peers: usize,
}

impl Health {
    pub fn to_json(&self) -> serde_json::Value {
        let edges: serde_json::Map<String, serde_json::Value> = self
            .edges
            .iter()
            .map(|(name, state, ago)| {
                (
                    name.to_string(),
                    serde_json::json!({ "state": state, "seconds_since_last_call": ago }),
                )
            })
            .collect();
        serde_json::json!({
            "ready": self.healthy,
            "healthy": self.healthy,
            "missing": self.missing,
            "phase": self.phase.name(),
            "phase_seconds": self.phase_seconds,
            "spare_primes": self.spare_primes.map(|seconds| {
                serde_json::json!({ "being_made_for_seconds": seconds })
            }),
            "event_stream": self.event_stream,
            "chain": edges,
            "last_height": self.last_height,
            "peers": { "connected": self.peers_connected, "configured": self.peers },
        })
    }
}

/// Serves `/metrics`, `/livez`, `/readyz`, `/healthz` and (given a page) `/status?limit=N` on
/// `listen` until `shutdown` turns true. Returns the bound address (useful with port 0).
pub async fn serve(
    listen: SocketAddr,
    metrics: Arc<Metrics>,
    status: Option<StatusPage>,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics_page))
        .route("/livez", get(live))
        .route("/readyz", get(health))
        .route("/healthz", get(health))
        .route("/status", get(status_page))
        .with_state(Pages { metrics, status });
    let task = tokio::spawn(async move {
        let stop = async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    return;
                }
            }
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "telemetry server failed");
        }
    });
    Ok((bound, task))
}

async fn metrics_page(State(pages): State<Pages>) -> String {
    pages.metrics.render()
}

#[derive(serde::Deserialize)]
struct StatusQuery {
    limit: Option<usize>,
}

async fn status_page(
    State(pages): State<Pages>,
    axum::extract::Query(query): axum::extract::Query<StatusQuery>,
) -> (StatusCode, String) {
    let Some(status) = pages.status else {
        return (StatusCode::NOT_FOUND, "no status page\n".into());
    };
    let limit = query.limit.unwrap_or(50);
    match tokio::task::spawn_blocking(move || status(limit)).await {
        Ok(Ok(text)) => (StatusCode::OK, text),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}

/// 200 while the process runs, whatever it is doing (making primes, cut off from the chain,
/// stopping): a failed probe means the process is gone or its runtime is stuck. The body names
/// the phase.
async fn live(State(pages): State<Pages>) -> (StatusCode, String) {
    let m = &pages.metrics;
    let body = serde_json::json!({
        "live": true,
        "phase": m.phase().name(),
        "uptime_seconds": m.born.elapsed().as_secs(),
    });
    (StatusCode::OK, format!("{body}\n"))
}

/// 200 while ready ([`Metrics::health`]), 503 otherwise; the body says what is missing.
async fn health(State(pages): State<Pages>) -> (StatusCode, String) {
    let health = pages.metrics.health();
    let code = if health.healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, format!("{}\n", health.to_json()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_in_the_text_format_with_the_party_label() {
        let m = Metrics::new("p1");
        m.request_seen("sign");
        m.run_finished("sign", 0.2);
        let text = m.render();
        assert!(text.contains("mpc_connector_requests_seen_total{kind=\"sign\",party=\"p1\"} 1"));
        assert!(
            text.contains("mpc_connector_mpc_round_seconds_count{kind=\"sign\",party=\"p1\"} 1")
        );
    }

    #[tokio::test]
    async fn healthz_follows_the_connection_and_metrics_are_served() {
        let m = Metrics::new("p2");
        let (_stop, shutdown) = watch::channel(false);
        let page: StatusPage = Arc::new(|limit| Ok(format!("{limit} records\n")));
        let (addr, _task) = serve(
            "127.0.0.1:0".parse().unwrap(),
            m.clone(),
            Some(page),
            shutdown,
        )
        .await
        .unwrap();
        assert_eq!(
            http_get(addr, "/status?limit=7").await,
            (200, "7 records\n".into())
        );
        let (code, body) = http_get(addr, "/healthz").await;
        assert_eq!(code, 503);
        assert!(body.contains("\"event_stream\":\"disconnected\""), "{body}");
        m.set_phase(Phase::Running);
        m.set_connected(true);
        assert_eq!(http_get(addr, "/healthz").await.0, 200);
        // A failing read makes it unhealthy and says why; the next good one heals it.
        let down = crate::chain::ChainError::Transport("gRPC: connection refused".into());
        m.chain_call(Edge::Reads, "query_smart", Some(&down));
        let (code, body) = http_get(addr, "/healthz").await;
        assert_eq!(code, 503);
        assert!(
            body.contains("failing: ") && body.contains("connection refused"),
            "{body}"
        );
        m.chain_call(Edge::Reads, "query_smart", None);
        assert_eq!(http_get(addr, "/healthz").await.0, 200);
        // Peers are reported, by count and per peer.
        m.peers(&[
            crate::mpc::PeerView {
                index: 1,
                connected: true,
                live: true,
                buffered_bytes: 10,
                last_message_at: Some(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
                ),
            },
            crate::mpc::PeerView {
                index: 2,
                connected: false,
                live: false,
                buffered_bytes: 0,
                last_message_at: None,
            },
        ]);
        let (_, body) = http_get(addr, "/healthz").await;
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(health["peers"]["connected"], 1, "{body}");
        assert_eq!(health["peers"]["configured"], 2, "{body}");
        let (_, page) = http_get(addr, "/metrics").await;
        assert!(
            page.contains("mpc_connector_peer_connected{peer=\"1\",party=\"p2\"} 1"),
            "{page}"
        );
        assert!(
            page.contains("mpc_connector_peer_live{peer=\"2\",party=\"p2\"} 0"),
            "{page}"
        );
        for line in [
            "mpc_connector_peer_last_message_timestamp_seconds{peer=\"1\",party=\"p2\"} 1700000000",
            "mpc_connector_peer_last_message_timestamp_seconds{peer=\"2\",party=\"p2\"} 0",
        ] {
            assert!(page.contains(line), "{line} in {page}");
        }
        m.account_balance(&cosmwasm_std::Coin::new(1_234_567u128, "ustake"));
        let (_, page) = http_get(addr, "/metrics").await;
        assert!(
            page.contains("mpc_connector_account_balance{denom=\"ustake\",party=\"p2\"} 1234567"),
            "{page}"
        );
        m.reconnected();
        let (status, body) = http_get(addr, "/metrics").await;
        assert_eq!(status, 200);
        assert!(body.contains("mpc_connector_reconnects_total{party=\"p2\"} 1"));
    }

    /// Serves `m` on a free port; the sender stops the server when dropped.
    async fn served(m: &Arc<Metrics>) -> (SocketAddr, watch::Sender<bool>) {
        let (stop, shutdown) = watch::channel(false);
        let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), m.clone(), None, shutdown)
            .await
            .unwrap();
        (addr, stop)
    }

    /// `/readyz` (and `/healthz`, the same) as JSON, with its status.
    async fn readyz(addr: SocketAddr) -> (u16, serde_json::Value) {
        let (code, body) = http_get(addr, "/readyz").await;
        let (alias_code, alias_body) = http_get(addr, "/healthz").await;
        assert_eq!(code, alias_code, "/healthz is an alias of /readyz");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        let alias: serde_json::Value = serde_json::from_str(&alias_body).unwrap();
        assert_eq!(json["missing"], alias["missing"]);
        (code, json)
    }

    fn missing(json: &serde_json::Value) -> Vec<String> {
        json["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect()
    }

    /// A fresh party: alive from the start, and not ready, saying why, until it has its primes,
    /// runs its loop and is subscribed to the chain's events.
    #[tokio::test]
    async fn livez_answers_from_the_start_and_readyz_says_what_is_missing() {
        let m = Metrics::new("p3");
        let (addr, _stop) = served(&m).await;

        let (code, body) = http_get(addr, "/livez").await;
        assert_eq!(code, 200);
        let live: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(live["phase"], "starting", "{body}");
        let (code, json) = readyz(addr).await;
        assert_eq!(code, 503);
        assert_eq!(json["ready"], false);
        let why = missing(&json);
        assert!(why[0].starts_with("engine: starting"), "{why:?}");
        assert!(
            why.contains(&"event stream: not subscribed".to_string()),
            "{why:?}"
        );

        // Making the first primes: alive, not ready, and the primes named.
        m.set_phase(Phase::MakingPrimes);
        let (code, body) = http_get(addr, "/livez").await;
        assert_eq!(code, 200);
        assert!(body.contains("\"phase\":\"making_primes\""), "{body}");
        let (code, json) = readyz(addr).await;
        assert_eq!(code, 503);
        assert_eq!(json["phase"], "making_primes");
        assert!(
            missing(&json)[0].starts_with("engine: making ECDSA Paillier primes"),
            "{json}"
        );

        // Running but not yet subscribed: only the event stream is missing.
        m.set_phase(Phase::Running);
        let (code, json) = readyz(addr).await;
        assert_eq!(code, 503);
        assert_eq!(missing(&json), vec!["event stream: not subscribed"]);

        // Subscribed: ready, also while spare primes are made in the background.
        m.set_connected(true);
        m.making_spare_primes(true);
        let (code, json) = readyz(addr).await;
        assert_eq!(code, 200, "{json}");
        assert_eq!(json["ready"], true);
        assert!(missing(&json).is_empty());
        assert!(
            json["spare_primes"]["being_made_for_seconds"].is_u64(),
            "{json}"
        );
        m.making_spare_primes(false);
        assert!(readyz(addr).await.1["spare_primes"].is_null());

        // A failing transaction makes it not ready, naming the edge and the error.
        let down = crate::chain::ChainError::Transport("broadcast: connection reset".into());
        m.chain_call(Edge::Transactions, "broadcast", Some(&down));
        let (code, json) = readyz(addr).await;
        assert_eq!(code, 503);
        let why = missing(&json);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(
            why[0].starts_with("transactions: failing") && why[0].contains("connection reset"),
            "{why:?}"
        );
        m.chain_call(Edge::Transactions, "broadcast", None);
        assert_eq!(readyz(addr).await.0, 200);

        // A stop: not ready any more, still alive until the process exits.
        m.set_phase(Phase::Stopping);
        let (code, json) = readyz(addr).await;
        assert_eq!(code, 503);
        assert_eq!(missing(&json), vec!["engine: stopping"]);
        assert_eq!(http_get(addr, "/livez").await.0, 200);
    }

    /// Minimal HTTP/1.0 GET, so the test needs no client library.
    async fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(format!("GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        let status = out[9..12].parse().unwrap();
        let body = out.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        (status, body)
    }
}
