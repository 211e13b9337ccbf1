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
pub use suite::{addr, Snapshot, Suite};
