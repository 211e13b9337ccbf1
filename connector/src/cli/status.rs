//! `connector status --config party.toml`: what the party's local store says.

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;
use crate::store::{unix_now, Progress, Store};

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
        "party {} (keyring {}): {} seen, {} started, {} failed (to be retried), {} submitted, {} closed",
        config.party.name,
        config.keyring.id,
        summary.seen,
        summary.started,
        summary.failed,
        summary.submitted,
        summary.closed
    );
    for record in store.list(None, args.limit).map_err(|e| e.to_string())? {
        let progress = match &record.progress {
            Progress::Seen => "seen".to_string(),
            Progress::Started { attempts } => format!("started ({attempts} attempts)"),
            Progress::Failed {
                attempts,
                reason,
                retry_at,
            } => format!(
                "failed ({attempts} MPC attempts): {reason}; next try {}",
                next_try(*retry_at, unix_now())
            ),
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

/// When a failed request is driven again: by the running connector once due, else at its start.
fn next_try(retry_at: u64, now: u64) -> String {
    if retry_at > now {
        format!(
            "in {} s while the connector runs (or when it starts)",
            retry_at - now
        )
    } else {
        "due now while the connector runs (or when it starts)".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::next_try;

    #[test]
    fn the_next_try_says_when() {
        assert_eq!(
            next_try(1_030, 1_000),
            "in 30 s while the connector runs (or when it starts)"
        );
        assert!(next_try(1_000, 1_000).starts_with("due now"));
    }
}
