//! The JSON schemas of every contract's messages, generated from `mpc-interfaces`, in the layout
//! `cosmwasm-schema`'s `write_api!` writes: one folder per contract under `schema/`, holding
//! `<contract>.json` (the whole API, what `@cosmwasm/ts-codegen` reads) and `raw/` (one file per
//! message and response). The signature-requests folder also has `raw/callback.json`, the
//! `CallbackMsg` a requesting contract receives when its request ends.
//!
//! `cargo run -p mpc-integration-tests --bin schema` writes them; the test `schema_is_current`
//! fails when the files there are stale.

use std::path::{Path, PathBuf};

use cosmwasm_schema::{generate_api, schema_for};
use mpc_interfaces::{keyring, signature_requests, workspace};

/// The contracts, by the name of their schema folder.
pub const CONTRACTS: [&str; 3] = ["mpc-workspace", "mpc-keyring", "mpc-signature-requests"];

/// `(path under schema/, pretty JSON)` of every schema file, in a fixed order.
pub fn contract_schemas() -> Vec<(PathBuf, String)> {
    let apis = [
        generate_api! {
            name: "mpc-workspace",
            instantiate: workspace::InstantiateMsg,
            execute: workspace::ExecuteMsg,
            query: workspace::QueryMsg,
            migrate: workspace::MigrateMsg,
        },
        generate_api! {
            name: "mpc-keyring",
            instantiate: keyring::InstantiateMsg,
            execute: keyring::ExecuteMsg,
            query: keyring::QueryMsg,
            migrate: keyring::MigrateMsg,
        },
        generate_api! {
            name: "mpc-signature-requests",
            instantiate: signature_requests::InstantiateMsg,
            execute: signature_requests::ExecuteMsg,
            query: signature_requests::QueryMsg,
            migrate: signature_requests::MigrateMsg,
        },
    ];
    let mut files = Vec::new();
    for (name, api) in CONTRACTS.iter().zip(apis) {
        let dir = Path::new(name);
        let api = api.render();
        let json = api.to_string().expect("schemas serialize");
        files.push((dir.join(format!("{name}.json")), json + "\n"));
        for (file, json) in api.to_schema_files().expect("schemas serialize") {
            files.push((dir.join("raw").join(file), json + "\n"));
        }
    }
    let callback = serde_json::to_string_pretty(&schema_for!(signature_requests::CallbackMsg))
        .expect("schemas serialize");
    files.push((
        Path::new("mpc-signature-requests")
            .join("raw")
            .join("callback.json"),
        callback + "\n",
    ));
    files
}

/// The repository's `schema/` folder.
pub fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("schema")
}
