//! Updating a contract's configuration: only the contract's admin on the chain (the address the
//! chain lets migrate it) may, and every change is announced in one `wasm-config` event.

use cosmwasm_std::{Addr, Env, Event, QuerierWrapper, StdResult};
use mpc_interfaces::events::{action, attr, CONFIG_EVENT};

/// Whether `sender` is the contract's admin on the chain (a contract without one has no admin).
pub fn is_contract_admin(querier: &QuerierWrapper, env: &Env, sender: &Addr) -> StdResult<bool> {
    let info = querier.query_wasm_contract_info(&env.contract.address)?;
    Ok(info.admin.as_ref() == Some(sender))
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
