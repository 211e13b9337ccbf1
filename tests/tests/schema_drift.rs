//! Fails when `schema/` no longer matches the message types: regenerate with
//! `cargo run -p mpc-integration-tests --bin schema` and commit the result.

use std::collections::BTreeSet;
use std::path::PathBuf;

use mpc_integration_tests::schema::{contract_schemas, schema_dir, CONTRACTS};

#[test]
fn schema_is_current() {
    let generated = contract_schemas();
    for (file, json) in &generated {
        let path = schema_dir().join(file);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{} is missing ({e}); run the schema generator",
                path.display()
            )
        });
        assert!(
            on_disk == *json,
            "{} is stale: run `cargo run -p mpc-integration-tests --bin schema` and commit it",
            path.display()
        );
    }
    // Nothing else in the contracts' folders (a schema of a message that no longer exists).
    let expected: BTreeSet<PathBuf> = generated.into_iter().map(|(file, _)| file).collect();
    for contract in CONTRACTS {
        for file in files_under(&schema_dir(), &PathBuf::from(contract)) {
            assert!(
                expected.contains(&file),
                "{} is not generated any more: run the schema generator",
                file.display()
            );
        }
    }
}

/// Files under `root/dir`, as paths relative to `root`.
fn files_under(root: &std::path::Path, dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root.join(dir)).expect("schema folder exists") {
        let entry = entry.expect("readable folder");
        let relative = dir.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            files.extend(files_under(root, &relative));
        } else {
            files.push(relative);
        }
    }
    files
}
