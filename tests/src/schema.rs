//! The JSON schemas of every contract's messages, generated from `mpc-interfaces`.
//! `cargo run -p mpc-integration-tests --bin schema` writes them to `schema/`; the test
//! `schema_is_current` fails when the files there are stale.

use std::path::{Path, PathBuf};

use cosmwasm_schema::generate_api;
use mpc_interfaces::{keyring, signature_requests, workspace, MigrateMsg};

/// `(file name, pretty JSON)` of each contract's API, in a fixed order.
pub fn contract_schemas() -> Vec<(String, String)> {
    let apis = [
        generate_api! {
            name: "mpc-workspace",
            instantiate: workspace::InstantiateMsg,
            execute: workspace::ExecuteMsg,
            query: workspace::QueryMsg,
            migrate: MigrateMsg,
        },
        generate_api! {
            name: "mpc-keyring",
            instantiate: keyring::InstantiateMsg,
            execute: keyring::ExecuteMsg,
            query: keyring::QueryMsg,
            migrate: MigrateMsg,
        },
        generate_api! {
            name: "mpc-signature-requests",
            instantiate: signature_requests::InstantiateMsg,
            execute: signature_requests::ExecuteMsg,
            query: signature_requests::QueryMsg,
            migrate: MigrateMsg,
        },
    ];
    let names = ["mpc-workspace", "mpc-keyring", "mpc-signature-requests"];
    names
        .iter()
        .zip(apis)
        .map(|(name, api)| {
            let json = api.render().to_string().expect("schemas serialize");
            (format!("{name}.json"), json + "\n")
        })
        .collect()
}

/// The repository's `schema/` folder.
pub fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("schema")
}
