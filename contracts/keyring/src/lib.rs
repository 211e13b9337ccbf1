//! Keyring contract: keyrings (admins, parties, threshold, fees, active), key requests answered by
//! the keyring's MPC parties, and the keys they produce (README, "Using the contracts").
//!
//! Entry points live in `contract.rs` (exported unless the `library` feature is on).

pub mod contract;
pub mod error;
pub mod execute;
pub mod query;
pub mod state;
pub mod validate;

pub use crate::error::ContractError;
