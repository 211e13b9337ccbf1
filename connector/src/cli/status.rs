//! `connector status --config party.toml`: what the party's local store says.

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;
use crate::store::{Progress, Store};

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[arg(long)]
    pub config: PathBuf,
    /// Most records to list.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

pub fn run(args: StatusArgs) -> super::anyhow_free::Result {
    let config = Config::load(&args.config).map_err(|e| e.to_string())?;
    let store = Store::open(&config.party.store_path).map_err(|e| e.to_string())?;
    let summary = store.summary().map_err(|e| e.to_string())?;
    println!(
        "party {} (keyring {}): {} seen, {} started, {} submitted, {} closed",
        config.party.name,
        config.keyring.id,
        summary.seen,
        summary.started,
        summary.submitted,
        summary.closed
    );
    for record in store.list(None, args.limit).map_err(|e| e.to_string())? {
        let progress = match &record.progress {
            Progress::Seen => "seen".to_string(),
            Progress::Started { attempts } => format!("started ({attempts} attempts)"),
            Progress::Submitted {
                tx_hash,
                height,
                success,
            } => format!(
                "submitted {} at height {height} {tx_hash}",
                if *success { "a result" } else { "a failure" }
            ),
            Progress::Closed { reason } => format!("closed: {reason}"),
        };
        println!("  {:<22} {progress}", record.request.to_string());
    }
    Ok(())
}
