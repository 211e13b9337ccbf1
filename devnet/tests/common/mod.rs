//! Shared setup of the devnet tests.

use std::path::PathBuf;
use std::time::Duration;

use mpc_devnet::{prepare_data_dir, Devnet, DevnetOptions};

/// Devnets of one test binary run one at a time: they share a data directory, so that the ECDSA
/// Paillier primes and aux info made by the first run (minutes of CPU) are reused by the others.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A devnet whose data lives under the test target directory (see [`ONE_AT_A_TIME`]); hold the
/// guard for the test's duration.
pub async fn devnet(
    parties: usize,
    threshold: u32,
) -> (tokio::sync::MutexGuard<'static, ()>, Devnet) {
    let guard = ONE_AT_A_TIME.lock().await;
    // The connectors' logs, when asked for (`RUST_LOG=info cargo test ...`).
    if std::env::var_os("RUST_LOG").is_some() {
        mpc_connector::logging::init(mpc_connector::logging::LogFormat::Text);
    }
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("devnet-{parties}-of"));
    let mut options = DevnetOptions::new(prepare_data_dir(&base, parties).unwrap());
    options.parties = parties;
    options.threshold = threshold;
    options.block_time = Duration::from_millis(50);
    options.mpc_timeout = Duration::from_secs(10);
    options.request_timeout = Duration::from_secs(240);
    (guard, Devnet::start(options, &print).await.unwrap())
}

pub fn print(line: &str) {
    println!("{line}");
}
