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

    /// The stored contract keeps its records in a layout this code does not read (before 0.3.0:
    /// votes without the membership they were cast under, admin actions outside the status
    /// index, keys without the public-key index; before 0.4.0: records under long names and
    /// namespaces, answers naming their party in full). Nothing was deployed in it, so there is
    /// no conversion: deploy this version afresh.
    #[error("cannot migrate from version {stored}: its storage layout predates {layout}; instantiate this version afresh")]
    OldLayout { stored: String, layout: String },
}

/// The first version whose storage layout this code reads; migrating from an older one is
/// refused.
pub const LAYOUT_VERSION: &str = "0.4.0";

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
    if parse(&stored.version)?.cmp(&parse(LAYOUT_VERSION)?) == Ordering::Less {
        return Err(MigrateError::OldLayout {
            stored: stored.version,
            layout: LAYOUT_VERSION.to_string(),
        });
    }
    if parse(&stored.version)?.cmp(&parse(version)?) == Ordering::Greater {
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

/// A version as semver orders it: `major.minor.patch`, then a pre-release (`-rc.1`) below the
/// release itself; build metadata (`+...`) is ignored. Parsed by hand: the `semver` crate cost
/// the contracts kilobytes of wasm for three numbers.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Version {
    core: [u64; 3],
    /// A release sorts after any pre-release of it.
    pre: Release,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Release {
    Pre(Vec<Identifier>),
    Final,
}

/// A pre-release identifier: numeric ones sort numerically and before alphanumeric ones.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Identifier {
    Numeric(u64),
    Alphanumeric(String),
}

fn parse(version: &str) -> Result<Version, MigrateError> {
    let bad = || MigrateError::BadVersion {
        version: version.to_string(),
    };
    let without_build = version.split('+').next().unwrap_or_default();
    let (core, pre) = match without_build.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (without_build, None),
    };
    let mut numbers = core.split('.').map(|part| number(part).ok_or_else(bad));
    let core = [
        numbers.next().ok_or_else(bad)??,
        numbers.next().ok_or_else(bad)??,
        numbers.next().ok_or_else(bad)??,
    ];
    if numbers.next().is_some() {
        return Err(bad());
    }
    let pre = match pre {
        None => Release::Final,
        Some(pre) => Release::Pre(
            pre.split('.')
                .map(|part| identifier(part).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Version { core, pre })
}

/// A numeric part: digits only, no leading zero (semver's rule).
fn number(part: &str) -> Option<u64> {
    let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits || (part.len() > 1 && part.starts_with('0')) {
        return None;
    }
    part.parse().ok()
}

fn identifier(part: &str) -> Option<Identifier> {
    if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    if part.bytes().all(|b| b.is_ascii_digit()) {
        return number(part).map(Identifier::Numeric);
    }
    Some(Identifier::Alphanumeric(part.to_string()))
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
        for from in ["0.4.0", "0.9.0", "0.10.0"] {
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
    fn versions_order_as_semver_does() {
        let ordered = [
            "0.3.0-alpha",
            "0.3.0-alpha.1",
            "0.3.0-alpha.beta",
            "0.3.0-beta.2",
            "0.3.0-beta.11",
            "0.3.0-rc.1",
            "0.3.0",
            "0.3.1",
            "0.9.0",
            "0.10.0+build.5",
            "1.0.0",
        ];
        for pair in ordered.windows(2) {
            assert!(
                parse(pair[0]).unwrap() < parse(pair[1]).unwrap(),
                "{pair:?}"
            );
        }
        assert_eq!(parse("0.10.0+a").unwrap(), parse("0.10.0+b").unwrap());
        for bad in [
            "nine",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.2.x",
            "1.2.3-",
            "1.2.3-a..b",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
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
                stored("me", "0.3.9"),
                MigrateError::OldLayout {
                    stored: "0.3.9".into(),
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
