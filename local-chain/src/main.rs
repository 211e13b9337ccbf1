//! `local-chain`: a real chain for dApp development, in one command. wasmd with the workspace,
//! keyring and signature-requests contracts, a keyring of three `connector run` parties (2 of
//! 3), funded test accounts, REST and CORS for browsers. Prints the endpoints, contracts and
//! accounts and writes them to `<data dir>/local-chain.json`; the data directory is kept, so a
//! second start resumes the same chain. Ctrl-C stops the connectors and wasmd.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mpc_local_chain::connectors::sibling_binary;
use mpc_local_chain::deploy::artifacts_dir;
use mpc_local_chain::session::{Options, Session, StartError};
use mpc_local_chain::signals::Signals;

#[derive(Parser)]
#[command(
    version,
    about = "A local wasmd chain with the MPC contracts and three real connectors"
)]
struct Cli {
    /// Where the chain, the connectors' stores and logs and local-chain.json live; kept, so a
    /// later start resumes the same chain.
    #[arg(long, default_value = ".local-chain")]
    data_dir: PathBuf,
    /// The `connector` binary [default: the one built beside this binary].
    #[arg(long)]
    connector: Option<PathBuf>,
    /// The compiled contracts (scripts/build-wasm.sh) [default: the repository's artifacts/].
    #[arg(long)]
    artifacts: Option<PathBuf>,
    /// Keep the contracts this chain was set up with when the artifacts changed since (by
    /// default the new ones are deployed on the same chain and the connectors move to them).
    #[arg(long)]
    keep_contracts: bool,
}

fn main() -> ExitCode {
    // First, before any thread: Ctrl-C is taken by the main loop, not by a default handler.
    let signals = Signals::block();
    let cli = Cli::parse();
    match run(cli, &signals) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-chain: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, signals: &Signals) -> Result<(), String> {
    let options = options(cli)?;
    let mut session = match Session::start(&options, signals) {
        Ok(session) => session,
        Err(StartError::Interrupted(signal)) => {
            eprintln!("local-chain: {signal} while starting: stopped");
            return Ok(());
        }
        Err(StartError::Failed(e)) => return Err(e),
    };
    println!("{}", session.info.summary());
    println!("written to {}", session.info_path.display());
    println!("Ctrl-C stops the chain and the connectors (the data directory is kept).");
    for party in &session.parties {
        mpc_local_chain::logs::forward_warnings(party.name.clone(), party.log.clone());
    }
    let signal = loop {
        if let Some(signal) = signals.wait(Duration::from_secs(1)) {
            break signal;
        }
        if let Err(e) = session.check_running() {
            session.stop();
            return Err(e);
        }
    };
    eprintln!("local-chain: {signal}: stopping the connectors and wasmd");
    let clean = session.stop();
    eprintln!(
        "local-chain: stopped{}",
        if clean {
            ""
        } else {
            " (some killed after the wait)"
        }
    );
    Ok(())
}

/// The flags resolved, each error naming its flag.
fn options(cli: Cli) -> Result<Options, String> {
    std::fs::create_dir_all(&cli.data_dir)
        .map_err(|e| format!("--data-dir {}: {e}", cli.data_dir.display()))?;
    let data_dir = cli
        .data_dir
        .canonicalize()
        .map_err(|e| format!("--data-dir {}: {e}", cli.data_dir.display()))?;
    let connector = match cli.connector {
        Some(path) if path.is_file() => path,
        Some(path) => return Err(format!("--connector {}: no such file", path.display())),
        None => sibling_binary("connector").ok_or(
            "no connector binary beside this one: build it (cargo build -p mpc-connector) or \
             pass --connector",
        )?,
    };
    let artifacts = cli.artifacts.unwrap_or_else(artifacts_dir);
    if !artifacts.is_dir() {
        return Err(format!(
            "--artifacts {}: no such directory (scripts/build-wasm.sh builds it)",
            artifacts.display()
        ));
    }
    Ok(Options {
        data_dir,
        connector,
        artifacts,
        keep_contracts: cli.keep_contracts,
    })
}
