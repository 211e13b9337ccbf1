//! Shared pieces of the cross-contract tests, and the schema generator.

pub mod schema;
