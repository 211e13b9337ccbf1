//! `connector`: the per-party MPC connector daemon.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mpc_connector::cli::{dispatch, Cli};

/// How long the exit waits for blocking work nothing awaits any more: spare Paillier primes,
/// made in the background, take minutes of CPU and are kept only once complete, so a SIGTERM
/// must not wait for them (a service manager would SIGKILL the daemon first).
const EXIT_GRACE: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let cli = Cli::parse();
    mpc_connector::logging::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(dispatch(cli));
    runtime.shutdown_timeout(EXIT_GRACE);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
