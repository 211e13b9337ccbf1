//! The MPC party that a connector drives: distributed key generation and threshold signing over an
//! authenticated, encrypted transport, with key shares stored encrypted on disk.

pub mod ecdsa;
pub mod eddsa;
pub mod error;
pub mod party;
pub mod session;
pub mod signing;
pub mod store;
pub mod transport;
pub mod windows;
mod wire;

pub use error::MpcError;
pub use party::{Party, PartyConfig, Scheme};
pub use session::{ChainRequest, SessionInputs};
pub use store::{ShareStore, StoreSecret};
pub use transport::{Message, Outgoing, PartyIndex, SessionChannel, SessionId, Transport};
