//! Gas limit and fee of a transaction, from its simulated gas and the configured gas settings.

use cosmwasm_std::{Decimal, Uint128};

use crate::chain::ChainError;

/// Gas limit for a transaction whose simulation used `simulated` gas: `simulated * multiplier`
/// rounded up, and at least `simulated + reserve` (the gas its messages may need beyond what the
/// simulation saw), clipped to `cap`. A transaction that already needs more than `cap` to
/// simulate would run out of gas: refused with [`ChainError::GasCap`] before anything is
/// broadcast.
pub fn gas_limit(
    simulated: u64,
    reserve: u64,
    multiplier: f64,
    cap: u64,
) -> Result<u64, ChainError> {
    if simulated > cap {
        return Err(ChainError::GasCap {
            wanted: simulated,
            cap,
        });
    }
    // f64 holds every gas amount below 2^53 exactly; anything above is clipped by the cap anyway.
    let padded = (simulated as f64 * multiplier).ceil();
    let padded = if padded >= cap as f64 {
        cap
    } else {
        padded as u64
    };
    Ok(padded.max(simulated.saturating_add(reserve)).min(cap))
}

/// Fee for `gas_limit` at `gas_price` per unit, rounded up so the node's minimum gas price is
/// always met.
pub fn fee_amount(gas_limit: u64, gas_price: Decimal) -> u128 {
    Uint128::from(gas_limit).mul_ceil(gas_price).u128()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn gas_is_multiplied_and_rounded_up() {
        assert_eq!(gas_limit(100_000, 0, 1.3, 1_000_000), Ok(130_000));
        assert_eq!(gas_limit(100_001, 0, 1.5, 1_000_000), Ok(150_002)); // 150001.5 rounds up
        assert_eq!(gas_limit(77_777, 0, 1.0, 1_000_000), Ok(77_777));
    }

    #[test]
    fn padded_gas_is_clipped_to_the_cap() {
        assert_eq!(gas_limit(900_000, 0, 1.3, 1_000_000), Ok(1_000_000));
        assert_eq!(gas_limit(1_000_000, 0, 1.3, 1_000_000), Ok(1_000_000));
    }

    #[test]
    fn the_reserve_is_a_floor_above_the_simulation() {
        // A completing answer's reserve outweighs the multiplier...
        assert_eq!(gas_limit(190_000, 260_000, 1.3, 10_000_000), Ok(450_000));
        // ...and a small reserve does not lower what the multiplier gives.
        assert_eq!(gas_limit(190_000, 10_000, 1.3, 10_000_000), Ok(247_000));
        // Clipped to the cap like the multiplier, never refused for it.
        assert_eq!(gas_limit(190_000, u64::MAX, 1.0, 1_000_000), Ok(1_000_000));
    }

    #[test]
    fn simulated_gas_above_the_cap_is_refused() {
        assert_eq!(
            gas_limit(1_000_001, 0, 1.3, 1_000_000),
            Err(ChainError::GasCap {
                wanted: 1_000_001,
                cap: 1_000_000
            })
        );
    }

    #[test]
    fn fee_is_rounded_up_exactly() {
        let price = Decimal::from_str("0.025").unwrap();
        assert_eq!(fee_amount(200_000, price), 5_000);
        assert_eq!(fee_amount(200_001, price), 5_001); // 5000.025 rounds up
        assert_eq!(fee_amount(1, price), 1);
        assert_eq!(fee_amount(0, price), 0);
        assert_eq!(fee_amount(123_456, Decimal::zero()), 0);
        // 0.1 is not exact in binary floating point; the decimal product is.
        assert_eq!(fee_amount(30, Decimal::from_str("0.1").unwrap()), 3);
    }
}
