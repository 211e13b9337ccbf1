//! A contract's error as the caller of `App::execute_contract` gets it back.

use std::fmt::Display;

use cosmwasm_std::StdError;

/// The contract's own error message. cw-multi-test 3 hands a contract error back as text inside
/// its context (`Error executing WasmMsg: ...\nkind: Other, error: <message>`; a query's as
/// `kind: Other, error: Querier contract error: kind: Other, error: <message>`): the message
/// is what follows the last `kind: ..., error: `.
pub fn contract_error(err: &StdError) -> String {
    let mut cause: &dyn std::error::Error = &**err;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    // An execute's context ends in a line of its own; a query's is a prefix of the line.
    let mut message = match text.rfind("\nkind: ") {
        Some(at) => &text[at + 1..],
        None => text.as_str(),
    };
    loop {
        let rest = message.strip_prefix("Querier contract error: ").unwrap_or(message);
        match rest.strip_prefix("kind: ").and_then(|kind| kind.split_once(", error: ")) {
            Some((_, inner)) => message = inner,
            None => return rest.to_string(),
        }
    }
}

/// Fails unless `err` is exactly the contract error `expected`.
pub fn assert_contract_error(err: &StdError, expected: &impl Display) {
    assert_eq!(contract_error(err), expected.to_string(), "full error: {err}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use cw_multi_test::{App, ContractWrapper, Executor};

    #[test]
    fn the_contract_message_is_recovered_from_the_chain_context() {
        let mut app = App::default();
        let code = app.store_code(Box::new(ContractWrapper::new(
            mpc_workspace::contract::execute,
            mpc_workspace::contract::instantiate,
            mpc_workspace::contract::query,
        )));
        let sender = app.api().addr_make("sender");
        let err = app
            .instantiate_contract(
                code,
                sender,
                &mpc_interfaces::workspace::InstantiateMsg { action_timeout_blocks: Some(0) },
                &[],
                "w",
                None,
            )
            .unwrap_err();
        let expected = mpc_workspace::ContractError::TimeoutOutOfRange(
            mpc_contract_kit::lifecycle::TimeoutOutOfRange {
                name: "action_timeout_blocks",
                timeout: 0,
                max: mpc_interfaces::workspace::MAX_ACTION_TIMEOUT_BLOCKS,
            },
        );
        assert_ne!(err.to_string(), expected.to_string(), "wrapped in context");
        assert_contract_error(&err, &expected);
    }
}
