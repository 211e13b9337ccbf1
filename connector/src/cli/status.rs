//! `connector status --config party.toml`: what the party's local store says.

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;
use crate::store::{unix_now, Progress, ProgressStore};

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[arg(long)]
    pub config: PathBuf,
    /// Most records to list.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// Prints the party's view: from its store, or, while `connector run` holds the store, from
/// the running connector's `/status` page.
pub async fn run(args: StatusArgs) -> super::anyhow_free::Result {
    let config = Config::load(&args.config).map_err(|e| e.to_string())?;
    let text = match crate::instance::held(&config.party.store_path) {
        None => {
            let store = ProgressStore::open(&config.party.store_path).map_err(|e| e.to_string())?;
            render(&config, &store, args.limit)?
        }
        Some(holder) => from_running(&config, &holder, args.limit).await?,
    };
    print!("{text}");
    Ok(())
}

/// The running connector's view, read from its telemetry server.
async fn from_running(
    config: &Config,
    holder: &crate::instance::HeldBy,
    limit: usize,
) -> Result<String, String> {
    if !config.telemetry.enabled {
        return Err(format!(
            "{holder}, and its telemetry is off ([telemetry] enabled = false), so its status \
             cannot be read while it runs"
        ));
    }
    let url = format!("http://{}/status?limit={limit}", config.telemetry.listen);
    let failed = |e: String| format!("{holder}; reading its status from {url} failed: {e}");
    let response = reqwest::get(&url)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let code = response.status();
    let body = response.text().await.map_err(|e| failed(e.to_string()))?;
    if !code.is_success() {
        return Err(failed(format!("{code}: {}", body.trim())));
    }
    Ok(body)
}

/// The status text: a summary line, then one line per record (newest kinds first).
pub fn render(config: &Config, store: &ProgressStore, limit: usize) -> Result<String, String> {
    use std::fmt::Write;
    let summary = store.summary().map_err(|e| e.to_string())?;
    let mut out = format!(
        "party {} (keyring {}): {} seen, {} started, {} failed (to be retried), {} submitted, {} closed\n",
        config.party.name,
        config.keyring.id,
        summary.seen,
        summary.started,
        summary.failed,
        summary.submitted,
        summary.closed
    );
    for record in store.list(None, limit).map_err(|e| e.to_string())? {
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
        writeln!(out, "  {:<22} {progress}", record.request.to_string())
            .expect("writing to a string");
    }
    Ok(out)
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
