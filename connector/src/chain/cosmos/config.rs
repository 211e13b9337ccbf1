//! `[chain.cosmos]` of the party's TOML: where the chain is and how this party pays for gas.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use cosmwasm_std::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

/// How to reach a Cosmos SDK chain with x/wasm, and this party's gas settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CosmosConfig {
    /// Chain id the transactions are signed for (checked against the node on connect).
    pub chain_id: String,
    /// CometBFT RPC, `http(s)://host:26657`; the websocket is `ws(s)://host:26657/websocket`.
    pub rpc_url: String,
    /// Cosmos SDK gRPC: `http://host:9090` (plaintext HTTP/2) or `https://host:443` (TLS, the
    /// server's certificate checked against the Mozilla roots, or `grpc_ca_file`).
    pub grpc_url: String,
    /// PEM file of the CA certificates (one or more) that sign the gRPC server's certificate,
    /// for a private CA: when set, only these are trusted for `grpc_url` (`https://` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_ca_file: Option<PathBuf>,
    /// Bech32 prefix of account addresses, e.g. `wasm`.
    pub account_prefix: String,
    /// Price of one unit of gas in `fee_denom`, e.g. `"0.025"` (a string or a number).
    #[serde(deserialize_with = "decimal_from_str_or_number")]
    pub gas_price: Decimal,
    /// Denomination fees are paid in, e.g. `ustake`.
    pub fee_denom: String,
    /// Simulated gas is multiplied by this (at least 1) to leave room for state changes between
    /// simulation and execution.
    #[serde(default = "default_gas_multiplier")]
    pub gas_multiplier: f64,
    /// Gas limit a transaction may never exceed.
    #[serde(default = "default_gas_cap")]
    pub gas_cap: u64,
    /// Timeout of one gRPC / RPC request, in seconds.
    #[serde(default = "default_request_timeout_secs")]
    pub request_timeout_secs: u64,
    /// How long to wait for a broadcast transaction to be included in a block, in seconds.
    #[serde(default = "default_confirm_timeout_secs")]
    pub confirm_timeout_secs: u64,
    /// How often to ask whether a broadcast transaction was included, in milliseconds.
    #[serde(default = "default_confirm_poll_ms")]
    pub confirm_poll_ms: u64,
}

fn default_gas_multiplier() -> f64 {
    1.3
}
fn default_gas_cap() -> u64 {
    10_000_000
}
fn default_request_timeout_secs() -> u64 {
    10
}
fn default_confirm_timeout_secs() -> u64 {
    60
}
fn default_confirm_poll_ms() -> u64 {
    500
}

/// TOML writes `0.025` as a float, but a float cannot hold most decimal prices exactly: take its
/// shortest decimal spelling (what the user wrote) or a string.
fn decimal_from_str_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(f64),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Text(text) => text,
        Raw::Number(number) => number.to_string(),
    };
    // The TOML error gives the line; this names the field and what it wants.
    Decimal::from_str(&text).map_err(|e| {
        serde::de::Error::custom(format!(
            "gas_price: {text:?} is not a decimal number like \"0.025\" ({e})"
        ))
    })
}

impl CosmosConfig {
    /// Checks every field that can be checked offline; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.chain_id.is_empty()
            || self
                .chain_id
                .parse::<cosmrs::tendermint::chain::Id>()
                .is_err()
        {
            return Err(format!(
                "chain_id: {:?} is not a valid chain id",
                self.chain_id
            ));
        }
        if !self.rpc_url.starts_with("http://") && !self.rpc_url.starts_with("https://") {
            return Err(format!(
                "rpc_url: {:?} must start with http:// or https://",
                self.rpc_url
            ));
        }
        self.websocket_url()
            .parse::<tendermint_rpc::WebSocketClientUrl>()
            .map_err(|e| format!("rpc_url: {e}"))?;
        if !self.grpc_url.starts_with("http://") && !self.grpc_url.starts_with("https://") {
            return Err(format!(
                "grpc_url: {:?} must start with http:// (plaintext) or https:// (TLS)",
                self.grpc_url
            ));
        }
        if self.grpc_ca_file.is_some() && !self.grpc_tls_wanted() {
            return Err(format!(
                "grpc_ca_file: set, but grpc_url {:?} is plaintext: a CA file is for https://",
                self.grpc_url
            ));
        }
        if self.account_prefix.is_empty()
            || !self
                .account_prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(format!(
                "account_prefix: {:?} must be lowercase letters and digits",
                self.account_prefix
            ));
        }
        cosmrs::Denom::from_str(&self.fee_denom).map_err(|_| {
            format!(
                "fee_denom: {:?} is not a valid denomination",
                self.fee_denom
            )
        })?;
        if !self.gas_multiplier.is_finite() || self.gas_multiplier < 1.0 {
            return Err(format!(
                "gas_multiplier: {} must be at least 1",
                self.gas_multiplier
            ));
        }
        if self.gas_cap == 0 {
            return Err("gas_cap: must be positive".into());
        }
        for (field, value) in [
            ("request_timeout_secs", self.request_timeout_secs),
            ("confirm_timeout_secs", self.confirm_timeout_secs),
            ("confirm_poll_ms", self.confirm_poll_ms),
        ] {
            if value == 0 {
                return Err(format!("{field}: must be positive"));
            }
        }
        Ok(())
    }

    fn grpc_tls_wanted(&self) -> bool {
        self.grpc_url.starts_with("https://")
    }

    /// How gRPC is secured: `None` for an `http://` URL; for `https://`, TLS (HTTP/2 negotiated
    /// with ALPN) trusting the CA certificates of `grpc_ca_file` when set, else the Mozilla root
    /// certificates (webpki-roots, built in: the same on every machine). Reads `grpc_ca_file`;
    /// the error names the file and what is wrong with it.
    pub fn grpc_tls(&self) -> Result<Option<tonic::transport::ClientTlsConfig>, String> {
        if !self.grpc_tls_wanted() {
            return Ok(None);
        }
        let tls = tonic::transport::ClientTlsConfig::new();
        Ok(Some(match &self.grpc_ca_file {
            Some(path) => tls.trust_anchors(ca_certificates(path)?),
            None => tls.with_webpki_roots(),
        }))
    }

    /// The CometBFT websocket endpoint next to `rpc_url`.
    pub fn websocket_url(&self) -> String {
        let base = self.rpc_url.trim_end_matches('/');
        let ws = match base.strip_prefix("https://") {
            Some(rest) => format!("wss://{rest}"),
            None => format!("ws://{}", base.trim_start_matches("http://")),
        };
        format!("{ws}/websocket")
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub(crate) fn confirm_timeout(&self) -> Duration {
        Duration::from_secs(self.confirm_timeout_secs)
    }

    pub(crate) fn confirm_poll(&self) -> Duration {
        Duration::from_millis(self.confirm_poll_ms)
    }
}

/// The trust anchors of the PEM file `path`: every `CERTIFICATE` in it, at least one, each a
/// certificate rustls can trust. (tonic's own PEM loading skips what it cannot parse, so a file
/// with no usable certificate would fail only at the first connection, as an unknown issuer.)
fn ca_certificates(path: &Path) -> Result<Vec<rustls::pki_types::TrustAnchor<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let named = |what: String| format!("{}: {what}", path.display());
    let pem = std::fs::read(path).map_err(|e| named(e.to_string()))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| named(format!("not a PEM file ({e})")))?;
    if certificates.is_empty() {
        return Err(named(
            "no certificate in it (PEM, `-----BEGIN CERTIFICATE-----`)".into(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for (i, certificate) in certificates.into_iter().enumerate() {
        roots
            .add(certificate)
            .map_err(|e| named(format!("certificate {}: {e}", i + 1)))?;
    }
    Ok(roots.roots)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_config() -> CosmosConfig {
        CosmosConfig {
            chain_id: "localwasm-1".into(),
            rpc_url: "http://127.0.0.1:26657".into(),
            grpc_url: "http://127.0.0.1:9090".into(),
            grpc_ca_file: None,
            account_prefix: "wasm".into(),
            gas_price: Decimal::from_str("0.025").unwrap(),
            fee_denom: "ustake".into(),
            gas_multiplier: 1.3,
            gas_cap: 2_000_000,
            request_timeout_secs: 10,
            confirm_timeout_secs: 30,
            confirm_poll_ms: 200,
        }
    }

    #[test]
    fn sample_is_valid() {
        assert_eq!(sample_config().validate(), Ok(()));
    }

    #[test]
    fn deserialises_with_defaults_and_a_float_gas_price() {
        let config: CosmosConfig = serde_json::from_str(
            r#"{"chain_id":"localwasm-1","rpc_url":"http://127.0.0.1:26657",
                "grpc_url":"http://127.0.0.1:9090","account_prefix":"wasm",
                "gas_price":0.025,"fee_denom":"ustake"}"#,
        )
        .unwrap();
        assert_eq!(config.gas_price, Decimal::from_str("0.025").unwrap());
        assert_eq!(config.gas_multiplier, 1.3);
        assert_eq!(config.gas_cap, 10_000_000);
        assert_eq!(config.confirm_timeout(), Duration::from_secs(60));
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn a_bad_gas_price_names_the_field() {
        let error = serde_json::from_str::<CosmosConfig>(
            r#"{"chain_id":"c-1","rpc_url":"http://h:1","grpc_url":"http://h:2",
                "account_prefix":"wasm","gas_price":"0,025","fee_denom":"u"}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("gas_price: \"0,025\""), "{error}");
    }

    #[test]
    fn gas_price_as_string_is_exact() {
        let config: CosmosConfig = serde_json::from_str(
            r#"{"chain_id":"c","rpc_url":"http://h:1","grpc_url":"http://h:2",
                "account_prefix":"wasm","gas_price":"0.0000125","fee_denom":"uatom"}"#,
        )
        .unwrap();
        assert_eq!(config.gas_price, Decimal::from_str("0.0000125").unwrap());
    }

    #[test]
    fn unknown_field_is_refused() {
        let err = serde_json::from_str::<CosmosConfig>(
            r#"{"chain_id":"c","rpc_url":"http://h:1","grpc_url":"http://h:2",
                "account_prefix":"wasm","gas_price":"1","fee_denom":"u","gas_prise":"1"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("gas_prise"), "{err}");
    }

    #[test]
    fn websocket_url_follows_rpc_scheme() {
        let mut config = sample_config();
        assert_eq!(config.websocket_url(), "ws://127.0.0.1:26657/websocket");
        config.rpc_url = "https://rpc.example.org/".into();
        assert_eq!(config.websocket_url(), "wss://rpc.example.org/websocket");
    }

    #[test]
    fn each_bad_field_is_named() {
        type BreakField = fn(&mut CosmosConfig);
        let cases: [(&str, BreakField); 11] = [
            ("chain_id", |c| c.chain_id = String::new()),
            ("rpc_url", |c| c.rpc_url = "127.0.0.1:26657".into()),
            ("grpc_url", |c| c.grpc_url = "grpc.example.org:9090".into()),
            ("grpc_url", |c| {
                c.grpc_url = "grpcs://grpc.example.org".into()
            }),
            ("grpc_ca_file", |c| c.grpc_ca_file = Some("ca.pem".into())),
            ("account_prefix", |c| c.account_prefix = "Wasm".into()),
            ("fee_denom", |c| c.fee_denom = "u stake".into()),
            ("gas_multiplier", |c| c.gas_multiplier = 0.9),
            ("gas_multiplier", |c| c.gas_multiplier = f64::NAN),
            ("gas_cap", |c| c.gas_cap = 0),
            ("confirm_poll_ms", |c| c.confirm_poll_ms = 0),
        ];
        for (field, break_it) in cases {
            let mut config = sample_config();
            break_it(&mut config);
            let err = config.validate().unwrap_err();
            assert!(err.starts_with(field), "{field}: {err}");
        }
    }

    #[test]
    fn grpc_over_tls_trusts_the_built_in_roots_or_the_ca_file_only() {
        let mut config = sample_config();
        assert!(config.grpc_tls().unwrap().is_none(), "http:// is plaintext");
        config.grpc_url = "https://grpc.example.org:443".into();
        assert_eq!(config.validate(), Ok(()));
        assert!(config.grpc_tls().unwrap().is_some());

        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        let proxy = mpc_localnet::TlsProxy::start("127.0.0.1:1".parse().unwrap()).unwrap();
        std::fs::write(&ca_file, proxy.ca_pem()).unwrap();
        config.grpc_ca_file = Some(ca_file.clone());
        assert_eq!(config.validate(), Ok(()));
        assert!(config.grpc_tls().unwrap().is_some());
    }

    /// A CA file that cannot serve is refused when read, naming the file and what is wrong, not
    /// at the first connection as an unknown issuer.
    #[test]
    fn a_bad_ca_file_is_named_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        let mut config = sample_config();
        config.grpc_url = "https://127.0.0.1:9091".into();
        config.grpc_ca_file = Some(ca_file.clone());
        let error_for = |contents: Option<&str>| {
            match contents {
                Some(text) => std::fs::write(&ca_file, text).unwrap(),
                None => {
                    let _ = std::fs::remove_file(&ca_file);
                }
            }
            config.grpc_tls().expect_err("refused")
        };
        let named = ca_file.display().to_string();
        let cases = [
            (None, "No such file"),
            (Some("not a certificate\n"), "no certificate in it"),
            (
                Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
                "no certificate in it",
            ),
            (
                Some("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
                "not a PEM file",
            ),
            (
                Some("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
                "certificate 1: ",
            ),
        ];
        for (contents, expected) in cases {
            let error = error_for(contents);
            assert!(
                error.starts_with(&format!("{named}: ")) && error.contains(expected),
                "{contents:?}: {error}"
            );
        }
    }
}
