//! Every variant of every contract's `ContractError`, and of the contract-kit errors they nest,
//! is asserted by some test: a refusal nobody checks is a refusal that can silently change.
//!
//! Reads the sources as text: a variant counts as asserted when some test names
//! `<Enum>::<Variant>` (the tests build the expected error and compare it with what the contract
//! returned). Wrappers of foreign errors (`Std`, `Payment`) count when a test builds them or, for
//! `Std`, checks the chain's own text, so they are listed in `WRAPPERS` with the text a test must
//! contain instead.

use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// (file, enum) of every error the contracts return.
const ERRORS: [(&str, &str); 8] = [
    ("packages/contract-kit/src/contract.rs", "ContractError"),
    ("contracts/workspace/src/error.rs", "ContractError"),
    ("contracts/keyring/src/error.rs", "ContractError"),
    ("contracts/signature-requests/src/error.rs", "ContractError"),
    ("packages/contract-kit/src/lifecycle.rs", "LifecycleError"),
    ("packages/contract-kit/src/config.rs", "ConfigError"),
    ("packages/contract-kit/src/migrate.rs", "MigrateError"),
    ("packages/contract-kit/src/fees.rs", "FeeError"),
];

/// Where the tests of those errors live.
const TESTS: [&str; 4] = [
    "contracts/workspace/tests",
    "contracts/keyring/tests",
    "contracts/signature-requests/tests",
    "packages/contract-kit/src",
];

/// Variants that wrap another crate's error, and what a test of them names instead of the
/// variant: a `StdError` from the chain's address validation reaches the caller as its text.
const WRAPPERS: [(&str, &str); 1] = [("Std", "parse failed")];

/// The variant names of `pub enum <name>` in `source`, or of the contract's own variants in its
/// `contract_error!` (the shared ones are read from the macro's enum in the kit).
fn variants(source: &str, name: &str) -> Vec<String> {
    let start = source
        .find(&format!("pub enum {name}"))
        .or_else(|| source.find("contract_error! {"))
        .unwrap_or_else(|| panic!("no enum {name}"));
    let body = &source[start..];
    let body = &body[body.find('{').unwrap() + 1..];
    let mut depth = 0usize;
    let mut found = vec![];
    for line in body.lines() {
        let trimmed = line.trim();
        if depth == 0 && trimmed.starts_with('}') {
            break;
        }
        if depth == 0 && !trimmed.starts_with("//") && !trimmed.starts_with('#') {
            let ident: String = trimmed
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if ident.starts_with(|c: char| c.is_ascii_uppercase()) {
                found.push(ident);
            }
        }
        depth += line.matches(['{', '(']).count();
        depth -= line.matches(['}', ')']).count();
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Test code: the test directories' files, and the `#[cfg(test)]` part of the kit's sources.
fn test_code() -> String {
    let mut files = vec![];
    for dir in TESTS {
        rust_files(&Path::new(ROOT).join(dir), &mut files);
    }
    files
        .iter()
        .map(|path| {
            let text = fs::read_to_string(path).unwrap();
            match text.find("#[cfg(test)]") {
                Some(at) if path.starts_with(Path::new(ROOT).join("packages")) => {
                    text[at..].to_string()
                }
                _ if path.starts_with(Path::new(ROOT).join("packages")) => String::new(),
                _ => text,
            }
        })
        .collect()
}

#[test]
fn every_error_variant_is_asserted_by_a_test() {
    let tests = test_code();
    let mut unasserted = vec![];
    for (file, name) in ERRORS {
        let source = fs::read_to_string(Path::new(ROOT).join(file)).unwrap();
        let found = variants(&source, name);
        assert!(found.len() > 2, "{file}: parsed {found:?}");
        for variant in found {
            let named = tests.contains(&format!("{name}::{variant}"));
            let wrapped = WRAPPERS
                .iter()
                .any(|(w, text)| *w == variant && tests.contains(text));
            if !named && !wrapped {
                unasserted.push(format!("{file}: {name}::{variant}"));
            }
        }
    }
    assert!(
        unasserted.is_empty(),
        "variants no test asserts:\n{}",
        unasserted.join("\n")
    );
}

#[test]
fn the_variant_parser_reads_unit_tuple_and_struct_variants() {
    let source = "pub enum E {\n    /// doc\n    #[error(\"x {0}\")]\n    A(#[from] X),\n    B { a: u64, b: Vec<(u8, u8)> },\n    C,\n    D {\n        e: String,\n    },\n}\n";
    assert_eq!(variants(source, "E"), ["A", "B", "C", "D"]);
}
