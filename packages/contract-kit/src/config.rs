//! Updating a contract's configuration: only the contract's admin on the chain (the address the
//! chain lets migrate it) may, and every change is announced in one `wasm-config` event.

use cosmwasm_std::{
    Addr, DepsMut, Env, Event, MessageInfo, QuerierWrapper, Response, StdError, Storage,
};
use cw_storage_plus::Item;
use cw_utils::PaymentError;
use mpc_interfaces::events::{action, attr, CONFIG_EVENT};
use serde::de::DeserializeOwned;
use serde::Serialize;
use thiserror::Error;

use crate::migrate::{upgrade, MigrateError};

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

/// The fields one configuration update changed, with their new values, in the order applied.
/// `UpdateConfig` and `migrate` fill it through the same code, so both announce a change the
/// same way.
#[derive(Debug, Default, PartialEq)]
pub struct ConfigChanges(Vec<(&'static str, String)>);

impl ConfigChanges {
    pub fn set(&mut self, field: &'static str, value: impl ToString) {
        self.0.push((field, value.to_string()));
    }

    /// When `value` is given: stores `check(value)` in `slot` (the check refuses it as the
    /// instantiate check does) and records the change.
    pub fn apply<T: ToString, U, E>(
        &mut self,
        field: &'static str,
        value: Option<T>,
        slot: &mut U,
        check: impl FnOnce(&T) -> Result<U, E>,
    ) -> Result<(), E> {
        if let Some(value) = value {
            *slot = check(&value)?;
            self.set(field, value);
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `wasm-config` event: who made the change (a migration has no sender: the chain's
    /// admin made it) and each changed field with its new value.
    pub fn event(&self, sender: Option<&Addr>) -> Event {
        let mut event = Event::new(CONFIG_EVENT).add_attribute(attr::ACTION, action::UPDATED);
        if let Some(sender) = sender {
            event = event.add_attribute(attr::SENDER, sender.as_str());
        }
        event.add_attributes(self.0.iter().map(|(field, value)| (*field, value.as_str())))
    }

    /// The response of a migration that applied these changes: its own `migrate` response
    /// plus, when something changed, the `wasm-config` event.
    pub fn after_migrate(&self, migrated: Response) -> Response {
        if self.is_empty() {
            migrated
        } else {
            migrated.add_event(self.event(None))
        }
    }
}

/// The changes `UpdateConfig` and `migrate` make: loads the stored config, lets `edit` change it
/// (each change recorded in the `ConfigChanges`, usually by [`apply_changes!`]), saves it.
pub fn change<C, E>(
    storage: &mut dyn Storage,
    item: &Item<C>,
    edit: impl FnOnce(&mut C, &mut ConfigChanges) -> Result<(), E>,
) -> Result<ConfigChanges, E>
where
    C: Serialize + DeserializeOwned,
    E: From<StdError>,
{
    let mut stored = item.load(storage)?;
    let mut changes = ConfigChanges::default();
    edit(&mut stored, &mut changes)?;
    item.save(storage, &stored)?;
    Ok(changes)
}

/// For each listed field set in `update` (a `MigrateMsg`): `check(field name, &value)` and store
/// the result in the same field of `stored`, recording the change under the field's name, so
/// the event names each field as the message does. Returns early with the first refusal.
#[macro_export]
macro_rules! apply_changes {
    ($changes:ident, $update:ident => $stored:ident { $($field:ident: $check:expr),+ $(,)? }) => {
        $({
            let name = stringify!($field);
            $changes.apply(name, $update.$field, &mut $stored.$field, |value| ($check)(name, value))?;
        })+
    };
}

/// `UpdateConfig`: the contract's admin on the chain, sending no funds, makes the changes
/// `apply` makes; the response announces them with the sender.
pub fn update<E: From<ConfigError>>(
    deps: DepsMut,
    env: &Env,
    info: &MessageInfo,
    apply: impl FnOnce(DepsMut) -> Result<ConfigChanges, E>,
) -> Result<Response, E> {
    authorize_update(&deps.querier, env, info)?;
    let changes = apply(deps)?;
    Ok(Response::new().add_event(changes.event(Some(&info.sender))))
}

/// `migrate`: the checks of [`migrate::upgrade`](crate::migrate::upgrade), then the config
/// changes the message carries, made by the same `apply` as `UpdateConfig`'s.
pub fn migrate<E: From<MigrateError>>(
    mut deps: DepsMut,
    name: &str,
    version: &str,
    apply: impl FnOnce(DepsMut) -> Result<ConfigChanges, E>,
) -> Result<Response, E> {
    let migrated = upgrade(deps.storage, name, version)?;
    Ok(apply(deps.branch())?.after_migrate(migrated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_lists_the_changes_in_order_and_the_sender_when_there_is_one() {
        let mut changes = ConfigChanges::default();
        changes.set("b_field", 7u64);
        changes.set("a_field", "x");
        let sender = Addr::unchecked("admin");
        let attrs = |e: &Event| {
            e.attributes
                .iter()
                .map(|a| (a.key.clone(), a.value.clone()))
                .collect::<Vec<_>>()
        };
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        let by_admin = changes.event(Some(&sender));
        assert_eq!(by_admin.ty, CONFIG_EVENT);
        assert_eq!(
            attrs(&by_admin),
            vec![
                pair(attr::ACTION, action::UPDATED),
                pair(attr::SENDER, "admin"),
                pair("b_field", "7"),
                pair("a_field", "x"),
            ]
        );
        let migrated = changes.after_migrate(Response::new());
        assert_eq!(
            attrs(&migrated.events[0]),
            vec![
                pair(attr::ACTION, action::UPDATED),
                pair("b_field", "7"),
                pair("a_field", "x"),
            ]
        );
    }

    #[test]
    fn apply_checks_and_records_only_the_given_fields() {
        let mut changes = ConfigChanges::default();
        let mut slot = 1u64;
        let positive = |v: &u64| if *v > 0 { Ok(*v) } else { Err("zero") };
        changes.apply("f", None, &mut slot, positive).unwrap();
        assert_eq!((slot, changes.is_empty()), (1, true));
        assert_eq!(
            changes.apply("f", Some(0), &mut slot, positive),
            Err("zero")
        );
        assert_eq!(
            (slot, changes.is_empty()),
            (1, true),
            "a refused value is not stored"
        );
        changes.apply("f", Some(5), &mut slot, positive).unwrap();
        let mut expected = ConfigChanges::default();
        expected.set("f", 5);
        assert_eq!((slot, changes), (5, expected));
    }

    #[test]
    fn a_migration_that_changes_nothing_adds_no_event() {
        let migrated = ConfigChanges::default().after_migrate(Response::new());
        assert!(migrated.events.is_empty());
    }
}
