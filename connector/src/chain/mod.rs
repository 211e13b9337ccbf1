//! The chain, behind one trait (as Hermes' `ChainEndpoint`): everything the connector needs from
//! a chain — queries, batched transactions from this party's account, and a stream of contract
//! events. Two implementations: `cosmos` (a real Cosmos SDK chain with x/wasm over CometBFT
//! RPC + gRPC) and the devnet's embedded chain (cw-multi-test, crate `mpc-devnet`).

/// The real Cosmos SDK chain client. Built with the `cosmos` feature (it pulls cosmrs, tonic and
/// tendermint-rpc, which the devnet and the tests do not need).
///
/// Surface the rest of the connector uses (see `config.rs` and `cli/run.rs`):
/// - `cosmos::CosmosConfig`: `serde::Deserialize` + `Clone` + `Debug`, the `[chain.cosmos]` table of
///   the party's TOML (rpc / grpc endpoints, chain id, account prefix, gas price, gas multiplier,
///   gas cap, ...), with `fn validate(&self) -> Result<(), String>` whose error names the field.
/// - `cosmos::CosmosChain::connect(config: &CosmosConfig, secret_key: [u8; 32]) -> Result<CosmosChain, ChainError>`
///   (the party's secp256k1 account key, as written by `connector keys`), and `CosmosChain: Chain`.
#[cfg(feature = "cosmos")]
pub mod cosmos;
pub mod metered;

use futures::stream::BoxStream;
use serde::{de::DeserializeOwned, Serialize};

/// What the connector asks of a chain. Implementations are shared between tasks (`Arc<dyn Chain>`).
#[async_trait::async_trait]
pub trait Chain: Send + Sync + 'static {
    /// Address of this party's account on the chain (the party address registered on the keyring).
    fn account(&self) -> &str;

    /// Height of the latest committed block.
    async fn latest_height(&self) -> Result<u64, ChainError>;

    /// Smart query of a contract; `msg` is the JSON query, the answer is the JSON response.
    async fn query_smart(&self, contract: &str, msg: &[u8]) -> Result<Vec<u8>, ChainError> {
        self.query_smart_at_least(contract, msg, 0).await
    }

    /// [`Chain::query_smart`] of state at height `min_height` or later: a node that answers
    /// from an older block (one behind the node whose event announced the request) gives
    /// [`ChainError::Behind`]. A chain that cannot tell its answer's height answers as
    /// `query_smart`.
    async fn query_smart_at_least(
        &self,
        contract: &str,
        msg: &[u8],
        min_height: u64,
    ) -> Result<Vec<u8>, ChainError>;

    /// This party's account balance in the denom it pays its answers' fees in; `None` on a
    /// chain without fees (the devnet).
    async fn fee_balance(&self) -> Result<Option<cosmwasm_std::Coin>, ChainError>;

    /// One transaction from this party's account carrying several execute messages (batching).
    /// The implementation owns the account sequence (refreshes it and retries once on a
    /// mismatch) and simulates gas: the limit is the simulation times a multiplier, and at least
    /// the simulation plus the calls' [`ContractCall::gas_reserve`], within a cap. The transaction is atomic:
    /// if one message is refused, none applies and the error is [`ChainError::Rejected`].
    async fn execute(&self, calls: Vec<ContractCall>) -> Result<TxOutcome, ChainError>;

    /// A stream of the contracts' custom events from now on. It ENDS (yields `None`) when the
    /// connection drops; the event source (`crate::event`) reconnects and catches up by paging.
    async fn subscribe(
        &self,
        contracts: Vec<String>,
    ) -> Result<BoxStream<'static, ChainEvent>, ChainError>;
}

/// One execute message of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractCall {
    /// Bech32 address of the contract.
    pub contract: String,
    /// The JSON `ExecuteMsg`.
    pub msg: Vec<u8>,
    /// Funds sent along with the message.
    pub funds: Vec<cosmwasm_std::Coin>,
    /// Gas the message may need beyond what its simulation used: a simulation sees today's
    /// state, but the message may execute after others in the same block and take a longer path
    /// (an answer that completes the threshold settles the request and runs its callback).
    pub gas_reserve: u64,
}

impl ContractCall {
    /// A call without funds, serialising `msg` to JSON.
    pub fn new<M: Serialize>(contract: impl Into<String>, msg: &M) -> Result<Self, ChainError> {
        Ok(Self {
            contract: contract.into(),
            msg: serde_json::to_vec(msg).map_err(|e| ChainError::Decode(e.to_string()))?,
            funds: vec![],
            gas_reserve: 0,
        })
    }

    /// The same call with `gas` reserved beyond its simulation.
    pub fn with_gas_reserve(self, gas: u64) -> Self {
        Self {
            gas_reserve: gas,
            ..self
        }
    }
}

/// What a committed transaction reports back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    pub tx_hash: String,
    pub height: u64,
    pub gas_used: u64,
}

/// A custom contract event (`wasm-<kind>`) of a committed transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainEvent {
    pub height: u64,
    /// Address of the emitting contract (`_contract_address`).
    pub contract: String,
    /// The event type without the `wasm-` prefix, e.g. `signature_request`.
    pub kind: String,
    /// The event's attributes in order (without `_contract_address`).
    pub attributes: Vec<(String, String)>,
}

impl ChainEvent {
    /// Value of the first attribute called `key`.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a chain call failed. [`ChainError::is_retryable`] tells the submitter whether to try again.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// The node could not be reached or the connection broke: retryable.
    #[error("transport: {0}")]
    Transport(String),
    /// The account sequence moved under us (another tx from the same account). The
    /// implementation already refreshed and retried once; retryable.
    #[error("account sequence mismatch: expected {expected}, got {got}")]
    SequenceMismatch { expected: u64, got: u64 },
    /// The chain or the contract refused the transaction or query: not retryable.
    #[error("rejected (code {code}): {log}")]
    Rejected { code: u32, log: String },
    /// A response could not be decoded, or a message not encoded.
    #[error("decode: {0}")]
    Decode(String),
    /// The transaction was broadcast but not seen in a block in time: retryable (the contract
    /// refuses a second answer from the same party, which the submitter counts as done).
    #[error("timed out waiting for the chain")]
    Timeout,
    /// Simulated gas above the configured cap.
    #[error("gas {wanted} above the cap {cap}")]
    GasCap { wanted: u64, cap: u64 },
    /// The transaction ran out of gas in the block (its limit was `wanted`): state differed from
    /// the simulation's. Retryable: simulated again and sent with more gas.
    #[error("out of gas: gas wanted {wanted}, used {used}")]
    OutOfGas { wanted: u64, used: u64 },
    /// Local misconfiguration (bad key, bad address prefix...).
    #[error("configuration: {0}")]
    Config(String),
    /// The node is behind block `needed` (the one whose event is being followed): it answered
    /// from block `answered_at`, or has no block state to answer from yet (syncing). Retryable:
    /// it catches up.
    #[error("the node is behind block {needed} ({})", .answered_at.map_or("it has no block state yet".to_string(), |h| format!("it answered from block {h}")))]
    Behind {
        answered_at: Option<u64>,
        needed: u64,
    },
}

impl ChainError {
    /// Whether trying the same call again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ChainError::Transport(_)
                | ChainError::SequenceMismatch { .. }
                | ChainError::Timeout
                | ChainError::OutOfGas { .. }
                | ChainError::Behind { .. }
        )
    }
}

/// Typed smart query: serialises `msg`, deserialises the answer.
pub async fn query<Q: Serialize + Sync, R: DeserializeOwned>(
    chain: &dyn Chain,
    contract: &str,
    msg: &Q,
) -> Result<R, ChainError> {
    query_at_least(chain, contract, msg, 0).await
}

/// Typed [`Chain::query_smart_at_least`].
pub async fn query_at_least<Q: Serialize + Sync, R: DeserializeOwned>(
    chain: &dyn Chain,
    contract: &str,
    msg: &Q,
    min_height: u64,
) -> Result<R, ChainError> {
    let bytes = serde_json::to_vec(msg).map_err(|e| ChainError::Decode(e.to_string()))?;
    let answer = chain
        .query_smart_at_least(contract, &bytes, min_height)
        .await?;
    serde_json::from_slice(&answer).map_err(|e| ChainError::Decode(e.to_string()))
}
