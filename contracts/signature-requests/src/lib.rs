//! Signature requests: an owner of a key's workspace asks for signatures, approvers satisfy the
//! sign policy, and the key's MPC parties answer; the contract verifies every signature, settles
//! fees and expires overdue requests. See README, "Using the contracts".

pub mod contract;
pub mod error;
pub mod execute;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
