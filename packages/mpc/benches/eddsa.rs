//! EdDSA benchmark (written next).
fn main() {}
