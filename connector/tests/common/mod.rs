//! Shared setup of the devnet tests.

use std::path::PathBuf;
use std::time::Duration;

use mpc_connector::devnet::{prepare_data_dir, Devnet, DevnetOptions};

/// A devnet whose data lives under the test target directory, so the ECDSA Paillier primes and
/// aux info made by the first run are reused by later ones (they take tens of seconds to make).
pub async fn devnet(name: &str, parties: usize, threshold: u32) -> Devnet {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("devnet-{name}"));
    let mut options = DevnetOptions::new(prepare_data_dir(&base, parties).unwrap());
    options.parties = parties;
    options.threshold = threshold;
    options.block_time = Duration::from_millis(50);
    options.mpc_timeout = Duration::from_secs(10);
    options.adopt_wait_blocks = 200;
    options.request_timeout = Duration::from_secs(240);
    Devnet::start(options, &print).await.unwrap()
}

pub fn print(line: &str) {
    println!("{line}");
}
