//! Prometheus metrics and the health endpoint (as Hermes' telemetry service): `/metrics` in the
//! Prometheus text format and `/healthz`, over a small axum server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use tokio::sync::watch;

/// One connector's metrics, in their own registry (the devnet runs several connectors in one
/// process).
pub struct Metrics {
    pub registry: Registry,
    /// Pending requests handed to the worker, by kind (`key`, `sign`).
    pub requests_seen: IntCounterVec,
    /// MPC runs started, by kind.
    pub requests_started: IntCounterVec,
    /// Requests this party answered successfully on chain, by kind.
    pub requests_fulfilled: IntCounterVec,
    /// Requests this party answered with a failure or gave up on, by kind.
    pub requests_failed: IntCounterVec,
    /// Drives of a request started again after a failed one, by kind.
    pub requests_retried: IntCounterVec,
    /// Duration of one MPC run (DKG or signing), by kind.
    pub mpc_latency: HistogramVec,
    /// Failed MPC runs that named a party as the culprit, by the party's transport index.
    pub mpc_blamed: IntCounterVec,
    /// Transactions that failed, by reason (`transport`, `rejected`, `out_of_gas`, ...).
    pub tx_errors: IntCounterVec,
    /// Reconnects of the event source.
    pub reconnects: IntCounter,
    /// MPC runs in progress.
    pub in_flight: IntGauge,
    /// Set while the event source is subscribed; `/healthz` reports it.
    pub connected: AtomicBool,
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
        let requests_seen = counter("requests_seen_total", "Pending requests seen", &["kind"]);
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
        let in_flight =
            IntGauge::new("mpc_in_flight", "MPC runs in progress").expect("valid metric");
        registry
            .register(Box::new(in_flight.clone()))
            .expect("registered once");
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
            in_flight,
            connected: AtomicBool::new(false),
        })
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

/// Serves `/metrics` and `/healthz` on `listen` until `shutdown` turns true. Returns the bound
/// address (useful with port 0).
pub async fn serve(
    listen: SocketAddr,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics_page))
        .route("/healthz", get(health))
        .with_state(metrics);
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

async fn metrics_page(State(metrics): State<Arc<Metrics>>) -> String {
    metrics.render()
}

/// 200 while the event source is connected to the chain, 503 otherwise.
async fn health(State(metrics): State<Arc<Metrics>>) -> (StatusCode, &'static str) {
    if metrics.connected.load(Ordering::SeqCst) {
        (StatusCode::OK, "ok\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not connected to the chain\n",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_in_the_text_format_with_the_party_label() {
        let m = Metrics::new("p1");
        m.requests_seen.with_label_values(&["sign"]).inc();
        m.mpc_latency.with_label_values(&["sign"]).observe(0.2);
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
        let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), m.clone(), shutdown)
            .await
            .unwrap();
        assert_eq!(http_get(addr, "/healthz").await.0, 503);
        m.connected.store(true, Ordering::SeqCst);
        assert_eq!(http_get(addr, "/healthz").await.0, 200);
        m.reconnects.inc();
        let (status, body) = http_get(addr, "/metrics").await;
        assert_eq!(status, 200);
        assert!(body.contains("mpc_connector_reconnects_total{party=\"p2\"} 1"));
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
