//! `connector run --config party.toml`: this party's connector against a real chain.

use std::path::PathBuf;

use clap::Args;

use crate::config::Config;

#[derive(Args, Debug)]
pub struct RunArgs {
    #[arg(long)]
    pub config: PathBuf,
}

/// Logged when SIGTERM stops the connector.
pub const SIGTERM_STOPPING: &str = "SIGTERM: stopping";

/// What `run` reads before the async runtime starts.
pub struct Prepared {
    config: Config,
    share_secret: mpc_party::StoreSecret,
}

/// Reads and checks the configuration and its files, and reads the share-store secret: an
/// environment variable that holds it is removed from the environment here, while the process
/// has one thread (see [`crate::config::take_env`]), so this runs before the async runtime.
pub fn prepare(args: RunArgs) -> Result<Prepared, String> {
    let config = Config::load(&args.config).map_err(|e| e.to_string())?;
    crate::logging::set_level(&config.log.level)?;
    config.check_files().map_err(|e| e.to_string())?;
    let share_secret = config.party.share_secret().map_err(|e| e.to_string())?;
    Ok(Prepared {
        config,
        share_secret,
    })
}

#[cfg(not(feature = "cosmos"))]
pub async fn serve(_prepared: Prepared) -> super::anyhow_free::Result {
    Err(
        "this connector was built without the `cosmos` feature: it has no chain client; \
         rebuild with `--features cosmos` (or try `scripts/devnet.sh`)"
            .into(),
    )
}

/// `connector run`: [`serve_with`] the real payload digests.
#[cfg(feature = "cosmos")]
pub async fn serve(prepared: Prepared) -> super::anyhow_free::Result {
    serve_with(prepared, crate::mpc::payload_digest).await
}

/// `connector run` with `payload_digest` computing the payloads' digests: a seam for the
/// end-to-end tests (a party that computes them differently), which the command line and the
/// configuration do not reach.
#[cfg(feature = "cosmos")]
pub async fn serve_with(
    prepared: Prepared,
    payload_digest: crate::worker::PayloadDigest,
) -> super::anyhow_free::Result {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    use crate::chain::cosmos::CosmosChain;
    use crate::chain::Chain;
    use crate::cli::keys::read_secret;
    use crate::connector::{self, Parts, Settings};
    use crate::mpc::party::{EngineConfig, PartyEngine};
    use crate::store::ProgressStore;
    use crate::telemetry::{self, Metrics, Phase};

    let Prepared {
        config,
        share_secret,
    } = prepared;
    // Before anything else: a second instance of this party must not touch its store or port.
    let _lock = crate::instance::InstanceLock::acquire(&config.party.store_path)
        .map_err(|e| e.to_string())?;
    let store = Arc::new(ProgressStore::open(&config.party.store_path).map_err(|e| e.to_string())?);
    let metrics = Metrics::new(&config.party.name);
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    // Telemetry from the start: `/livez` answers while the chain is reached and the first
    // primes are made (minutes), and `/readyz` says what the party still waits for.
    if config.telemetry.enabled {
        let status: telemetry::StatusPage = {
            let (config, store) = (config.clone(), store.clone());
            Arc::new(move |limit| crate::cli::status::render(&config, &store, limit))
        };
        let (addr, _) = telemetry::serve(
            config.telemetry.listen,
            metrics.clone(),
            Some(status),
            shutdown,
        )
        .await
        .map_err(|e| format!("telemetry.listen {}: {e}", config.telemetry.listen))?;
        tracing::info!(%addr, "telemetry on /metrics, /livez, /readyz, /healthz and /status");
    }
    // `connector backup` asks for a consistent copy of the store through it (the store's file
    // is this process's while it runs). Without it the party runs all the same.
    let _control = match crate::control::serve(&config.party.store_path, store.clone()) {
        Ok(control) => {
            tracing::info!(socket = %control.path().display(), "control socket for `connector backup`");
            Some(control)
        }
        Err(e) => {
            tracing::warn!(
                error = %e,
                socket = %crate::control::socket_path(&config.party.store_path).display(),
                "no control socket: `connector backup` cannot be taken while this connector runs"
            );
            None
        }
    };
    let secret = read_secret(&config.party.chain_key_file)?;
    let chain = CosmosChain::connect(&config.chain.cosmos, secret)
        .await
        .map_err(|e| format!("chain: {e}"))?;
    let me = config.me().clone();
    if chain.account() != me.chain_address {
        return Err(format!(
            "mpc.peers[index {}].chain_address is {}, but party.chain_key_file is the key of {}",
            me.index,
            me.chain_address,
            chain.account()
        ));
    }
    let mut peers_noise = Vec::new();
    for peer in &config.mpc.peers {
        let key: [u8; 32] = hex::decode(&peer.noise_public_key)
            .map_err(|e| e.to_string())?
            .try_into()
            .map_err(|_| "noise_public_key: 32 bytes".to_string())?;
        peers_noise.push((peer.index, peer.address.clone(), key));
    }
    let engine = PartyEngine::start(EngineConfig {
        me: config.mpc.index,
        listen: config.mpc.listen,
        noise_private_key: read_secret(&config.mpc.noise_key_file)?.into(),
        peers: peers_noise,
        shares_dir: config.party.shares_dir.clone(),
        share_secret,
        chain_id: config.chain.cosmos.chain_id.clone(),
        keyring_contract: config.contracts.keyring.clone(),
        keyring_id: config.keyring.id,
        only_peer_addresses: config.mpc.only_peer_addresses,
        timeout: config.mpc.timeout,
        max_attempts: config.worker.max_attempts,
    })
    .await
    .map_err(|e| format!("MPC transport: {e}"))?;
    // Paillier primes take tens of seconds to minutes of CPU; made before the first key request
    // would otherwise wait for them inside an MPC step's timeout. Kept in the share store until
    // an aux run uses them.
    let engine = Arc::new(engine);
    let has_aux = engine.has_ecdsa_aux().map_err(|e| format!("shares: {e}"))?;
    let has_primes = engine
        .has_ecdsa_primes()
        .map_err(|e| format!("shares: {e}"))?;
    if !has_aux && !has_primes {
        tracing::info!("making ECDSA Paillier primes (once; kept in party.shares_dir)");
        metrics.set_phase(Phase::MakingPrimes);
        let jobs = vec![(config.party.name.clone(), engine.prepare_ecdsa())];
        let log = |line: &str| tracing::info!("{line}");
        crate::progress::track(
            "Paillier primes",
            jobs,
            crate::progress::Display::Lines,
            &log,
        )
        .await
        .map_err(|e| format!("ECDSA primes: {e}"))?;
    } else if !has_primes {
        // A spare set, made in the background: aux info is made again when the parties find
        // they hold different ones (one lost it), and then every party needs primes at once.
        // A stop does not wait for it (`cli::run_to_exit`): the set is kept only once complete.
        // The party signs meanwhile, so it does not keep `/readyz` from 200.
        metrics.making_spare_primes(true);
        let (engine, metrics) = (engine.clone(), metrics.clone());
        tokio::spawn(async move {
            if let Err(e) = engine.make_spare_primes().await {
                tracing::warn!(error = %e, "cannot make spare ECDSA Paillier primes");
            }
            metrics.making_spare_primes(false);
        });
    }
    let peers: BTreeMap<String, u16> = config
        .mpc
        .peers
        .iter()
        .map(|p| (p.chain_address.clone(), p.index))
        .collect();
    let mut running = connector::start(Parts {
        chain: Arc::new(chain),
        contracts: config.contracts.clone(),
        keyring_id: config.keyring.id,
        peers,
        engine,
        store,
        metrics: metrics.clone(),
        settings: {
            let mut settings = Settings::from_config(&config, Duration::from_secs(1));
            settings.worker.payload_digest = payload_digest;
            settings
        },
    });
    tracing::info!(party = %config.party.name, keyring = config.keyring.id, "connector running");
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
    // Either signal stops it the same way: no new work, the key generations in progress finish
    // (at most 30 s: a DKG stopped in its last round would leave the others with a key whose
    // share this party never stored), the other tasks end, the submitter finishes what it
    // holds. What is unanswered stays in the store (answers are saved before they are sent),
    // so the next start picks it up.
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping"),
        _ = terminate.recv() => tracing::info!("{SIGTERM_STOPPING}"),
        _ = running.wait() => {}
    }
    metrics.set_phase(Phase::Stopping);
    let _ = stop.send(true);
    running.stop_finishing_key_generations().await;
    tracing::info!("stopped");
    Ok(())
}
