//! `devnet`: the embedded chain, N connectors over loopback TCP, and the scripted walk through
//! the seed's process, printed as it happens. Exit 0 when every request is fulfilled with
//! signatures that verify.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use mpc_devnet::{prepare_data_dir, walk, Devnet, DevnetOptions, WalkOptions};
use mpc_interfaces::KeyType;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KeyTypeArg {
    Ecdsa,
    Eddsa,
    Both,
}

/// One process: the embedded chain, N connectors over loopback TCP, and a scripted walk
/// through key and signature requests.
#[derive(Parser, Debug)]
#[command(name = "devnet", version)]
pub struct DevnetArgs {
    /// Format of the connectors' log file (`<data-dir>/connectors.log`): `text`, or `json`
    /// (one object per line) for log collectors.
    #[arg(long, value_enum, default_value_t)]
    pub log_format: mpc_connector::logging::LogFormat,
    #[arg(long, default_value_t = 3)]
    pub parties: usize,
    #[arg(long, default_value_t = 2)]
    pub threshold: u32,
    #[arg(long, value_enum, default_value_t = KeyTypeArg::Both)]
    pub key_type: KeyTypeArg,
    /// Signature requests per key (raw hashes or messages); a secp256k1 key gets one more, an
    /// Ethereum personal message the chain hashes itself.
    #[arg(long, default_value_t = 1)]
    pub requests: usize,
    /// Block time in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub block_ms: u64,
    /// Keep stores, shares and the (slow to make) ECDSA Paillier primes here between runs.
    #[arg(long, default_value = ".devnet")]
    pub data_dir: PathBuf,
}

/// The connectors' log, under the data directory: the terminal is for the walk (and warnings).
const LOG_FILE: &str = "connectors.log";

fn main() -> std::process::ExitCode {
    let args = DevnetArgs::parse();
    if let Err(e) = std::fs::create_dir_all(&args.data_dir) {
        eprintln!(
            "cannot create the data directory {}: {e}",
            args.data_dir.display()
        );
        return std::process::ExitCode::FAILURE;
    }
    let log = args.data_dir.join(LOG_FILE);
    if let Err(e) = mpc_connector::logging::init_to_file(args.log_format, &log) {
        eprintln!("{e}");
        return std::process::ExitCode::FAILURE;
    }
    println!(
        "connectors' logs: {} (warnings and errors also here)",
        log.display()
    );
    mpc_connector::cli::run_to_exit(run(args))
}

async fn run(args: DevnetArgs) -> Result<(), String> {
    let started = Instant::now();
    let progress = move |line: &str| {
        println!("[{:>7.2}s] {line}", started.elapsed().as_secs_f64());
    };
    let key_types = match args.key_type {
        KeyTypeArg::Ecdsa => vec![KeyType::EcdsaSecp256k1],
        KeyTypeArg::Eddsa => vec![KeyType::EddsaEd25519],
        KeyTypeArg::Both => vec![KeyType::EcdsaSecp256k1, KeyType::EddsaEd25519],
    };
    let mut options = DevnetOptions::new(prepare_data_dir(&args.data_dir, args.parties)?);
    options.parties = args.parties;
    options.threshold = args.threshold;
    options.block_time = std::time::Duration::from_millis(args.block_ms.max(1));
    options.display = mpc_connector::progress::Display::for_stderr();
    let devnet = Devnet::start(options, &progress)
        .await
        .map_err(|e| e.to_string())?;
    let result = walk(
        &devnet,
        &WalkOptions {
            key_types,
            requests: args.requests,
        },
        &progress,
    )
    .await;
    devnet.shutdown().await;
    let report = result.map_err(|e| format!("devnet walk failed: {e}"))?;
    progress(&format!(
        "done: {} keys, {} signature requests fulfilled and verified",
        report.keys.len(),
        report.fulfilled.len()
    ));
    Ok(())
}
