//! The per-party MPC connector: watches the contracts for pending key and signature requests of
//! its keyring, runs this party's side of DKG / threshold signing with the other parties, and
//! submits this party's own result from its own account. Also hosts the embedded devnet.

pub mod chain;
