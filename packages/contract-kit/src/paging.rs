//! Query paging: every list query reads at most `page_limit(limit)` entries after a cursor.

use cosmwasm_std::{Order, StdResult, Storage};
use cw_storage_plus::{Bound, Prefix, PrimaryKey};
use mpc_interfaces::page_limit;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The lower bound of a page that continues after the `start_after` cursor.
pub fn bound_after<'a, K: PrimaryKey<'a>>(start_after: Option<K>) -> Option<Bound<'a, K>> {
    start_after.map(Bound::exclusive)
}

/// The first `page_limit(limit)` items of a range, stopping at the first storage error.
pub fn paginate<T>(
    range: impl Iterator<Item = StdResult<T>>,
    limit: Option<u32>,
) -> StdResult<Vec<T>> {
    range.take(page_limit(limit)).collect()
}

/// The ids of one page of an index keyed `(prefix, id)`, after the `start_after` id: `entries`
/// is the index's prefix (`index.prefix(..)`).
pub fn ids_page<T: Serialize + DeserializeOwned>(
    storage: &dyn Storage,
    entries: Prefix<u64, T, u64>,
    start_after: Option<u64>,
    limit: Option<u32>,
) -> StdResult<Vec<u64>> {
    paginate(
        entries.keys(storage, bound_after(start_after), None, Order::Ascending),
        limit,
    )
}

/// The values of the first `page_limit(limit)` entries of a `(key, value)` range, each converted
/// into its response type.
pub fn paginate_values<K, V, R: From<V>>(
    range: impl Iterator<Item = StdResult<(K, V)>>,
    limit: Option<u32>,
) -> StdResult<Vec<R>> {
    range
        .take(page_limit(limit))
        .map(|item| item.map(|(_, value)| value.into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::Order;
    use cw_storage_plus::Map;
    use mpc_interfaces::page_limit;

    const NUMBERS: Map<u64, u64> = Map::new("numbers");

    #[test]
    fn pages_continue_after_the_cursor_and_stop_at_the_limit() {
        let mut storage = MockStorage::new();
        for n in 1..=5u64 {
            NUMBERS.save(&mut storage, n, &(n * 10)).unwrap();
        }
        let range = |after| NUMBERS.range(&storage, bound_after(after), None, Order::Ascending);
        let values: Vec<u64> = paginate_values(range(Some(2)), Some(2)).unwrap();
        assert_eq!(values, vec![30, 40]);
        let entries = paginate(range(None), Some(3)).unwrap();
        assert_eq!(entries, vec![(1, 10), (2, 20), (3, 30)]);
        assert!(paginate_values::<_, _, u64>(range(Some(5)), None)
            .unwrap()
            .is_empty());
        // A zero limit still reads one entry (page_limit's floor).
        assert_eq!(page_limit(Some(0)), 1);
        assert_eq!(paginate(range(None), Some(0)).unwrap(), vec![(1, 10)]);
    }
}
