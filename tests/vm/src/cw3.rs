//! cw-plus `cw3-fixed-multisig` (the benchmark's reference), built by `scripts/build-wasm.sh --cw3`
//! outside the clone and driven with its JSON messages: no dependency on its crate.

use std::path::PathBuf;

use cosmwasm_std::Addr;
use serde_json::{json, Value};

use crate::chain::{CallError, Chain, Executed, Gas};

/// `$MPC_CW3_WASM`, or where the build script puts the reference for `variant`.
pub fn wasm_path(variant: &str) -> PathBuf {
    if let Some(path) = std::env::var_os("MPC_CW3_WASM") {
        return PathBuf::from(path);
    }
    let tools = std::env::var_os("MPC_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/mpc-tools")
        });
    tools.join(format!("cw3/artifacts/{variant}/cw3_fixed_multisig.wasm"))
}

/// A 2-of-3 fixed multisig: the closest equivalent of "request, one approval, result".
pub struct Multisig {
    pub address: Addr,
    pub voters: [Addr; 3],
}

impl Multisig {
    pub fn deploy(chain: &mut Chain, wasm: &[u8]) -> Result<(Self, Executed), CallError> {
        let code = chain.store_code(wasm)?;
        let voters = [
            chain.addr("voter-1"),
            chain.addr("voter-2"),
            chain.addr("voter-3"),
        ];
        let msg = json!({
            "voters": voters.iter().map(|v| json!({"addr": v, "weight": 1})).collect::<Vec<_>>(),
            "threshold": {"absolute_count": {"weight": 2}},
            "max_voting_period": {"height": 1000},
        });
        let sender = chain.addr("deployer");
        let (address, executed) = chain.instantiate(&code, &sender, &msg)?;
        Ok((Self { address, voters }, executed))
    }

    /// Proposes an empty proposal (the proposer's yes vote counts): its id.
    pub fn propose(&self, chain: &Chain) -> Result<(u64, Executed), CallError> {
        let msg = json!({"propose": {"title": "sign", "description": "a payload", "msgs": [], "latest": null}});
        let executed = chain.execute(&self.address, &self.voters[0], &msg, &[])?;
        let id = executed
            .response
            .attributes
            .iter()
            .find(|a| a.key == "proposal_id")
            .and_then(|a| a.value.parse().ok())
            .expect("proposal_id attribute");
        Ok((id, executed))
    }

    pub fn vote(
        &self,
        chain: &Chain,
        voter: &Addr,
        proposal_id: u64,
    ) -> Result<Executed, CallError> {
        let msg = json!({"vote": {"proposal_id": proposal_id, "vote": "yes"}});
        chain.execute(&self.address, voter, &msg, &[])
    }

    pub fn execute(&self, chain: &Chain, proposal_id: u64) -> Result<Executed, CallError> {
        let msg = json!({"execute": {"proposal_id": proposal_id}});
        chain.execute(&self.address, &self.voters[0], &msg, &[])
    }

    /// `ListProposals` page: the proposals and the query's gas.
    pub fn list(
        &self,
        chain: &Chain,
        start_after: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<Value>, Gas), CallError> {
        let msg = json!({"list_proposals": {"start_after": start_after, "limit": limit}});
        let (page, gas): (Value, Gas) = chain.query_with_gas(&self.address, &msg)?;
        let proposals = page["proposals"].as_array().cloned().unwrap_or_default();
        Ok((proposals, gas))
    }
}
