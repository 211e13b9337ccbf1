//! The command line, one file per command (as Hermes' `commands/`).

pub mod backup;
pub mod config;
pub mod keys;
pub mod restore;
pub mod run;
pub mod status;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use futures::future::BoxFuture;

#[derive(Parser, Debug)]
#[command(
    name = "connector",
    version,
    about = "MPC connector: one per MPC party"
)]
pub struct Cli {
    /// `text` for a terminal, `json` (one object per line) for log collectors.
    #[arg(long, value_enum, global = true, default_value_t)]
    pub log_format: crate::logging::LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run this party's connector against a chain.
    Run(run::RunArgs),
    /// Make a party's chain account key and Noise transport identity.
    Keys(keys::KeysArgs),
    /// Configuration tools.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// What this party's local store has seen and done.
    Status(status::StatusArgs),
    /// Copy this party's progress store and (encrypted) shares into a new directory.
    Backup(backup::BackupArgs),
    /// Put a backup back in place (the party's connector stopped).
    Restore(restore::RestoreArgs),
}

/// The command as a future, for [`run_to_exit`]; the process exit code follows its result.
/// Called before the async runtime exists: what must happen while the process has one thread
/// happens here, not in the future — `run` reads its configuration and takes its share-store
/// secret out of the environment ([`crate::config::take_env`] says why).
pub fn dispatch(cli: Cli) -> BoxFuture<'static, anyhow_free::Result> {
    match cli.command {
        Command::Run(args) => match run::prepare(args) {
            Ok(prepared) => Box::pin(run::serve(prepared)),
            Err(e) => Box::pin(std::future::ready(Err(e))),
        },
        Command::Keys(args) => Box::pin(std::future::ready(keys::run(args))),
        Command::Config(command) => Box::pin(std::future::ready(config::run(command))),
        Command::Status(args) => Box::pin(status::run(args)),
        Command::Backup(args) => Box::pin(backup::run(args)),
        Command::Restore(args) => Box::pin(std::future::ready(restore::run(args))),
    }
}

/// How long a process's exit waits for blocking work nothing awaits any more: spare Paillier
/// primes, made in the background, take minutes of CPU and are kept only once complete, so a
/// stop must not wait for them (a service manager would SIGKILL the daemon first).
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// A binary's `main`: runs `command` on a new runtime, then exits without waiting for blocking
/// work left behind; an error is printed and fails the process.
pub fn run_to_exit(command: impl std::future::Future<Output = anyhow_free::Result>) -> ExitCode {
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
        .and_then(|runtime| {
            let result = runtime.block_on(command);
            runtime.shutdown_timeout(EXIT_GRACE);
            result
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Commands report failures as text; no error library needed.
pub mod anyhow_free {
    pub type Result = std::result::Result<(), String>;
}
