//! The "needs your approval" indexes: `(approver, deadline height, record id)` entries for every
//! eligible approver who has not voted on an open record. Approvals are judged live (the policy
//! and owners in force at each vote), so at each vote the entries move from the approvers the
//! previous evaluation awaited to the ones the new evaluation awaits.

use cosmwasm_std::{Api, StdResult, Storage};
use cw_storage_plus::Map;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// An inbox: `(approver's canonical address, deadline height, record id)`. Canonical addresses
/// (the bytes behind the bech32 text) keep the keys short; every key byte is paid at each write.
pub type Inbox<'a, T> = Map<(&'a [u8], u64, u64), T>;

/// Moves record `id`'s entries from `before` (what the index holds) to `after` (what the record
/// awaits now; empty once it is no longer open). Touches only the approvers that changed.
pub fn resync<T: Serialize + DeserializeOwned + Default>(
    storage: &mut dyn Storage,
    api: &dyn Api,
    index: &Inbox<T>,
    deadline: u64,
    id: u64,
    before: &[String],
    after: &[String],
) -> StdResult<()> {
    for gone in before.iter().filter(|a| !after.contains(a)) {
        let approver = api.addr_canonicalize(gone)?;
        index.remove(storage, (approver.as_slice(), deadline, id));
    }
    for new in after.iter().filter(|a| !before.contains(a)) {
        let approver = api.addr_canonicalize(new)?;
        index.save(storage, (approver.as_slice(), deadline, id), &T::default())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::{MockApi, MockStorage};
    use cosmwasm_std::{Addr, Order};

    const INDEX: Inbox<()> = Map::new("awaiting");

    fn listed(storage: &dyn Storage) -> Vec<(Addr, u64, u64)> {
        let api = MockApi::default();
        INDEX
            .keys(storage, None, None, Order::Ascending)
            .map(|key| {
                let (approver, deadline, id) = key.unwrap();
                (api.addr_humanize(&approver.into()).unwrap(), deadline, id)
            })
            .collect()
    }

    #[test]
    fn resync_moves_entries_to_the_new_set() {
        let api = MockApi::default();
        let mut storage = MockStorage::new();
        let [a, b, c] = ["a", "b", "c"].map(|n| api.addr_make(n));
        let s = |v: &[&Addr]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        resync(&mut storage, &api, &INDEX, 9, 1, &[], &s(&[&a, &b])).unwrap();
        resync(
            &mut storage,
            &api,
            &INDEX,
            9,
            1,
            &s(&[&a, &b]),
            &s(&[&b, &c]),
        )
        .unwrap();
        let mut expected = vec![(b.clone(), 9, 1), (c.clone(), 9, 1)];
        expected.sort_by_key(|(addr, _, _)| api.addr_canonicalize(addr.as_str()).unwrap().to_vec());
        assert_eq!(listed(&storage), expected);
        resync(&mut storage, &api, &INDEX, 9, 1, &s(&[&b, &c]), &[]).unwrap();
        assert!(listed(&storage).is_empty());
    }
}
