//! The migrate checks every contract makes: the stored contract is this one, and the stored
//! version is not newer than the code being migrated to.

use std::cmp::Ordering;

use cosmwasm_std::{Response, StdError, Storage};
use cw2::ContractVersion;
use thiserror::Error;

#[derive(Error, Debug)]
pub enum MigrateError {
    #[error(transparent)]
    Std(#[from] StdError),

    #[error("cannot migrate from contract {found}; this is {expected}")]
    WrongContract { expected: String, found: String },

    #[error("cannot migrate from version {stored} to older version {current}")]
    Downgrade { stored: String, current: String },

    #[error("unparsable contract version {version}")]
    BadVersion { version: String },

    /// The stored contract keeps its records in a layout this code does not read (votes
    /// without the membership they were cast under, admin actions outside the status index,
    /// keys without the public-key index). Nothing was deployed in it, so there is no
    /// conversion: deploy this version afresh.
    #[error("cannot migrate from version {stored}: its storage layout predates {layout}; instantiate this version afresh")]
    OldLayout { stored: String, layout: String },
}

/// The first version whose storage layout this code reads; migrating from an older one is
/// refused.
pub const LAYOUT_VERSION: &str = "0.3.0";

/// Refuses to migrate another contract or to an older version, then records `name` `version`
/// with cw2. Returns the version that was stored before, for the response. Versions compare by
/// semver precedence (build metadata is ignored), so 0.10.0 is newer than 0.9.0.
pub fn ensure_upgrade(
    storage: &mut dyn Storage,
    name: &str,
    version: &str,
) -> Result<ContractVersion, MigrateError> {
    let stored = cw2::get_contract_version(storage)?;
    if stored.contract != name {
        return Err(MigrateError::WrongContract {
            expected: name.to_string(),
            found: stored.contract,
        });
    }
    if parse(&stored.version)?.cmp_precedence(&parse(LAYOUT_VERSION)?) == Ordering::Less {
        return Err(MigrateError::OldLayout {
            stored: stored.version,
            layout: LAYOUT_VERSION.to_string(),
        });
    }
    if parse(&stored.version)?.cmp_precedence(&parse(version)?) == Ordering::Greater {
        return Err(MigrateError::Downgrade {
            stored: stored.version,
            current: version.to_string(),
        });
    }
    cw2::set_contract_version(storage, name, version)?;
    Ok(stored)
}

/// [`ensure_upgrade`], then the response every contract's migrate returns: the versions it went
/// from and to.
pub fn upgrade(
    storage: &mut dyn Storage,
    name: &str,
    version: &str,
) -> Result<Response, MigrateError> {
    let stored = ensure_upgrade(storage, name, version)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", version))
}

fn parse(version: &str) -> Result<semver::Version, MigrateError> {
    version.parse().map_err(|_| MigrateError::BadVersion {
        version: version.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    fn stored(name: &str, version: &str) -> MockStorage {
        let mut storage = MockStorage::new();
        cw2::set_contract_version(&mut storage, name, version).unwrap();
        storage
    }

    #[test]
    fn upgrades_from_the_same_or_an_older_version() {
        for from in ["0.3.0", "0.9.0", "0.10.0"] {
            let mut storage = stored("me", from);
            let previous = ensure_upgrade(&mut storage, "me", "0.10.0").unwrap();
            assert_eq!(previous.version, from);
            assert_eq!(
                cw2::get_contract_version(&storage).unwrap().version,
                "0.10.0"
            );
        }
    }

    #[test]
    fn refuses_another_contract_a_downgrade_or_a_bad_version() {
        let cases = [
            (
                stored("other", "0.1.0"),
                MigrateError::WrongContract {
                    expected: "me".into(),
                    found: "other".into(),
                },
            ),
            (
                stored("me", "0.10.0"),
                MigrateError::Downgrade {
                    stored: "0.10.0".into(),
                    current: "0.9.0".into(),
                },
            ),
            (
                stored("me", "0.2.9"),
                MigrateError::OldLayout {
                    stored: "0.2.9".into(),
                    layout: LAYOUT_VERSION.into(),
                },
            ),
            (
                stored("me", "nine"),
                MigrateError::BadVersion {
                    version: "nine".into(),
                },
            ),
        ];
        for (mut storage, expected) in cases {
            let before = cw2::get_contract_version(&storage).unwrap();
            let err = ensure_upgrade(&mut storage, "me", "0.9.0").unwrap_err();
            assert_eq!(err.to_string(), expected.to_string());
            assert_eq!(cw2::get_contract_version(&storage).unwrap(), before);
        }
    }
}
