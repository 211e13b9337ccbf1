//! The MPC party that a connector drives: distributed key generation and threshold signing over an
//! authenticated, encrypted transport, with key shares stored encrypted on disk.

pub mod ecdsa;
pub mod error;
pub mod transport;

pub use error::MpcError;
pub use transport::{Message, Outgoing, PartyIndex, SessionChannel, SessionId, Transport};
