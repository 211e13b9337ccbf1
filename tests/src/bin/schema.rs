//! Writes the contracts' JSON schemas to `schema/`.

use mpc_integration_tests::schema::{contract_schemas, schema_dir};

fn main() -> std::io::Result<()> {
    let dir = schema_dir();
    std::fs::create_dir_all(&dir)?;
    for (file, json) in contract_schemas() {
        let path = dir.join(&file);
        std::fs::write(&path, json)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
