//! Runs the built contract artifacts (artifacts/*.wasm, made by scripts/build-wasm.sh) in the real
//! CosmWasm VM: the static checks a chain makes on upload, a full request flow with routed
//! cross-contract queries, and gas measurement. Deliberately independent of the contract crates:
//! what is tested is the wasm a chain would receive.

pub mod chain;
pub mod cw3;
pub mod storage;
pub mod suite;

use std::path::{Path, PathBuf};

pub use chain::{CallError, Chain, Executed, Gas};

/// The three contracts, by artifact file stem.
pub const CONTRACTS: [&str; 3] = ["mpc_workspace", "mpc_keyring", "mpc_signature_requests"];

/// Folder of the chain-ready artifacts: `$MPC_ARTIFACTS_DIR`, or `artifacts/` of this clone.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("MPC_ARTIFACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../artifacts"))
}

/// Reads `artifacts/<stem>.wasm`, saying how to make it when it is missing.
pub fn read_artifact(stem: &str) -> Vec<u8> {
    read_artifact_in(&artifacts_dir(), stem)
}

pub fn read_artifact_in(dir: &Path, stem: &str) -> Vec<u8> {
    let path = dir.join(format!("{stem}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; build the artifacts with scripts/build-wasm.sh",
            path.display()
        )
    })
}
