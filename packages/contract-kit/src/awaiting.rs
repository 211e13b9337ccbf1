//! The "needs your approval" indexes: `(approver, deadline height, record id)` entries for every
//! eligible approver who has not voted on an open record. Approvals are judged live (the policy
//! and owners in force at each vote), so at each vote the entries move from the approvers the
//! previous evaluation awaited to the ones the new evaluation awaits.

use cosmwasm_std::{Addr, StdResult, Storage};
use cw_storage_plus::Map;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Moves record `id`'s entries from `before` (what the index holds) to `after` (what the record
/// awaits now; empty once it is no longer open). Touches only the approvers that changed.
pub fn resync<T: Serialize + DeserializeOwned + Default>(
    storage: &mut dyn Storage,
    index: &Map<(&Addr, u64, u64), T>,
    deadline: u64,
    id: u64,
    before: &[String],
    after: &[String],
) -> StdResult<()> {
    for gone in before.iter().filter(|a| !after.contains(a)) {
        index.remove(storage, (&Addr::unchecked(gone), deadline, id));
    }
    for new in after.iter().filter(|a| !before.contains(a)) {
        index.save(
            storage,
            (&Addr::unchecked(new), deadline, id),
            &T::default(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::Order;

    const INDEX: Map<(&Addr, u64, u64), ()> = Map::new("awaiting");

    fn listed(storage: &dyn Storage) -> Vec<(Addr, u64, u64)> {
        INDEX
            .keys(storage, None, None, Order::Ascending)
            .collect::<StdResult<_>>()
            .unwrap()
    }

    #[test]
    fn resync_moves_entries_to_the_new_set() {
        let mut storage = MockStorage::new();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        resync(&mut storage, &INDEX, 9, 1, &[], &s(&["a", "b"])).unwrap();
        resync(&mut storage, &INDEX, 9, 1, &s(&["a", "b"]), &s(&["b", "c"])).unwrap();
        let addr = Addr::unchecked;
        assert_eq!(listed(&storage), vec![(addr("b"), 9, 1), (addr("c"), 9, 1)]);
        resync(&mut storage, &INDEX, 9, 1, &s(&["b", "c"]), &[]).unwrap();
        assert!(listed(&storage).is_empty());
    }
}
