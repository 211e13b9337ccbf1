//! Fees: the payment check on a request, and paying out or refunding what is held.
//! Every coin taken in leaves through exactly one of `payout` or `refund` (or, for the part of a
//! `max_fee` above the fee, the change returned at once).

use cosmwasm_std::{Addr, BankMsg, Coin, Uint256};
use thiserror::Error;

/// Why the funds sent with a request are not exactly the fee.
#[derive(Error, Debug, PartialEq)]
pub enum FeeError {
    #[error("fee missing: expected {expected}")]
    NoFunds { expected: String },

    #[error("fee missing {denom}: expected {expected}")]
    MissingDenom { denom: String, expected: String },

    #[error("fee paid in {denom}, which is not charged (expected {expected})")]
    ExtraDenom { denom: String, expected: String },

    #[error("fee of {sent}{denom} paid; expected exactly {expected}{denom}")]
    WrongAmount {
        denom: String,
        expected: Uint256,
        sent: Uint256,
    },

    #[error("max_fee names {denom} twice")]
    DuplicateDenom { denom: String },

    /// The fee rose above what the requester agreed to pay (it changed after they looked it up).
    #[error("fee {fee} is above max_fee {max_fee}")]
    AboveMax { fee: String, max_fee: String },
}

/// What a request pays: the fee charged (held until the request ends) and the change, the part
/// of a `max_fee` above the fee, returned in the same transaction.
#[derive(Debug, PartialEq)]
pub struct Payment {
    pub charged: Vec<Coin>,
    pub change: Vec<Coin>,
}

impl Payment {
    /// The message returning the change to `payer`, if there is any.
    pub fn change_to(&self, payer: &Addr) -> Option<BankMsg> {
        refund(&self.change, payer)
    }
}

/// Checks the funds sent with a request against the `fee` in force. Without `max_fee` they
/// must be exactly the fee. With it, they must be exactly `max_fee`, the fee must be at most
/// `max_fee` in every denom, and the difference is change: so a requester who looked the fee
/// up and sends it as `max_fee` is never charged more, and a fee raised in between refuses the
/// request instead of surprising them.
pub fn check_payment(
    funds: &[Coin],
    fee: &[Coin],
    max_fee: Option<&[Coin]>,
) -> Result<Payment, FeeError> {
    let Some(max_fee) = max_fee else {
        return Ok(Payment {
            charged: check_exact_payment(funds, fee)?,
            change: vec![],
        });
    };
    if let Some((_, twice)) = max_fee
        .iter()
        .enumerate()
        .find(|(i, c)| max_fee[..*i].iter().any(|o| o.denom == c.denom))
    {
        return Err(FeeError::DuplicateDenom {
            denom: twice.denom.clone(),
        });
    }
    let offered = check_exact_payment(funds, max_fee)?;
    let charged: Vec<Coin> = fee
        .iter()
        .filter(|c| !c.amount.is_zero())
        .cloned()
        .collect();
    let offered_in = |denom: &str| -> Uint256 {
        offered
            .iter()
            .filter(|c| c.denom == denom)
            .map(|c| c.amount)
            .sum()
    };
    if charged.iter().any(|c| c.amount > offered_in(&c.denom)) {
        return Err(FeeError::AboveMax {
            fee: describe(&charged),
            max_fee: describe(&offered),
        });
    }
    let change = offered
        .iter()
        .map(|o| {
            let taken: Uint256 = charged
                .iter()
                .filter(|c| c.denom == o.denom)
                .map(|c| c.amount)
                .sum();
            Coin::new(o.amount - taken, o.denom.clone())
        })
        .filter(|c| !c.amount.is_zero())
        .collect();
    Ok(Payment { charged, change })
}

/// Refuses unless `funds` are exactly `fee`, and returns what was charged (the fee's non-zero
/// coins). Amounts are summed per denom: the bank module never sends duplicates, but a
/// caller-built message might. A coin in a denom the fee does not charge is refused even if its
/// amount is zero.
pub fn check_exact_payment(funds: &[Coin], fee: &[Coin]) -> Result<Vec<Coin>, FeeError> {
    let charged: Vec<Coin> = fee
        .iter()
        .filter(|c| !c.amount.is_zero())
        .cloned()
        .collect();
    let expected = || describe(&charged);
    if !charged.is_empty() && funds.iter().all(|c| c.amount.is_zero()) {
        return Err(FeeError::NoFunds {
            expected: expected(),
        });
    }
    if let Some(stray) = funds
        .iter()
        .find(|coin| !charged.iter().any(|c| c.denom == coin.denom))
    {
        return Err(FeeError::ExtraDenom {
            denom: stray.denom.clone(),
            expected: expected(),
        });
    }
    for coin in &charged {
        let sent: Uint256 = funds
            .iter()
            .filter(|f| f.denom == coin.denom)
            .map(|f| f.amount)
            .sum();
        if sent.is_zero() {
            return Err(FeeError::MissingDenom {
                denom: coin.denom.clone(),
                expected: expected(),
            });
        }
        if sent != coin.amount {
            return Err(FeeError::WrongAmount {
                denom: coin.denom.clone(),
                expected: coin.amount,
                sent,
            });
        }
    }
    Ok(charged)
}

/// The fee as a user would write it: `3uatom,5uosmo`, or `no fee`.
fn describe(charged: &[Coin]) -> String {
    if charged.is_empty() {
        return "no fee".to_string();
    }
    charged
        .iter()
        .map(Coin::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Splits a held fee evenly between `recipients` (the parties that answered with the agreed
/// result), coin by coin. The remainder of each division goes to the first recipient, the
/// earliest to answer, so that the payout adds up to the fee exactly. No message is made for a
/// recipient whose share is nothing.
pub fn payout(fee: &[Coin], recipients: &[Addr]) -> Vec<BankMsg> {
    let count = Uint256::from(recipients.len() as u128);
    if count.is_zero() {
        return vec![];
    }
    recipients
        .iter()
        .enumerate()
        .filter_map(|(position, recipient)| {
            let amount: Vec<Coin> = fee
                .iter()
                .map(|c| {
                    let mut share = c.amount / count;
                    if position == 0 {
                        share += c.amount % count;
                    }
                    Coin::new(share, c.denom.clone())
                })
                .filter(|c| !c.amount.is_zero())
                .collect();
            (!amount.is_empty()).then(|| BankMsg::Send {
                to_address: recipient.to_string(),
                amount,
            })
        })
        .collect()
}

/// Returns a held fee to whoever paid it; nothing to send for an empty fee.
pub fn refund(fee: &[Coin], to: &Addr) -> Option<BankMsg> {
    (!fee.is_empty()).then(|| BankMsg::Send {
        to_address: to.to_string(),
        amount: fee.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::coin;

    fn sent_to(msg: &BankMsg) -> (String, Vec<Coin>) {
        match msg {
            BankMsg::Send { to_address, amount } => (to_address.clone(), amount.clone()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn exact_payment_is_accepted_and_returns_the_charged_coins() {
        let fee = [coin(3, "a"), coin(0, "b"), coin(5, "c")];
        let paid = check_exact_payment(&[coin(5, "c"), coin(1, "a"), coin(2, "a")], &fee);
        assert_eq!(paid, Ok(vec![coin(3, "a"), coin(5, "c")]));
        assert_eq!(check_exact_payment(&[], &[]), Ok(vec![]));
    }

    #[test]
    fn payment_refusals_name_what_was_wrong() {
        let fee = [coin(3, "a"), coin(5, "c")];
        let expected = "3a,5c".to_string();
        assert_eq!(
            check_exact_payment(&[], &fee),
            Err(FeeError::NoFunds {
                expected: expected.clone()
            })
        );
        assert_eq!(
            check_exact_payment(&[coin(3, "a")], &fee),
            Err(FeeError::MissingDenom {
                denom: "c".into(),
                expected: expected.clone()
            })
        );
        assert_eq!(
            check_exact_payment(&[coin(3, "a"), coin(5, "c"), coin(0, "x")], &fee),
            Err(FeeError::ExtraDenom {
                denom: "x".into(),
                expected
            })
        );
        assert_eq!(
            check_exact_payment(&[coin(1, "x")], &[]),
            Err(FeeError::ExtraDenom {
                denom: "x".into(),
                expected: "no fee".into()
            })
        );
        assert_eq!(
            check_exact_payment(&[coin(4, "a"), coin(5, "c")], &fee),
            Err(FeeError::WrongAmount {
                denom: "a".into(),
                expected: 3u128.into(),
                sent: 4u128.into()
            })
        );
    }

    #[test]
    fn a_max_fee_charges_the_fee_and_returns_the_rest() {
        let fee = [coin(3, "uatom")];
        let max = [coin(5, "uatom"), coin(2, "uosmo")];
        let payment = check_payment(&max, &fee, Some(&max)).unwrap();
        assert_eq!(payment.charged, vec![coin(3, "uatom")]);
        assert_eq!(payment.change, vec![coin(2, "uatom"), coin(2, "uosmo")]);
        let payer = Addr::unchecked("payer");
        assert_eq!(
            sent_to(&payment.change_to(&payer).unwrap()),
            ("payer".to_string(), payment.change.clone())
        );
        // The fee exactly: nothing to return.
        let exact = check_payment(&fee, &fee, Some(&fee)).unwrap();
        assert_eq!(exact.change, vec![]);
        assert_eq!(exact.change_to(&payer), None);
    }

    #[test]
    fn a_fee_above_max_fee_or_funds_other_than_max_fee_are_refused() {
        let fee = [coin(3, "uatom"), coin(1, "uosmo")];
        assert_eq!(
            check_payment(&[coin(5, "uatom")], &fee, Some(&[coin(5, "uatom")])),
            Err(FeeError::AboveMax {
                fee: "3uatom,1uosmo".to_string(),
                max_fee: "5uatom".to_string()
            })
        );
        let max = [coin(2, "uatom"), coin(1, "uosmo")];
        assert!(matches!(
            check_payment(&max, &fee, Some(&max)),
            Err(FeeError::AboveMax { .. })
        ));
        // The funds must be the max_fee itself, not the fee.
        let max = [coin(4, "uatom"), coin(1, "uosmo")];
        assert!(matches!(
            check_payment(&fee, &fee, Some(&max)),
            Err(FeeError::WrongAmount { .. })
        ));
        let twice = [coin(1, "uatom"), coin(1, "uatom")];
        assert_eq!(
            check_payment(&twice, &fee, Some(&twice)),
            Err(FeeError::DuplicateDenom {
                denom: "uatom".to_string()
            })
        );
        // Without max_fee, the exact fee as before.
        assert_eq!(
            check_payment(&fee, &fee, None).unwrap(),
            Payment {
                charged: fee.to_vec(),
                change: vec![]
            }
        );
    }

    #[test]
    fn payout_adds_up_to_the_fee_with_the_remainder_to_the_first() {
        let parties = [
            Addr::unchecked("p1"),
            Addr::unchecked("p2"),
            Addr::unchecked("p3"),
        ];
        let messages = payout(&[coin(10, "a"), coin(2, "b")], &parties);
        let sends: Vec<_> = messages.iter().map(sent_to).collect();
        assert_eq!(
            sends,
            vec![
                // 10a / 3 = 3 rem 1, 2b / 3 = 0 rem 2: the remainders go to the first.
                ("p1".to_string(), vec![coin(4, "a"), coin(2, "b")]),
                ("p2".to_string(), vec![coin(3, "a")]),
                ("p3".to_string(), vec![coin(3, "a")]),
            ]
        );
        assert!(payout(&[coin(1, "a")], &[]).is_empty());
    }

    #[test]
    fn refund_sends_the_whole_fee_back_or_nothing() {
        let to = Addr::unchecked("payer");
        let msg = refund(&[coin(7, "a")], &to).unwrap();
        assert_eq!(sent_to(&msg), ("payer".to_string(), vec![coin(7, "a")]));
        assert!(refund(&[], &to).is_none());
    }
}
