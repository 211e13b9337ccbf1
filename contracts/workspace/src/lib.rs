//! The workspace contract: workspaces, owners, child workspaces, admin and sign policies, and the
//! admin actions that change them. Messages and responses live in `mpc_interfaces::workspace`.
//! Entry points live in `contract.rs` (exported unless the `library` feature is on).

pub mod contract;
pub mod error;
pub mod execute;
pub mod query;
pub mod state;

pub use crate::error::ContractError;
