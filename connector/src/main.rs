//! `connector`: the per-party MPC connector daemon.

use clap::Parser;
use mpc_connector::cli::{dispatch, Cli};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    mpc_connector::logging::init(cli.log_format);
    match dispatch(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
