//! Logs: text for a person at a terminal (colour only there), JSON lines for collectors
//! (`--log-format json`). The level is `RUST_LOG` when set, else the config's `[log] level`
//! once a command has read its config, else `info`.

use std::sync::OnceLock;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

/// `--log-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

pub const DEFAULT_LEVEL: &str = "info";

static LEVEL: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

/// Installs the global subscriber (once per process).
pub fn init(format: LogFormat) {
    let from_env = EnvFilter::try_from_default_env().ok();
    let (filter, handle) =
        reload::Layer::new(from_env.unwrap_or_else(|| EnvFilter::new(DEFAULT_LEVEL)));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match format {
        LogFormat::Json => registry.with(fmt.json()).try_init(),
        // Colour only for a person at a terminal: log files and collectors get plain text.
        LogFormat::Text => registry
            .with(fmt.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())))
            .try_init(),
    };
    if installed.is_ok() && std::env::var_os("RUST_LOG").is_none() {
        let _ = LEVEL.set(handle);
    }
}

/// Installs the global subscriber for a process whose terminal is for its own progress (the
/// devnet): every log line at `RUST_LOG`'s level (default `info`) goes to `file` (created or
/// appended to), and only warnings and errors also to stderr.
pub fn init_to_file(format: LogFormat, file: &std::path::Path) -> Result<(), String> {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::Layer;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .map_err(|e| format!("cannot open the log file {}: {e}", file.display()))?;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LEVEL));
    let to_file = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log));
    let to_file = match format {
        LogFormat::Json => to_file.json().with_filter(filter).boxed(),
        LogFormat::Text => to_file.with_filter(filter).boxed(),
    };
    let to_terminal = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(LevelFilter::WARN);
    tracing_subscriber::registry()
        .with(to_file)
        .with(to_terminal)
        .try_init()
        .map_err(|e| format!("logging: {e}"))
}

/// Applies the config's level, unless `RUST_LOG` chose one. The error names the field.
pub fn set_level(level: &str) -> Result<(), String> {
    let filter = parse_level(level)?;
    if let Some(handle) = LEVEL.get() {
        handle
            .reload(filter)
            .map_err(|e| format!("log.level: {e}"))?;
    }
    Ok(())
}

/// A level (`info`) or a full filter (`info,mpc_connector=debug`).
pub fn parse_level(level: &str) -> Result<EnvFilter, String> {
    EnvFilter::try_new(level).map_err(|e| format!("log.level: {level:?} is not a log filter: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_filters_parse_and_garbage_names_the_field() {
        assert!(parse_level("debug").is_ok());
        assert!(parse_level("info,mpc_connector::worker=trace").is_ok());
        let error = parse_level("loud=[").unwrap_err();
        assert!(error.starts_with("log.level"), "{error}");
    }
}
