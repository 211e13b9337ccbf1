//! Logic the three MPC contracts share, so that each rule is written once: the exact-payment
//! check and the payout/refund of held fees, the migrate checks, query paging, and the bounded
//! lists by status of records that expire lazily.

pub mod deadline_list;
pub mod fees;
pub mod migrate;
pub mod paging;
