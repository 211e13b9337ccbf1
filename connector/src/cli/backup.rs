//! `connector backup --config party.toml --out <dir>`: the party's progress store and share
//! folder (still encrypted) with a manifest, from the running connector (through its control
//! socket) or, when it is stopped, from its files. See [`crate::backup`].

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;

#[derive(Args, Debug)]
pub struct BackupArgs {
    #[arg(long)]
    pub config: PathBuf,
    /// A new (or empty) directory for the backup.
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn run(args: BackupArgs) -> super::anyhow_free::Result {
    let config = Config::load(&args.config).map_err(|e| e.to_string())?;
    let manifest = crate::backup::backup(&config, &args.out).await?;
    println!("backed up {}", manifest.describe());
    println!("into {}", args.out.display());
    for key in &manifest.keys {
        println!("  key share {key}");
    }
    println!(
        "A restore from it cannot sign with keys made after it: back up again after every key."
    );
    Ok(())
}
