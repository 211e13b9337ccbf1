//! Real Cosmos SDK chain with x/wasm: gRPC for queries, accounts, simulation and broadcast;
//! CometBFT RPC for the latest height and (websocket) contract events; transactions signed in
//! direct mode with the party's secp256k1 key.
//!
//! Layout: [`config`] (the `[chain.cosmos]` table), [`address`] (account address of a key),
//! [`tx`] (building and signing), [`fees`] (gas and fee), [`classify`] (node answers to
//! [`ChainError`]), [`submit`] (sequence, retry, confirmation), [`grpc`] (the gRPC services),
//! [`events`] (websocket subscriptions).

pub mod address;
pub mod classify;
pub mod config;
pub mod events;
pub mod fees;
pub mod grpc;
pub mod sender;
pub mod tx;

use cosmrs::crypto::secp256k1::SigningKey;
use futures::stream::BoxStream;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::{Client, HttpClient};

pub use config::CosmosConfig;

use crate::chain::{Chain, ChainError, ChainEvent, ContractCall, TxOutcome};
use grpc::GrpcNode;
use sender::{GasSettings, TxSender};

/// A party's connection to a Cosmos SDK chain, signing as its account.
pub struct CosmosChain {
    config: CosmosConfig,
    account: String,
    rpc: HttpClient,
    sender: TxSender<GrpcNode>,
}

impl CosmosChain {
    /// Builds the client without contacting the node (connections open on first use). Must be
    /// called inside a tokio runtime.
    pub fn new(config: &CosmosConfig, secret_key: [u8; 32]) -> Result<Self, ChainError> {
        config.validate().map_err(ChainError::Config)?;
        let signing_key = k256::ecdsa::SigningKey::from_slice(&secret_key)
            .map_err(|_| ChainError::Config("secret key is not a valid secp256k1 scalar".into()))?;
        let account =
            address::account_address(signing_key.verifying_key(), &config.account_prefix)?;
        let chain_id = config
            .chain_id
            .parse()
            .map_err(|e| ChainError::Config(format!("chain_id: {e}")))?;
        let rpc_url = config
            .rpc_url
            .parse()
            .map_err(|e| ChainError::Config(format!("rpc_url: {e}")))?;
        let rpc = HttpClient::builder(rpc_url)
            .compat_mode(CompatMode::V0_38)
            .timeout(config.request_timeout())
            .build()
            .map_err(|e| ChainError::Config(format!("rpc_url: {e}")))?;
        let tls = config
            .grpc_tls()
            .map_err(|e| ChainError::Config(format!("grpc_ca_file: {e}")))?;
        let node = GrpcNode::new(&config.grpc_url, config.request_timeout(), tls)?;
        let sender = TxSender::new(
            node,
            SigningKey::new(Box::new(signing_key)),
            account.clone(),
            chain_id,
            GasSettings {
                price: config.gas_price,
                denom: config.fee_denom.clone(),
                multiplier: config.gas_multiplier,
                cap: config.gas_cap,
            },
            config.confirm_timeout(),
            config.confirm_poll(),
        );
        Ok(Self {
            config: config.clone(),
            account: account.to_string(),
            rpc,
            sender,
        })
    }

    /// [`CosmosChain::new`], then checks that the node answers and runs the configured chain:
    /// signing for another chain id would only fail later, at every transaction.
    pub async fn connect(config: &CosmosConfig, secret_key: [u8; 32]) -> Result<Self, ChainError> {
        let chain = Self::new(config, secret_key)?;
        let status = chain.rpc.status().await.map_err(classify::rpc_error)?;
        let network = status.node_info.network.to_string();
        if network != config.chain_id {
            return Err(ChainError::Config(format!(
                "chain_id: configured {:?} but the node runs {network:?}",
                config.chain_id
            )));
        }
        Ok(chain)
    }
}

#[async_trait::async_trait]
impl Chain for CosmosChain {
    fn account(&self) -> &str {
        &self.account
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        let status = self.rpc.status().await.map_err(classify::rpc_error)?;
        Ok(status.sync_info.latest_block_height.value())
    }

    async fn query_smart_at_least(
        &self,
        contract: &str,
        msg: &[u8],
        min_height: u64,
    ) -> Result<Vec<u8>, ChainError> {
        let (answer, height) = self
            .sender
            .node()
            .smart_query(contract, msg)
            .await
            .map_err(|e| match e {
                ChainError::Behind { answered_at, .. } => ChainError::Behind {
                    answered_at,
                    needed: min_height,
                },
                e => e,
            })?;
        match height {
            Some(height) if height < min_height => Err(ChainError::Behind {
                answered_at: Some(height),
                needed: min_height,
            }),
            _ => Ok(answer),
        }
    }

    async fn fee_balance(&self) -> Result<Option<cosmwasm_std::Coin>, ChainError> {
        let coin = self
            .sender
            .node()
            .balance(&self.account, &self.config.fee_denom)
            .await?;
        Ok(Some(coin))
    }

    async fn execute(&self, calls: Vec<ContractCall>) -> Result<TxOutcome, ChainError> {
        self.sender.execute(&calls).await
    }

    async fn subscribe(
        &self,
        contracts: Vec<String>,
    ) -> Result<BoxStream<'static, ChainEvent>, ChainError> {
        events::subscribe(
            &self.config.websocket_url(),
            contracts,
            self.config.request_timeout(),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::cosmos::config::tests::sample_config;

    #[tokio::test]
    async fn account_is_derived_from_the_key_with_the_prefix() {
        let chain = CosmosChain::new(&sample_config(), [1u8; 32]).unwrap();
        let key = k256::ecdsa::SigningKey::from_slice(&[1u8; 32]).unwrap();
        let expected = address::account_address(key.verifying_key(), "wasm").unwrap();
        assert_eq!(chain.account(), expected.to_string());
        assert!(chain.account().starts_with("wasm1"));
    }

    #[tokio::test]
    async fn invalid_key_or_config_is_refused() {
        let err = CosmosChain::new(&sample_config(), [0u8; 32]).err().unwrap();
        assert!(
            matches!(err, ChainError::Config(ref m) if m.contains("secret key")),
            "{err}"
        );
        let mut config = sample_config();
        config.gas_cap = 0;
        let err = CosmosChain::new(&config, [1u8; 32]).err().unwrap();
        assert_eq!(err, ChainError::Config("gas_cap: must be positive".into()));
    }

    #[tokio::test]
    async fn unreachable_node_fails_connect_as_transport() {
        let mut config = sample_config();
        config.rpc_url = "http://127.0.0.1:1".into();
        config.grpc_url = "http://127.0.0.1:1".into();
        let err = CosmosChain::connect(&config, [1u8; 32])
            .await
            .err()
            .unwrap();
        assert!(matches!(err, ChainError::Transport(_)), "{err:?}");
        let chain = CosmosChain::new(&config, [1u8; 32]).unwrap();
        assert!(matches!(
            chain.latest_height().await,
            Err(ChainError::Transport(_))
        ));
    }
}
