//! The per-party MPC connector: watches the contracts for pending key and signature requests of
//! its keyring, runs this party's side of DKG / threshold signing with the other parties, and
//! submits this party's own result from its own account. The embedded devnet, which runs N of
//! them in one process against cw-multi-test, is the crate `mpc-devnet` (`devnet/`, beside this crate).
//!
//! Layout, after Hermes: [`chain`] (the chain behind one trait), `event` (event source with
//! catch-up and reconnects), [`worker`] (one task per request, and the submitter),
//! [`telemetry`] (Prometheus + health), [`config`] (TOML), [`store`] (local progress),
//! `backup` (backup and restore of a party's data, through `control`, the running
//! connector's control socket), [`cli`] (one file per command), `secret_file` (key files only
//! their owner can read). The modules other crates use (the binaries, the devnet, the local
//! chain, the end-to-end tests) are public; the rest are this crate's own.

pub mod backoff;
mod backup;
pub mod chain;
pub mod cli;
pub mod config;
pub mod connector;
mod control;
mod event;
pub mod instance;
pub mod logging;
pub mod mpc;
pub mod progress;
pub mod request;
mod secret_file;
pub mod store;
pub mod telemetry;
pub mod worker;
