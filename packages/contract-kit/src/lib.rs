//! Logic the three MPC contracts share, so that each rule is written once: the exact-payment
//! check and the payout/refund of held fees.

pub mod fees;
