//! `connector`: the per-party MPC connector daemon.

use clap::Parser;
use mpc_connector::cli::{dispatch, run_to_exit, Cli};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    mpc_connector::logging::init(cli.log_format);
    run_to_exit(dispatch(cli))
}
