//! Fails when `schema/` no longer matches the message types: regenerate with
//! `cargo run -p mpc-integration-tests --bin schema` and commit the result.

use mpc_integration_tests::schema::{contract_schemas, schema_dir};

#[test]
fn schema_is_current() {
    for (file, generated) in contract_schemas() {
        let path = schema_dir().join(&file);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{} is missing ({e}); run the schema generator",
                path.display()
            )
        });
        assert!(
            on_disk == generated,
            "{} is stale: run `cargo run -p mpc-integration-tests --bin schema` and commit it",
            path.display()
        );
    }
}
