//! The shape every MPC contract shares: the refusals all three make (one variant, one text each,
//! everywhere), the result alias their entry points and handlers return, and the `migrate` entry
//! point, which applies a migration's config changes through the contract's `apply_config`.

use cosmwasm_std::{to_json_binary, Binary, StdError};
use serde::Serialize;

/// A query's answer as the `query` entry point returns it: the handler's result, as JSON.
pub fn json<T: Serialize, E: From<StdError>>(answer: Result<T, E>) -> Result<Binary, E> {
    Ok(to_json_binary(&answer?)?)
}

/// A text field longer than the contract allows, in bytes.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
#[error("{field} is {len} bytes; at most {max} are allowed")]
pub struct TooLong {
    pub field: &'static str,
    pub len: usize,
    pub max: usize,
}

/// `text` (the value of `field`) when it is at most `max` bytes long.
pub fn check_len(field: &'static str, text: &str, max: usize) -> Result<(), TooLong> {
    if text.len() > max {
        return Err(TooLong {
            field,
            len: text.len(),
            max,
        });
    }
    Ok(())
}

/// What the macros below name, so a contract needs no import for them.
#[doc(hidden)]
pub mod __private {
    pub use cosmwasm_std::{Addr, DepsMut, Env, Response, StdError};
    pub use cw_utils::PaymentError;
}

/// Declares `ContractError` with the refusals every contract shares, then the contract's own
/// `variants`, and `ContractResult<T = Response>`. `status` is the status type of the contract's
/// records, the one its `LifecycleError` names.
#[macro_export]
macro_rules! contract_error {
    (status: $status:ty; $($variants:tt)*) => {
        #[derive(::thiserror::Error, Debug)]
        pub enum ContractError {
            #[error("{0}")]
            Std(#[from] $crate::contract::__private::StdError),

            /// Funds sent with a message that takes none.
            #[error("fee: {0}")]
            Payment(#[from] $crate::contract::__private::PaymentError),

            /// A timeout, requested or configured, outside what the contract allows.
            #[error(transparent)]
            TimeoutOutOfRange(#[from] $crate::lifecycle::TimeoutOutOfRange),

            /// A text field (an alias, a description, a failure reason) over its bound.
            #[error(transparent)]
            TooLong(#[from] $crate::contract::TooLong),

            #[error("{sender} is not an owner of workspace {workspace_id}")]
            NotOwner {
                sender: $crate::contract::__private::Addr,
                workspace_id: u64,
            },

            /// An `UpdateConfig` refused (not the contract's admin, or funds sent).
            #[error(transparent)]
            Config(#[from] $crate::config::ConfigError),

            /// A vote, an answer or an expire that the record's lifecycle refuses.
            #[error(transparent)]
            Lifecycle(#[from] $crate::lifecycle::LifecycleError<$status>),

            /// The stored contract is another one, or newer than this code.
            #[error(transparent)]
            Migrate(#[from] $crate::migrate::MigrateError),

            $($variants)*
        }

        /// What every entry point and message handler returns.
        pub type ContractResult<T = $crate::contract::__private::Response> =
            ::core::result::Result<T, ContractError>;
    };
}

/// The contract's cw2 name and version (`CONTRACT_NAME` is `crates.io:` and the package name,
/// `CONTRACT_VERSION` the package version), and its `migrate` entry point: only forward, only from
/// this contract, then the message's config changes applied by `apply` (the same function
/// `UpdateConfig` uses, taking `DepsMut` and the contract's `MigrateMsg`).
#[macro_export]
macro_rules! versioned_contract {
    ($apply:path) => {
        pub const CONTRACT_NAME: &str = concat!("crates.io:", env!("CARGO_PKG_NAME"));
        pub const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");

        /// Migrations only move forward, and only from this contract; the message's config
        /// changes are applied as `UpdateConfig` applies them.
        #[cfg_attr(not(feature = "library"), ::cosmwasm_std::entry_point)]
        pub fn migrate(
            deps: $crate::contract::__private::DepsMut,
            _env: $crate::contract::__private::Env,
            msg: MigrateMsg,
        ) -> ContractResult {
            $crate::config::migrate(deps, CONTRACT_NAME, CONTRACT_VERSION, |deps| {
                $apply(deps, msg)
            })
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_may_be_as_long_as_its_bound_and_no_longer() {
        assert_eq!(check_len("alias", "abc", 3), Ok(()));
        let refused = check_len("alias", "abcd", 3).unwrap_err();
        assert_eq!(
            refused,
            TooLong {
                field: "alias",
                len: 4,
                max: 3
            }
        );
        assert_eq!(
            refused.to_string(),
            "alias is 4 bytes; at most 3 are allowed"
        );
    }
}
