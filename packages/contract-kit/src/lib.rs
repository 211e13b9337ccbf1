//! Logic the three MPC contracts share, so that each rule is written once: the exact-payment
//! check and the payout/refund of held fees, the migrate checks, query paging, the bounded
//! lists by status of records that expire lazily, the party threshold over matching answers
//! (`agreement`), and the awaiting-approver indexes (`awaiting`).

pub mod agreement;
pub mod awaiting;
pub mod config;
pub mod contract;
pub mod deadline_list;
pub mod fees;
pub mod lifecycle;
pub mod migrate;
pub mod paging;
pub mod votes;
