//! A real chain for dApp developers and for the end-to-end tests: wasmd ([`mpc_localnet`]) with
//! the three contracts deployed ([`deploy`]), a keyring whose parties are `connector run`
//! processes configured as an operator would ([`connectors`]), and the description a client
//! reads ([`info`]). The `local-chain` binary puts these together and keeps them across starts;
//! `connector/tests/localnet` uses the same pieces for its federations.

pub mod connectors;
pub mod deploy;
pub mod info;
pub mod logs;
pub mod process;
pub mod session;
pub mod signals;

/// Errors carry their context as text: they end up in front of a person or in a test failure.
pub type Result<T> = std::result::Result<T, String>;

/// Prefixes a harness error with what was being done.
pub fn context(what: &str) -> impl Fn(mpc_localnet::LocalnetError) -> String + '_ {
    move |e| format!("{what}: {e}")
}
