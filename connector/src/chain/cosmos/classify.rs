//! Turning what a node answers (gRPC statuses, CheckTx / DeliverTx results) into [`ChainError`].
//!
//! The SDK reports a wrong sequence as ABCI code 32 of codespace `sdk` in a tx result, but only as
//! text ("account sequence mismatch, expected 5, got 4: incorrect account sequence") in a gRPC
//! status (simulate): both are recognised, since both mean "refresh the sequence and retry".

use tonic::Code;

use crate::chain::cosmos::sender::NodeTxResult;
use crate::chain::ChainError;

/// `ErrWrongSequence` of the SDK's root codespace.
pub const CODE_WRONG_SEQUENCE: u32 = 32;
/// `ErrOutOfGas` of the SDK's root codespace.
pub const CODE_OUT_OF_GAS: u32 = 11;
/// What the SDK reports for an error it has no registered code for (`internal`); used when a
/// gRPC status carries only text.
pub const CODE_UNKNOWN: u32 = 1;

/// Registered error descriptions (the text the SDK appends after the last `: `) and their ABCI
/// codes, for errors that reach us only as text. wasmd's `execute wasm contract failed` and
/// `query wasm contract failed` are codes 5 and 9 of codespace `wasm`.
const KNOWN_DESCRIPTIONS: [(&str, u32); 7] = [
    ("incorrect account sequence", CODE_WRONG_SEQUENCE),
    ("execute wasm contract failed", 5),
    ("query wasm contract failed", 9),
    ("out of gas", 11),
    ("insufficient fee", 13),
    ("insufficient funds", 5),
    ("unauthorized", 4),
];

/// Result of a CheckTx (broadcast) or DeliverTx (inclusion) step: code 0 is success. Running out
/// of gas is not a refusal: the same message with more gas may pass.
pub fn tx_result(result: &NodeTxResult) -> Result<(), ChainError> {
    let (code, codespace, log) = (result.code, result.codespace.as_str(), result.log.as_str());
    if code == 0 {
        return Ok(());
    }
    if (codespace == "sdk" && code == CODE_WRONG_SEQUENCE) || is_sequence_mismatch(log) {
        return Err(sequence_mismatch(log));
    }
    if codespace == "sdk" && code == CODE_OUT_OF_GAS {
        return Err(ChainError::OutOfGas {
            wanted: result.gas_wanted,
            used: result.gas_used,
        });
    }
    Err(ChainError::Rejected {
        code,
        log: log.to_string(),
    })
}

/// A failed gRPC call: the node unreachable or the connection broken is [`ChainError::Transport`];
/// an answer from the application is a rejection (or a sequence mismatch).
pub fn status(status: &tonic::Status) -> ChainError {
    let message = status.message();
    match status.code() {
        Code::Unavailable
        | Code::DeadlineExceeded
        | Code::Cancelled
        | Code::Aborted
        | Code::ResourceExhausted => ChainError::Transport(format!(
            "{:?}: {}",
            status.code(),
            message_with_cause(status)
        )),
        // tonic reports some connection failures (h2 errors, a reset stream) as Unknown/Internal.
        Code::Unknown | Code::Internal if is_transport_text(message) => ChainError::Transport(
            format!("{:?}: {}", status.code(), message_with_cause(status)),
        ),
        _ if is_sequence_mismatch(message) => sequence_mismatch(message),
        // A node still syncing (no block finalized since it started) has no state to answer
        // a query from: the SDK's ErrInvalidHeight. It is behind, not refusing.
        _ if message.contains(SDK_INVALID_HEIGHT) => ChainError::Behind {
            answered_at: None,
            needed: 0,
        },
        _ => ChainError::Rejected {
            code: code_from_text(message),
            log: message.to_string(),
        },
    }
}

/// The status's message, and the innermost error under it when the message does not say it
/// already: a connection tonic could not open reads "tcp connect error" alone, its cause
/// "Connection refused (os error 111)"; a TLS handshake's cause is named by the message.
fn message_with_cause(status: &tonic::Status) -> String {
    let message = status.message();
    let mut innermost = None;
    let mut source = std::error::Error::source(status);
    while let Some(error) = source {
        innermost = Some(error);
        source = error.source();
    }
    match innermost.map(|error| error.to_string()) {
        Some(cause) if !message.contains(&cause) => format!("{message}: {cause}"),
        _ => message.to_string(),
    }
}

/// A CometBFT RPC failure (status, websocket connect or subscribe): the node is not reachable
/// or did not answer as a node should.
pub fn rpc_error(error: tendermint_rpc::Error) -> ChainError {
    ChainError::Transport(error.to_string())
}

fn is_transport_text(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "transport error",
        "tcp connect error",
        "h2 protocol error",
        "connection reset",
        "connection refused",
        "connection closed",
        "broken pipe",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// How a query answer carries the SDK's `ErrInvalidHeight`.
const SDK_INVALID_HEIGHT: &str = "codespace sdk code 26: invalid height";

fn is_sequence_mismatch(log: &str) -> bool {
    log.contains("account sequence mismatch") || log.contains("incorrect account sequence")
}

/// Parses "account sequence mismatch, expected 5, got 4"; numbers it cannot find are 0.
fn sequence_mismatch(log: &str) -> ChainError {
    ChainError::SequenceMismatch {
        expected: number_after(log, "expected ").unwrap_or(0),
        got: number_after(log, "got ").unwrap_or(0),
    }
}

fn number_after(text: &str, label: &str) -> Option<u64> {
    let start = text.find(label)? + label.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// ABCI code of an error known only by its text; [`CODE_UNKNOWN`] if not recognised.
fn code_from_text(message: &str) -> u32 {
    KNOWN_DESCRIPTIONS
        .iter()
        .find(|(description, _)| message.contains(description))
        .map_or(CODE_UNKNOWN, |(_, code)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEQUENCE_LOG: &str =
        "account sequence mismatch, expected 17, got 16: incorrect account sequence";
    /// What wasmd 0.61 answers to simulate when the contract returns an error.
    const CONTRACT_LOG: &str = "failed to execute message; message index: 0: Party already \
        submitted a result for request 4: execute wasm contract failed";

    fn tx_result(code: u32, codespace: &str, log: &str) -> Result<(), ChainError> {
        super::tx_result(&NodeTxResult {
            tx_hash: "AB".into(),
            height: 7,
            code,
            codespace: codespace.into(),
            log: log.into(),
            gas_wanted: 184_515,
            gas_used: 191_524,
        })
    }

    #[test]
    fn a_query_on_a_node_without_block_state_is_behind_not_refused() {
        // What wasmd 0.61 answers to a smart query while it has no peers to sync from.
        let message = "codespace sdk code 26: invalid height: context did not contain latest                        block height in either check state or finalize block state (65)";
        let err = status(&tonic::Status::unknown(message));
        assert_eq!(
            err,
            ChainError::Behind {
                answered_at: None,
                needed: 0
            }
        );
        assert!(err.is_retryable());
        assert!(err.to_string().contains("no block state yet"), "{err}");
    }

    #[test]
    fn success_is_ok() {
        assert_eq!(tx_result(0, "", "[]"), Ok(()));
    }

    #[test]
    fn out_of_gas_in_a_block_is_retryable_not_a_rejection() {
        // What wasmd 0.61 reports when the answer completing a request was simulated on the
        // shorter path.
        let log = "out of gas in location: wasm contract; gasWanted: 184515, gasUsed: 191524: \
                   out of gas";
        let err = tx_result(CODE_OUT_OF_GAS, "sdk", log).unwrap_err();
        assert_eq!(
            err,
            ChainError::OutOfGas {
                wanted: 184_515,
                used: 191_524
            }
        );
        assert!(err.is_retryable());
        // Code 11 of another codespace is that module's own error.
        assert!(matches!(
            tx_result(CODE_OUT_OF_GAS, "wasm", "other"),
            Err(ChainError::Rejected { code: 11, .. })
        ));
    }

    #[test]
    fn check_tx_code_32_is_a_sequence_mismatch() {
        assert_eq!(
            tx_result(32, "sdk", SEQUENCE_LOG),
            Err(ChainError::SequenceMismatch {
                expected: 17,
                got: 16
            })
        );
        // The code alone is enough, even with an unexpected log.
        assert_eq!(
            tx_result(32, "sdk", "something else"),
            Err(ChainError::SequenceMismatch {
                expected: 0,
                got: 0
            })
        );
    }

    #[test]
    fn code_32_of_another_codespace_is_a_rejection() {
        assert_eq!(
            tx_result(32, "wasm", "other failure"),
            Err(ChainError::Rejected {
                code: 32,
                log: "other failure".into()
            })
        );
    }

    #[test]
    fn contract_failure_in_a_block_is_a_rejection_with_its_code() {
        assert_eq!(
            tx_result(5, "wasm", CONTRACT_LOG),
            Err(ChainError::Rejected {
                code: 5,
                log: CONTRACT_LOG.into()
            })
        );
    }

    #[test]
    fn simulate_sequence_mismatch_is_recognised_from_text() {
        let st = tonic::Status::unknown(format!(
            "{SEQUENCE_LOG} [cosmos/cosmos-sdk@v0.53.4/x/auth/ante/sigverify.go:311] \
             With gas wanted: '0' and gas used: '45000' "
        ));
        assert_eq!(
            status(&st),
            ChainError::SequenceMismatch {
                expected: 17,
                got: 16
            }
        );
    }

    #[test]
    fn simulate_contract_failure_is_a_rejection() {
        let st = tonic::Status::unknown(CONTRACT_LOG);
        assert_eq!(
            status(&st),
            ChainError::Rejected {
                code: 5,
                log: CONTRACT_LOG.into()
            }
        );
        assert!(!status(&st).is_retryable());
    }

    #[test]
    fn smart_query_failure_is_a_rejection() {
        let log = "Generic error: request 9 not found: query wasm contract failed";
        let st = tonic::Status::invalid_argument(log);
        assert_eq!(
            status(&st),
            ChainError::Rejected {
                code: 9,
                log: log.into()
            }
        );
    }

    #[test]
    fn unrecognised_application_error_has_the_unknown_code() {
        let st = tonic::Status::not_found("account wasm1xyz not found");
        assert_eq!(
            status(&st),
            ChainError::Rejected {
                code: CODE_UNKNOWN,
                log: "account wasm1xyz not found".into()
            }
        );
    }

    #[test]
    fn connection_failures_are_transport() {
        for st in [
            tonic::Status::unavailable("tcp connect error: Connection refused (os error 111)"),
            tonic::Status::deadline_exceeded("Timeout expired"),
            tonic::Status::cancelled("operation was canceled"),
            tonic::Status::unknown("transport error"),
            tonic::Status::internal("h2 protocol error: error reading a body from connection"),
        ] {
            let err = status(&st);
            assert!(matches!(err, ChainError::Transport(_)), "{st:?} -> {err:?}");
            assert!(err.is_retryable());
        }
    }
}
