//! `connector restore --config party.toml --from <dir> [--force]`: puts a backup's progress
//! store and share folder in the places the config names. Refuses while a connector of the
//! party runs, and over data the party holds unless `--force` (which moves it aside). See
//! [`crate::backup`].

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;

#[derive(Args, Debug)]
pub struct RestoreArgs {
    #[arg(long)]
    pub config: PathBuf,
    /// A directory written by `connector backup`.
    #[arg(long)]
    pub from: PathBuf,
    /// Replace the data the party holds (moved aside beside it, not deleted).
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: RestoreArgs) -> super::anyhow_free::Result {
    let config = Config::load(&args.config).map_err(|e| e.to_string())?;
    let restored = crate::backup::restore(&config, &args.from, args.force)?;
    println!("restored {}", restored.manifest.describe());
    for key in &restored.manifest.keys {
        println!("  key share {key}");
    }
    for aside in &restored.moved_aside {
        println!("moved aside: {}", aside.display());
    }
    if let Err(why) = &restored.secret_checked {
        println!("the share secret was not checked here ({why}): `connector run` checks it");
    }
    Ok(())
}
