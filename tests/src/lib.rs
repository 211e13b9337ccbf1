//! Cross-contract and end-to-end tests live in tests/tests/.
