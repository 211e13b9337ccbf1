//! Updating a contract's configuration: only the contract's admin on the chain (the address the
//! chain lets migrate it) may, and every change is announced in one `wasm-config` event.

use cosmwasm_std::{Addr, Env, Event, MessageInfo, QuerierWrapper, StdError};
use cw_utils::PaymentError;
use mpc_interfaces::events::{action, attr, CONFIG_EVENT};
use thiserror::Error;

/// Why a configuration update is refused, the same in every contract.
#[derive(Error, Debug)]
pub enum ConfigError {
    /// Only the contract's admin on the chain may change its configuration.
    #[error("{sender} is not the admin of this contract")]
    NotContractAdmin { sender: Addr },

    /// An update takes no funds.
    #[error("fee: {0}")]
    Payment(#[from] PaymentError),

    #[error(transparent)]
    Std(#[from] StdError),
}

/// Lets the update through when it comes from the contract's admin on the chain (a contract
/// without one takes none) and carries no funds.
pub fn authorize_update(
    querier: &QuerierWrapper,
    env: &Env,
    info: &MessageInfo,
) -> Result<(), ConfigError> {
    let contract = querier.query_wasm_contract_info(&env.contract.address)?;
    if contract.admin.as_ref() != Some(&info.sender) {
        return Err(ConfigError::NotContractAdmin {
            sender: info.sender.clone(),
        });
    }
    cw_utils::nonpayable(info)?;
    Ok(())
}

/// The `wasm-config` event of an update: who made it and each changed field with its new value.
pub fn updated_event(sender: &Addr, changes: &[(&str, String)]) -> Event {
    Event::new(CONFIG_EVENT)
        .add_attribute(attr::ACTION, action::UPDATED)
        .add_attribute(attr::SENDER, sender.as_str())
        .add_attributes(
            changes
                .iter()
                .map(|(field, value)| (*field, value.as_str())),
        )
}
