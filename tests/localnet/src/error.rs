use std::path::PathBuf;

/// Everything that can go wrong while running the localnet.
#[derive(Debug, thiserror::Error)]
pub enum LocalnetError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("could not parse {context} as JSON: {source}; text was: {text}")]
    Json {
        context: String,
        text: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("could not find the wasmd binary: {0}")]
    NoWasmd(String),
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout { what: String, seconds: u64 },
    #[error("the node stopped ({status}); last lines of {log}:\n{tail}")]
    NodeExited {
        status: String,
        log: PathBuf,
        tail: String,
    },
    /// The chain refused a transaction: in simulation (`--gas auto`, where contract errors
    /// usually surface), at CheckTx, or when it ran in a block (`txhash` then names it).
    #[error("transaction refused{}: {log}", txhash.as_ref().map(|h| format!(" (tx {h})")).unwrap_or_default())]
    TxRefused { txhash: Option<String>, log: String },
    #[error("no account named {0:?} on this localnet")]
    UnknownAccount(String),
    #[error("{0}")]
    Unexpected(String),
}

pub type Result<T> = std::result::Result<T, LocalnetError>;

pub(crate) fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> LocalnetError {
    let context = context.into();
    move |source| LocalnetError::Io { context, source }
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(context: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|source| LocalnetError::Json {
        context: context.to_string(),
        text: text.chars().take(2000).collect(),
        source,
    })
}
