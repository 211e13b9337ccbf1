//! The public surface of the three contracts: instantiate, execute, query and migrate messages,
//! query responses, status enums and event names. Other crates (contracts calling each other, the
//! connector, indexers' tooling) depend on these types, never on contract code.

pub mod common;
pub mod events;
pub mod keyring;
pub mod signature_requests;
pub mod workspace;

pub use common::*;
pub use mpc_payloads::HashKind;
pub use mpc_policy::{Evaluation, Policy};
