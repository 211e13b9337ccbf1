//! Writes the contracts' JSON schemas to `schema/`, one folder per contract (the layout of
//! `cosmwasm-schema`'s `write_api!`), replacing what was there.

use mpc_integration_tests::schema::{contract_schemas, schema_dir, CONTRACTS};

fn main() -> std::io::Result<()> {
    let dir = schema_dir();
    for contract in CONTRACTS {
        let folder = dir.join(contract);
        if folder.exists() {
            std::fs::remove_dir_all(&folder)?;
        }
    }
    for (file, json) in contract_schemas() {
        let path = dir.join(&file);
        std::fs::create_dir_all(path.parent().expect("files are in folders"))?;
        std::fs::write(&path, json)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
