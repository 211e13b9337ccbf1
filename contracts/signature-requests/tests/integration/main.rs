//! Cross-contract tests: the real workspace, keyring and signature-requests contracts in
//! cw-multi-test, with real ECDSA (k256) and EdDSA (ed25519-dalek) signatures.

mod callbacks;
mod config;
mod flows;
mod inbox;
mod invariants;
mod lists;
mod live_rules;
mod membership_props;
mod migrate;
mod payloads;
mod refusals;
mod security;
mod suite;
mod votes;
