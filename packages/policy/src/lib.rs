//! The sign-policy language (README, "Using the contracts") and its evaluation.
//!
//! A policy is a small expression tree, stored as JSON:
//! ```json
//! {"any_of": {"threshold": 2, "of": [{"approver": "addr1"}, {"approver": "addr2"}, {"owners": {}}]}}
//! {"all_of": [ ... ]}
//! {"owners": {"threshold": 2}}
//! ```
//! Evaluation is pure: it sees only addresses (as strings), the workspace's owners, and who has
//! approved or rejected. It answers three questions: is the policy satisfied, can it still be
//! satisfied given the rejections so far, and who may approve.

mod error;
mod evaluate;
mod policy;

pub use error::PolicyError;
pub use evaluate::{Ballots, Evaluation};
pub use policy::{Policy, MAX_DEPTH, MAX_NODES};
