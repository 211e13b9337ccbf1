//! A one-validator wasmd chain on 127.0.0.1 for end-to-end tests.
//!
//! ```no_run
//! use mpc_localnet::Localnet;
//! # fn main() -> mpc_localnet::Result<()> {
//! let chain = Localnet::start(&["alice", "bob"])?;
//! let contract = chain.store_and_instantiate(
//!     "artifacts/mpc_workspace.wasm".as_ref(),
//!     &serde_json::json!({}),
//!     "workspace",
//! )?;
//! chain.execute("alice", &contract, &serde_json::json!({"create_workspace": {}}), None)?;
//! let alice_key: [u8; 32] = chain.account("alice")?.private_key(); // to sign in Rust
//! # Ok(()) }
//! ```
//!
//! The chain is wasmd (built and cached by `scripts/wasmd.sh`, or `$MPC_WASMD`), driven through
//! its CLI with the test keyring; transactions are broadcast in sync mode and confirmed through
//! CometBFT's `/tx` (kv indexer). Blocks come about every 0.3 s. Dropping the [`Localnet`] kills
//! the node and deletes its home directory (kept when `MPC_LOCALNET_KEEP` is set). A
//! [`TcpRelay`] puts a relay a test can cut in front of a port, a [`TlsProxy`] TLS in front of one.

mod error;
mod follower;
mod localnet;
mod persistent;
mod relay;
mod rpc;
mod tls_proxy;
mod toml_edit;
mod tx;
mod wasmd;

pub use error::{LocalnetError, Result};
pub use follower::Follower;
pub use localnet::{
    free_address, Account, Localnet, TxResult, ACCOUNT_BALANCE, BECH32_PREFIX, CHAIN_ID, DENOM,
    KEEP_HOME_ENV, VALIDATOR,
};
pub use relay::TcpRelay;
pub use rpc::http_get;
pub use tls_proxy::TlsProxy;
pub use tx::{Event, TxOutcome};
pub use wasmd::{wasmd_binary, WASMD_ENV};
