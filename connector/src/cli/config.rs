//! `connector config validate --config party.toml`

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Parse and check a config file; errors name the field.
    Validate(ValidateArgs),
}

#[derive(Args, Debug)]
pub struct ValidateArgs {
    #[arg(long)]
    pub config: PathBuf,
}

pub fn run(command: ConfigCommand) -> super::anyhow_free::Result {
    match command {
        ConfigCommand::Validate(args) => {
            let config = Config::load(&args.config).map_err(|e| e.to_string())?;
            config.check_files().map_err(|e| e.to_string())?;
            println!(
                "{}: valid (party {}, index {}, keyring {}, {} parties)",
                args.config.display(),
                config.party.name,
                config.mpc.index,
                config.keyring.id,
                config.mpc.peers.len()
            );
            Ok(())
        }
    }
}
