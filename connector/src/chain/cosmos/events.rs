//! Contract events from CometBFT's websocket: one `Tx` subscription per contract, decoded into
//! [`ChainEvent`]s; the stream ends when the websocket driver ends (no reconnect here: the event
//! source above reconnects and catches up by paging).

use std::collections::BTreeSet;

use futures::stream::{self, BoxStream, StreamExt};
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::event::{Event, EventData};
use tendermint_rpc::query::{EventType, Query};
use tendermint_rpc::{SubscriptionClient, WebSocketClient};
use tracing::{debug, warn};

use crate::chain::cosmos::classify;
use crate::chain::{ChainError, ChainEvent};

/// Attribute wasmd puts on every event a contract emits.
const CONTRACT_ADDRESS: &str = "_contract_address";
/// Attribute the SDK (0.50+) adds to every event of a message; the contract did not emit it.
const MSG_INDEX: &str = "msg_index";
const CUSTOM_EVENT_PREFIX: &str = "wasm-";

/// Transactions that executed `contract`. wasmd emits an `execute` event with `_contract_address`
/// for every execution (also of sub-messages), while the plain `wasm` event exists only if the
/// contract set top-level attributes: filtering on `execute` misses nothing. Built in code, since
/// the query parser refuses the `-` of `wasm-<kind>` keys.
pub fn contract_query(contract: &str) -> Query {
    Query::from(EventType::Tx).and_eq(format!("execute.{CONTRACT_ADDRESS}"), contract)
}

/// The custom events (`wasm-<kind>`) that `contract` emitted in one transaction, in order.
pub fn contract_events(
    height: u64,
    contract: &str,
    events: &[cosmrs::tendermint::abci::Event],
) -> Vec<ChainEvent> {
    events
        .iter()
        .filter_map(|event| {
            let kind = event.kind.strip_prefix(CUSTOM_EVENT_PREFIX)?;
            let attributes: Vec<(String, String)> = event
                .attributes
                .iter()
                .map(|attribute| {
                    (
                        String::from_utf8_lossy(attribute.key_bytes()).into_owned(),
                        String::from_utf8_lossy(attribute.value_bytes()).into_owned(),
                    )
                })
                .collect();
            let emitter = attributes.iter().find(|(key, _)| key == CONTRACT_ADDRESS)?;
            (emitter.1 == contract).then(|| ChainEvent {
                height,
                contract: contract.to_string(),
                kind: kind.to_string(),
                attributes: attributes
                    .into_iter()
                    .filter(|(key, _)| key != CONTRACT_ADDRESS && key != MSG_INDEX)
                    .collect(),
            })
        })
        .collect()
}

/// The events of `contract` carried by one subscription event (other kinds carry none).
pub fn decode(event: &Event, contract: &str) -> Vec<ChainEvent> {
    match &event.data {
        EventData::Tx { tx_result } => match u64::try_from(tx_result.height) {
            Ok(height) => contract_events(height, contract, &tx_result.result.events),
            Err(_) => vec![],
        },
        _ => vec![],
    }
}

/// Closes the websocket when dropped (by the consumer dropping the stream, or by an error while
/// subscribing), which stops the driver task; a merely dropped client would leave it running.
struct CloseOnDrop(WebSocketClient);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        // Fails only if the driver already ended: nothing left to close.
        let _ = self.0.clone().close();
    }
}

/// Connects, subscribes once per contract, and returns the merged event stream.
///
/// A transaction touching several of our contracts arrives once per matching subscription, and
/// each copy yields only the events of the contract it was subscribed for, so nothing repeats.
/// An event that fails to parse ends the stream too: the caller then reconnects and pages, which
/// loses nothing, where skipping it would.
pub async fn subscribe(
    websocket_url: &str,
    contracts: Vec<String>,
    timeout: std::time::Duration,
) -> Result<BoxStream<'static, ChainEvent>, ChainError> {
    let url = websocket_url
        .parse()
        .map_err(|e| ChainError::Config(format!("rpc_url: {e}")))?;
    let connect = WebSocketClient::builder(url)
        .compat_mode(CompatMode::V0_38)
        .build();
    let (client, driver) = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| ChainError::Timeout)?
        .map_err(classify::rpc_error)?;
    tokio::spawn(async move {
        match driver.run().await {
            Ok(()) => debug!("websocket closed"),
            Err(e) => warn!(error = %e, "websocket driver ended"),
        }
    });
    let client = CloseOnDrop(client);

    let mut per_contract = Vec::new();
    for contract in contracts.into_iter().collect::<BTreeSet<_>>() {
        let subscription =
            tokio::time::timeout(timeout, client.0.subscribe(contract_query(&contract)))
                .await
                .map_err(|_| ChainError::Timeout)?
                .map_err(classify::rpc_error)?;
        per_contract.push(
            subscription
                .map(move |item| item.map(|event| decode(&event, &contract)))
                .boxed(),
        );
    }

    let events = stream::select_all(per_contract)
        .take_while(|item| {
            if let Err(e) = item {
                warn!(error = %e, "event subscription failed; ending the event stream");
            }
            futures::future::ready(item.is_ok())
        })
        .flat_map(move |item| {
            // The client lives as long as the stream; dropping the stream closes it.
            let _keep_open = &client;
            stream::iter(item.unwrap_or_default())
        });
    Ok(events.boxed())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "wasm14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9s0phg4d";
    const OTHER: &str = "wasm1suhgf5svhu4usrurvxzlgn54ksxmn8gljarjtxqnapv8kjnp4nrss5maay";

    /// A `Tx` event as CometBFT 0.38 sends it over the websocket for a tx that called our
    /// contract (which emitted `wasm-signature_request`) and another contract.
    fn sample_event_json() -> String {
        format!(
            r#"{{
  "query": "tm.event = 'Tx' AND execute._contract_address = '{OURS}'",
  "data": {{
    "type": "tendermint/event/Tx",
    "value": {{
      "TxResult": {{
        "height": "42",
        "index": 0,
        "tx": "CgA=",
        "result": {{
          "data": "EgA=",
          "log": "",
          "gas_wanted": "200000",
          "gas_used": "150000",
          "events": [
            {{"type": "message", "attributes": [
              {{"key": "action", "value": "/cosmwasm.wasm.v1.MsgExecuteContract", "index": true}},
              {{"key": "msg_index", "value": "0", "index": true}}]}},
            {{"type": "execute", "attributes": [
              {{"key": "_contract_address", "value": "{OURS}", "index": true}},
              {{"key": "msg_index", "value": "0", "index": true}}]}},
            {{"type": "wasm-signature_request", "attributes": [
              {{"key": "_contract_address", "value": "{OURS}", "index": true}},
              {{"key": "action", "value": "pending", "index": true}},
              {{"key": "request_id", "value": "7", "index": true}},
              {{"key": "keyring_id", "value": "1", "index": true}},
              {{"key": "msg_index", "value": "0", "index": true}}]}},
            {{"type": "wasm-key_request", "attributes": [
              {{"key": "_contract_address", "value": "{OTHER}", "index": true}},
              {{"key": "action", "value": "created", "index": true}},
              {{"key": "msg_index", "value": "1", "index": true}}]}},
            {{"type": "wasm", "attributes": [
              {{"key": "_contract_address", "value": "{OURS}", "index": true}},
              {{"key": "method", "value": "approve", "index": true}}]}},
            {{"type": "wasm-signature_request", "attributes": [
              {{"key": "_contract_address", "value": "{OURS}", "index": true}},
              {{"key": "action", "value": "approved", "index": true}},
              {{"key": "request_id", "value": "8", "index": true}}]}}
          ]
        }}
      }}
    }}
  }},
  "events": {{"tm.event": ["Tx"], "tx.height": ["42"]}}
}}"#
        )
    }

    fn sample_event() -> Event {
        serde_json::from_str::<tendermint_rpc::event::v0_38::DeEvent>(&sample_event_json())
            .unwrap()
            .into()
    }

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn decodes_our_custom_events_in_order() {
        let events = decode(&sample_event(), OURS);
        assert_eq!(
            events,
            vec![
                ChainEvent {
                    height: 42,
                    contract: OURS.into(),
                    kind: "signature_request".into(),
                    attributes: attrs(&[
                        ("action", "pending"),
                        ("request_id", "7"),
                        ("keyring_id", "1")
                    ]),
                },
                ChainEvent {
                    height: 42,
                    contract: OURS.into(),
                    kind: "signature_request".into(),
                    attributes: attrs(&[("action", "approved"), ("request_id", "8")]),
                },
            ]
        );
    }

    #[test]
    fn another_contracts_events_go_to_its_own_subscription() {
        let events = decode(&sample_event(), OTHER);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, "key_request");
        assert_eq!(events[0].contract, OTHER);
        assert_eq!(events[0].attribute("action"), Some("created"));
        assert!(decode(&sample_event(), "wasm1nobody").is_empty());
    }

    #[test]
    fn non_tx_events_carry_nothing() {
        let event = Event {
            query: "tm.event = 'NewBlock'".into(),
            data: EventData::GenericJsonEvent(serde_json::json!({})),
            events: None,
        };
        assert!(decode(&event, OURS).is_empty());
    }

    #[test]
    fn query_filters_tx_events_by_contract() {
        assert_eq!(
            contract_query(OURS).to_string(),
            format!("tm.event = 'Tx' AND execute._contract_address = '{OURS}'")
        );
    }

    #[tokio::test]
    async fn unreachable_node_is_a_transport_error() {
        // Port 1 on localhost: nothing listens there.
        let result = subscribe(
            "ws://127.0.0.1:1/websocket",
            vec![OURS.into()],
            std::time::Duration::from_secs(5),
        )
        .await;
        assert!(
            matches!(result, Err(ChainError::Transport(_))),
            "{:?}",
            result.err()
        );
    }
}
