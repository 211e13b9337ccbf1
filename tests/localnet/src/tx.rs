//! What a transaction did, as CometBFT reports it once the transaction is in a block.

use serde_json::Value;

use crate::error::{LocalnetError, Result};

/// An ABCI event of a transaction (`wasm`, `wasm-<type>` for a contract's custom events,
/// `instantiate`, `store_code`, `transfer`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    /// The first value of attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A transaction that ran successfully in a block.
#[derive(Clone, Debug)]
pub struct TxOutcome {
    pub txhash: String,
    pub height: u64,
    pub gas_wanted: u64,
    pub gas_used: u64,
    pub events: Vec<Event>,
}

impl TxOutcome {
    /// Events of one kind, in emission order.
    pub fn events_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| e.kind == kind)
    }

    /// The first value of `key` in an event of `kind`.
    pub fn attribute(&self, kind: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .find_map(|e| e.attribute(key))
    }

    /// Like [`TxOutcome::attribute`], but its absence is an error naming what was looked for.
    pub fn require_attribute(&self, kind: &str, key: &str) -> Result<&str> {
        self.attribute(kind, key).ok_or_else(|| {
            LocalnetError::Unexpected(format!(
                "tx {} has no `{key}` in a `{kind}` event; events: {:?}",
                self.txhash, self.events
            ))
        })
    }

    /// Reads the result of CometBFT's `/tx` call. A transaction that failed in its block (non-zero
    /// code) is an error carrying the chain's log, which holds the contract's error message.
    pub(crate) fn from_rpc(txhash: &str, result: &Value) -> Result<Self> {
        let tx_result = &result["tx_result"];
        let code = tx_result["code"].as_u64().unwrap_or(0);
        if code != 0 {
            return Err(LocalnetError::TxRefused {
                txhash: Some(txhash.to_string()),
                log: tx_result["log"].as_str().unwrap_or_default().to_string(),
            });
        }
        let number = |v: &Value| -> u64 {
            v.as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| v.as_u64())
                .unwrap_or(0)
        };
        let events = tx_result["events"]
            .as_array()
            .map(|events| events.iter().map(event_from_rpc).collect())
            .unwrap_or_default();
        Ok(TxOutcome {
            txhash: txhash.to_string(),
            height: number(&result["height"]),
            gas_wanted: number(&tx_result["gas_wanted"]),
            gas_used: number(&tx_result["gas_used"]),
            events,
        })
    }
}

/// CometBFT 0.38 reports attribute keys and values as plain strings.
fn event_from_rpc(event: &Value) -> Event {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    Event {
        kind: text(&event["type"]),
        attributes: event["attributes"]
            .as_array()
            .map(|attrs| {
                attrs
                    .iter()
                    .map(|a| (text(&a["key"]), text(&a["value"])))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_events_heights_and_gas() {
        let result = json!({
            "hash": "AB", "height": "12",
            "tx_result": {
                "code": 0, "gas_wanted": "200000", "gas_used": "150000",
                "events": [
                    {"type": "instantiate", "attributes": [
                        {"key": "_contract_address", "value": "wasm1c", "index": true},
                        {"key": "code_id", "value": "1", "index": true}]},
                    {"type": "wasm-workspace", "attributes": [
                        {"key": "action", "value": "created", "index": true}]}
                ]
            }
        });
        let outcome = TxOutcome::from_rpc("AB", &result).unwrap();
        assert_eq!(
            (outcome.height, outcome.gas_wanted, outcome.gas_used),
            (12, 200_000, 150_000)
        );
        assert_eq!(
            outcome.attribute("instantiate", "_contract_address"),
            Some("wasm1c")
        );
        assert_eq!(
            outcome.attribute("wasm-workspace", "action"),
            Some("created")
        );
        assert_eq!(outcome.attribute("wasm-workspace", "missing"), None);
        assert!(outcome.require_attribute("store_code", "code_id").is_err());
    }

    #[test]
    fn failed_tx_is_refused_with_its_log() {
        let result = json!({"height": "3", "tx_result": {"code": 5, "log": "insufficient funds"}});
        match TxOutcome::from_rpc("CD", &result) {
            Err(LocalnetError::TxRefused { txhash, log }) => {
                assert_eq!(txhash.as_deref(), Some("CD"));
                assert_eq!(log, "insufficient funds");
            }
            other => panic!("expected TxRefused, got {other:?}"),
        }
    }
}
