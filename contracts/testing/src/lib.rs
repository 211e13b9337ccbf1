//! The test kit every contract's tests share (as DAO DAO's `dao-testing`): the three contracts
//! stored and instantiated in cw-multi-test, wired to each other ([`deploy`], [`Suite`]), the
//! check that a refused message changed nothing ([`Suite::assert_refused`]), event helpers
//! ([`events`]) and keys made from a seed ([`keys`]).

pub mod deploy;
pub mod errors;
pub mod events;
pub mod keys;
pub mod suite;

pub use deploy::{deploy, CodeIds, DeployConfig, Deployment};
pub use errors::{assert_contract_error, contract_error};
pub use suite::{addr, create_keyring_msg, create_workspace_msg, Snapshot, Suite};

/// `Deref` and `DerefMut` from a contract's own test suite (a struct with a
/// `kit: mpc_testing::Suite` field) to the kit's suite, so the contract's suite has every method
/// of the kit's beside its own.
#[macro_export]
macro_rules! extends_kit {
    ($suite:ty) => {
        impl ::std::ops::Deref for $suite {
            type Target = $crate::Suite;
            fn deref(&self) -> &$crate::Suite {
                &self.kit
            }
        }

        impl ::std::ops::DerefMut for $suite {
            fn deref_mut(&mut self) -> &mut $crate::Suite {
                &mut self.kit
            }
        }
    };
}
