//! The Cosmos SDK gRPC services the chain client uses: wasm smart queries, auth accounts, and the
//! tx service (simulate, broadcast, get by hash).

use std::time::Duration;

use cosmrs::proto::cosmos::auth::v1beta1::query_client::QueryClient as AuthClient;
use cosmrs::proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountRequest};
use cosmrs::proto::cosmos::bank::v1beta1::query_client::QueryClient as BankClient;
use cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceRequest;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::tx::v1beta1::service_client::ServiceClient as TxClient;
use cosmrs::proto::cosmos::tx::v1beta1::{
    BroadcastMode, BroadcastTxRequest, GetTxRequest, SimulateRequest,
};
use cosmrs::proto::cosmwasm::wasm::v1::query_client::QueryClient as WasmClient;
use cosmrs::proto::cosmwasm::wasm::v1::QuerySmartContractStateRequest;
use cosmrs::proto::traits::Message;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use crate::chain::cosmos::classify;
use crate::chain::cosmos::sender::{NodeTxResult, TxNode};
use crate::chain::cosmos::tx::AccountSequence;
use crate::chain::ChainError;

const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";

/// The response header in which a Cosmos SDK node names the block a query was answered from.
const BLOCK_HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// One HTTP/2 connection to the node's gRPC server, shared by all clients (cheap to clone).
#[derive(Clone, Debug)]
pub struct GrpcNode {
    channel: Channel,
}

impl GrpcNode {
    /// Connects lazily: nothing is sent until the first call, whose failure is then a
    /// [`ChainError::Transport`]. `tls` secures an `https://` URL
    /// ([`super::CosmosConfig::grpc_tls`]). Must be called inside a tokio runtime.
    pub fn new(
        url: &str,
        timeout: Duration,
        tls: Option<ClientTlsConfig>,
    ) -> Result<Self, ChainError> {
        let config_error = |e: tonic::transport::Error| {
            ChainError::Config(format!("grpc_url {url:?}: {}", error_chain(&e)))
        };
        let mut endpoint = Endpoint::from_shared(url.to_string())
            .map_err(config_error)?
            .connect_timeout(timeout)
            .timeout(timeout);
        if let Some(tls) = tls {
            endpoint = endpoint.tls_config(tls).map_err(config_error)?;
        }
        Ok(Self {
            channel: endpoint.connect_lazy(),
        })
    }

    /// `cosmwasm.wasm.v1.Query/SmartContractState`, with the height of the block the node
    /// answered from (the SDK's `x-cosmos-block-height` response header, when sent).
    pub async fn smart_query(
        &self,
        contract: &str,
        msg: &[u8],
    ) -> Result<(Vec<u8>, Option<u64>), ChainError> {
        let request = QuerySmartContractStateRequest {
            address: contract.to_string(),
            query_data: msg.to_vec(),
        };
        let response = WasmClient::new(self.channel.clone())
            .smart_contract_state(request)
            .await
            .map_err(|status| classify::status(&status))?;
        let height = response
            .metadata()
            .get(BLOCK_HEIGHT_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok((response.into_inner().data, height))
    }
}

impl GrpcNode {
    /// `cosmos.bank.v1beta1.Query/Balance`.
    pub async fn balance(
        &self,
        address: &str,
        denom: &str,
    ) -> Result<cosmwasm_std::Coin, ChainError> {
        let request = QueryBalanceRequest {
            address: address.to_string(),
            denom: denom.to_string(),
        };
        let response = BankClient::new(self.channel.clone())
            .balance(request)
            .await
            .map_err(|status| classify::status(&status))?;
        let amount = match response.into_inner().balance {
            Some(coin) => coin
                .amount
                .parse::<u128>()
                .map_err(|e| ChainError::Decode(format!("balance of {denom}: {e}")))?,
            None => 0,
        };
        Ok(cosmwasm_std::Coin::new(amount, denom))
    }
}

/// An error with its sources, `outer: inner: innermost` (tonic's transport errors name only their
/// kind at the top).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.ends_with(&next) {
            text = format!("{text}: {next}");
        }
        source = e.source();
    }
    text
}

fn node_tx_result(response: Option<TxResponse>) -> Result<NodeTxResult, ChainError> {
    let response =
        response.ok_or_else(|| ChainError::Decode("answer without tx_response".into()))?;
    Ok(NodeTxResult {
        tx_hash: response.txhash,
        height: u64::try_from(response.height).unwrap_or(0),
        code: response.code,
        codespace: response.codespace,
        log: response.raw_log,
        gas_wanted: u64::try_from(response.gas_wanted).unwrap_or(0),
        gas_used: u64::try_from(response.gas_used).unwrap_or(0),
    })
}

#[async_trait::async_trait]
impl TxNode for GrpcNode {
    async fn account(&self, address: &str) -> Result<AccountSequence, ChainError> {
        let request = QueryAccountRequest {
            address: address.to_string(),
        };
        let response = AuthClient::new(self.channel.clone())
            .account(request)
            .await
            .map_err(|status| {
                if status.code() == tonic::Code::NotFound {
                    ChainError::Rejected {
                        code: classify::CODE_UNKNOWN,
                        log: format!("account {address} does not exist on chain (not funded yet?)"),
                    }
                } else {
                    classify::status(&status)
                }
            })?;
        let any = response
            .into_inner()
            .account
            .ok_or_else(|| ChainError::Decode(format!("account {address}: empty answer")))?;
        decode_base_account(&any.type_url, &any.value)
    }

    async fn simulate(&self, tx_bytes: Vec<u8>) -> Result<u64, ChainError> {
        #[allow(deprecated)] // `tx` is the deprecated alternative to `tx_bytes`.
        let request = SimulateRequest { tx: None, tx_bytes };
        let response = TxClient::new(self.channel.clone())
            .simulate(request)
            .await
            .map_err(|status| classify::status(&status))?;
        response
            .into_inner()
            .gas_info
            .map(|gas| gas.gas_used)
            .ok_or_else(|| ChainError::Decode("simulate answer without gas_info".into()))
    }

    async fn broadcast_sync(&self, tx_bytes: Vec<u8>) -> Result<NodeTxResult, ChainError> {
        let request = BroadcastTxRequest {
            tx_bytes,
            mode: BroadcastMode::Sync as i32,
        };
        let response = TxClient::new(self.channel.clone())
            .broadcast_tx(request)
            .await
            .map_err(|status| classify::status(&status))?;
        node_tx_result(response.into_inner().tx_response)
    }

    async fn find_tx(&self, tx_hash: &str) -> Result<Option<NodeTxResult>, ChainError> {
        let request = GetTxRequest {
            hash: tx_hash.to_string(),
        };
        match TxClient::new(self.channel.clone()).get_tx(request).await {
            Ok(response) => node_tx_result(response.into_inner().tx_response).map(Some),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(classify::status(&status)),
        }
    }
}

/// Account number and sequence of a `BaseAccount` (the kind of account a party holds).
fn decode_base_account(type_url: &str, value: &[u8]) -> Result<AccountSequence, ChainError> {
    if type_url != BASE_ACCOUNT_TYPE_URL {
        return Err(ChainError::Decode(format!(
            "account type {type_url} is not supported (expected {BASE_ACCOUNT_TYPE_URL})"
        )));
    }
    let account =
        BaseAccount::decode(value).map_err(|e| ChainError::Decode(format!("BaseAccount: {e}")))?;
    Ok(AccountSequence {
        account_number: account.account_number,
        sequence: account.sequence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::cosmos::config::tests::sample_config;
    use crate::chain::cosmos::CosmosConfig;

    #[test]
    fn base_account_is_decoded() {
        let account = BaseAccount {
            address: "wasm1xyz".into(),
            pub_key: None,
            account_number: 11,
            sequence: 42,
        };
        let any = cosmrs::Any::from_msg(&account).unwrap();
        assert_eq!(any.type_url, BASE_ACCOUNT_TYPE_URL);
        assert_eq!(
            decode_base_account(&any.type_url, &any.value),
            Ok(AccountSequence {
                account_number: 11,
                sequence: 42
            })
        );
        assert!(matches!(
            decode_base_account(BASE_ACCOUNT_TYPE_URL, &[0xff, 0xff]),
            Err(ChainError::Decode(_))
        ));
    }

    #[test]
    fn other_account_types_are_refused() {
        let err =
            decode_base_account("/cosmos.vesting.v1beta1.DelayedVestingAccount", &[]).unwrap_err();
        assert!(
            matches!(err, ChainError::Decode(ref m) if m.contains("DelayedVestingAccount")),
            "{err}"
        );
    }

    #[test]
    fn tx_response_fields_are_kept() {
        let response = TxResponse {
            height: 12,
            txhash: "ABCD".into(),
            codespace: "wasm".into(),
            code: 5,
            raw_log: "failed".into(),
            gas_wanted: 900,
            gas_used: 777,
            ..Default::default()
        };
        assert_eq!(
            node_tx_result(Some(response)),
            Ok(NodeTxResult {
                tx_hash: "ABCD".into(),
                height: 12,
                code: 5,
                codespace: "wasm".into(),
                log: "failed".into(),
                gas_wanted: 900,
                gas_used: 777,
            })
        );
        assert!(matches!(node_tx_result(None), Err(ChainError::Decode(_))));
    }

    #[tokio::test]
    async fn unreachable_node_is_a_transport_error() {
        let node = GrpcNode::new("http://127.0.0.1:1", Duration::from_secs(5), None).unwrap();
        let err = node.smart_query("wasm1xyz", b"{}").await.unwrap_err();
        assert!(matches!(err, ChainError::Transport(_)), "{err:?}");
        let err = node.account("wasm1xyz").await.unwrap_err();
        assert!(matches!(err, ChainError::Transport(_)), "{err:?}");
    }

    /// An `https://` node that does not answer: a transport error (retried, `/healthz` 503)
    /// that says what failed.
    #[tokio::test]
    async fn https_without_a_reachable_server_is_a_transport_error_saying_so() {
        let mut config = sample_config();
        config.grpc_url = "https://127.0.0.1:1".into();
        let node = GrpcNode::new(
            &config.grpc_url,
            Duration::from_secs(5),
            config.grpc_tls().unwrap(),
        )
        .unwrap();
        let err = node.smart_query("wasm1xyz", b"{}").await.unwrap_err();
        assert!(
            matches!(err, ChainError::Transport(ref m) if m.contains("Connection refused")),
            "{err:?}"
        );
    }

    /// TLS is checked: a server whose certificate no trusted CA signed is refused at the
    /// handshake, naming the certificate; with its CA in `grpc_ca_file` the handshake passes.
    #[tokio::test]
    async fn the_server_certificate_must_come_from_a_trusted_ca() {
        // The proxy's upstream refuses connections: a call fails after the handshake.
        let proxy = mpc_localnet::TlsProxy::start("127.0.0.1:1".parse().unwrap()).unwrap();
        let mut config = sample_config();
        config.grpc_url = format!("https://{}", proxy.address());
        let call = |config: &CosmosConfig| {
            let node = GrpcNode::new(
                &config.grpc_url,
                Duration::from_secs(5),
                config.grpc_tls().unwrap(),
            )
            .unwrap();
            async move { node.smart_query("wasm1xyz", b"{}").await.unwrap_err() }
        };
        let err = call(&config).await;
        assert!(
            matches!(err, ChainError::Transport(ref m) if m.contains("invalid peer certificate: UnknownIssuer")),
            "{err:?}"
        );
        assert_eq!(proxy.handshakes(), 0);

        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, proxy.ca_pem()).unwrap();
        config.grpc_ca_file = Some(ca_file);
        let err = call(&config).await;
        assert!(matches!(err, ChainError::Transport(_)), "{err:?}");
        assert_eq!(proxy.handshakes(), 1, "{err:?}");
    }

    #[test]
    fn bad_url_is_a_config_error() {
        let err = GrpcNode::new("not a url", Duration::from_secs(1), None).unwrap_err();
        assert!(matches!(err, ChainError::Config(_)), "{err:?}");
    }
}
