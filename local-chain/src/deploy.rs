//! The three contracts on a chain: uploaded from `artifacts/` and instantiated with their
//! defaults, and a keyring created over the parties' accounts.

use std::path::{Path, PathBuf};

use mpc_connector::config::Contracts;
use mpc_interfaces::events;
use mpc_interfaces::keyring::{ExecuteMsg as KeyringExecute, InstantiateMsg as KeyringInstantiate};
use mpc_interfaces::signature_requests::InstantiateMsg as SignatureInstantiate;
use mpc_interfaces::workspace::InstantiateMsg as WorkspaceInstantiate;
use mpc_localnet::{Localnet, TxOutcome};

use crate::{context, Result};

/// The repository's `artifacts/` (the compiled contracts, `scripts/build-wasm.sh`).
pub fn artifacts_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts");
    dir.canonicalize().unwrap_or(dir)
}

/// Uploads and instantiates the three contracts from `artifacts` (the validator pays).
pub fn deploy(chain: &Localnet, artifacts: &Path) -> Result<Contracts> {
    let workspace = chain
        .store_and_instantiate(
            &artifact(artifacts, "mpc_workspace.wasm")?,
            &WorkspaceInstantiate {
                action_timeout_blocks: None,
            },
            "mpc-workspace",
        )
        .map_err(context("workspace contract"))?;
    let keyring = chain
        .store_and_instantiate(
            &artifact(artifacts, "mpc_keyring.wasm")?,
            &KeyringInstantiate {
                workspace_contract: workspace.clone(),
                key_request_timeout_blocks: None,
            },
            "mpc-keyring",
        )
        .map_err(context("keyring contract"))?;
    let signature_requests = chain
        .store_and_instantiate(
            &artifact(artifacts, "mpc_signature_requests.wasm")?,
            &SignatureInstantiate {
                workspace_contract: workspace.clone(),
                keyring_contract: keyring.clone(),
                approval_timeout_blocks: None,
                mpc_timeout_blocks: None,
            },
            "mpc-signature-requests",
        )
        .map_err(context("signature-requests contract"))?;
    Ok(Contracts {
        workspace,
        keyring,
        signature_requests,
    })
}

/// A wasm file of `dir`, or an error that says how to build it.
pub fn artifact(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is missing: run scripts/build-wasm.sh first",
            path.display()
        ))
    }
}

/// `admin` creates a keyring of `parties` (account addresses) with `threshold` and `fee` per
/// key and per signature request; returns its id.
pub fn create_keyring(
    chain: &Localnet,
    admin: &str,
    keyring_contract: &str,
    parties: Vec<String>,
    threshold: u32,
    fee: Vec<cosmwasm_std::Coin>,
) -> Result<u64> {
    let created = chain
        .execute(
            admin,
            keyring_contract,
            &KeyringExecute::CreateKeyring {
                description: "local chain".into(),
                parties,
                party_threshold: threshold,
                key_req_fee: fee.clone(),
                sig_req_fee: fee,
            },
            None,
        )
        .map_err(context("create keyring"))?;
    event_id(&created, events::KEYRING_EVENT, events::attr::KEYRING_ID)
}

/// The numeric `attribute` of the contract event `kind` in a transaction.
pub fn event_id(outcome: &TxOutcome, kind: &str, attribute: &str) -> Result<u64> {
    let kind = format!("wasm-{kind}");
    outcome
        .attribute(&kind, attribute)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no {attribute} in a {kind} event of tx {}", outcome.txhash))
}
