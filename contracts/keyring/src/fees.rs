//! Fees: the exact-payment check on a request, and paying out or refunding what is held.
//! Every coin taken in leaves through exactly one of `payout` or `refund`.

use std::collections::BTreeMap;

use cosmwasm_std::{Addr, BankMsg, Coin, Uint256};
use cw_utils::PaymentError;

use crate::error::ContractError;

/// Refuses unless `funds` is exactly `fee` (a canonical fee: sorted, non-zero, unique denoms).
pub fn check_exact_payment(funds: &[Coin], fee: &[Coin]) -> Result<(), ContractError> {
    // Sum per denom: the bank module never sends duplicates, but a caller-built message might.
    let mut sent: BTreeMap<&str, Uint256> = BTreeMap::new();
    for coin in funds.iter().filter(|c| !c.amount.is_zero()) {
        *sent.entry(coin.denom.as_str()).or_default() += coin.amount;
    }
    if fee.is_empty() {
        return match sent.is_empty() {
            true => Ok(()),
            false => Err(PaymentError::NonPayable {}.into()),
        };
    }
    if sent.is_empty() {
        return Err(PaymentError::NoFunds {}.into());
    }
    if let Some(denom) = sent.keys().find(|d| !fee.iter().any(|c| c.denom == **d)) {
        return Err(PaymentError::ExtraDenom(denom.to_string()).into());
    }
    for coin in fee {
        match sent.get(coin.denom.as_str()) {
            None => return Err(PaymentError::MissingDenom(coin.denom.clone()).into()),
            Some(amount) if *amount != coin.amount => {
                return Err(ContractError::WrongFeeAmount {
                    denom: coin.denom.clone(),
                    expected: coin.amount,
                    sent: *amount,
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Splits a held fee evenly between `parties` (the ones that answered with the agreed result),
/// coin by coin. The remainder of each division goes to the first party, the earliest to answer,
/// so that the payout adds up to the fee exactly.
pub fn payout(fee: &[Coin], parties: &[Addr]) -> Vec<BankMsg> {
    let count = Uint256::from(parties.len() as u128);
    if count.is_zero() {
        return vec![];
    }
    parties
        .iter()
        .enumerate()
        .filter_map(|(i, party)| {
            let amount: Vec<Coin> = fee
                .iter()
                .map(|c| {
                    let share = c.amount / count;
                    let remainder = if i == 0 {
                        c.amount % count
                    } else {
                        Uint256::zero()
                    };
                    Coin::new(share + remainder, c.denom.clone())
                })
                .filter(|c| !c.amount.is_zero())
                .collect();
            (!amount.is_empty()).then(|| BankMsg::Send {
                to_address: party.to_string(),
                amount,
            })
        })
        .collect()
}

/// Returns a held fee to whoever paid it.
pub fn refund(fee: &[Coin], to: &Addr) -> Option<BankMsg> {
    (!fee.is_empty()).then(|| BankMsg::Send {
        to_address: to.to_string(),
        amount: fee.to_vec(),
    })
}
