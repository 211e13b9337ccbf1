//! What the local chain tells its users, as the JSON file clients read (`MPC_LOCAL_CHAIN_JSON`
//! of `packages/client-ts`, whose `QuickstartConfig` is a subset) and as text for a person.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalChainInfo {
    pub chain_id: String,
    /// CometBFT RPC (cosmjs `connect`), CORS open.
    pub rpc: String,
    /// CometBFT websocket, for event subscriptions.
    pub websocket: String,
    /// Cosmos SDK REST API (LCD), CORS open.
    pub rest: String,
    pub grpc: String,
    pub prefix: String,
    pub denom: String,
    /// For cosmjs `GasPrice.fromString`.
    pub gas_price: String,
    pub contracts: ContractAddresses,
    pub keyring_id: u64,
    /// The two workspace owners' mnemonics (the first two of `accounts`).
    pub mnemonics: Vec<String>,
    pub accounts: Vec<TestAccount>,
    /// Process ids, to check that a stop left nothing behind.
    pub pids: Pids,
    /// Every port the chain and the connectors listen on.
    pub ports: Vec<u16>,
    /// The node's and the connectors' logs.
    pub logs: Vec<PathBuf>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractAddresses {
    pub workspace: String,
    pub keyring: String,
    pub signature_requests: String,
}

/// A funded account for a dApp's users.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestAccount {
    pub name: String,
    pub address: String,
    pub mnemonic: String,
    pub private_key_hex: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Pids {
    pub wasmd: u32,
    pub connectors: Vec<u32>,
}

impl LocalChainInfo {
    /// The text a person reads once everything is up.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "chain id    {}\nRPC         {}\nwebsocket   {}\nREST        {}\ngRPC        {}\n\
             gas price   {} (bech32 prefix {})\n\ncontracts\n  workspace           {}\n  \
             keyring             {}\n  signature-requests  {}\nkeyring id  {} (3 parties, \
             threshold 2)\n\naccounts (funded with {})\n",
            self.chain_id,
            self.rpc,
            self.websocket,
            self.rest,
            self.grpc,
            self.gas_price,
            self.prefix,
            self.contracts.workspace,
            self.contracts.keyring,
            self.contracts.signature_requests,
            self.keyring_id,
            self.denom,
        );
        for account in &self.accounts {
            out.push_str(&format!(
                "  {:<6} {}\n         mnemonic     {}\n         private key  {}\n",
                account.name, account.address, account.mnemonic, account.private_key_hex
            ));
        }
        out.push_str("\nlogs\n");
        for log in &self.logs {
            out.push_str(&format!("  {}\n", log.display()));
        }
        out
    }
}
