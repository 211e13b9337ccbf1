//! Bounded lists by status of records that expire lazily.
//!
//! A record with a deadline height stays *stored* open (say `pending`) until somebody settles it,
//! but *reads* as `expired` as soon as it is overdue. Listing "pending" by filtering on the status
//! as read would step over every overdue record, however many were left unsettled. Instead each
//! stored status is indexed by **position** `(deadline_height, id)` (a [`Deadline`]: the last
//! height at which the record can move). At a given height the overdue
//! records of an open status are then a prefix of its range and the live ones the rest, so
//! - an open status lists its range from the first live position on,
//! - `expired` merges the stored-expired range with the overdue prefix of every open status,
//! - a final status lists its range,
//!
//! each continuing after the cursor, the position of the caller's `start_after` record (which the
//! caller looks up). Pages are ordered by position: the most urgent deadline first, then by id. A
//! page reads at most `page_limit(limit)` entries from each source it merges, whatever the total.

use cosmwasm_std::{Empty, Order, StdResult, Storage};
use cw_storage_plus::{Bound, Map};
use mpc_interfaces::page_limit;

use crate::lifecycle::{status_at, Deadline, LifecycleStatus, Record};

/// Where a record sits in a deadline-ordered index: `(deadline_height, id)`.
pub type Position = (u64, u64);

/// A bound on positions, as the read function of a [`DeadlinePage`] receives it.
pub type PositionBound = Bound<'static, Position>;

/// The entries a read function yields: each record's position and what the page lists of it,
/// in ascending position order.
pub type Entries<'a, T> = Box<dyn Iterator<Item = StdResult<(Position, T)>> + 'a>;

/// What a page lists, named by the stored statuses `S` of the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing<'s, S> {
    /// Records stored in an open status that are not overdue.
    Open(S),
    /// Records that read as expired: those stored `expired`, and the overdue ones stored in any of
    /// `open`.
    Expired { expired: S, open: &'s [S] },
    /// Records stored in a status they never leave (fulfilled, rejected, ...); listed as stored.
    Final(S),
}

impl<'s, S: LifecycleStatus> Listing<'s, S> {
    /// What a list of the records that read as `status` merges; `open` names the statuses an
    /// overdue record may be stored in.
    pub fn of(status: S, open: &'s [S]) -> Self {
        if status == S::EXPIRED {
            Listing::Expired {
                expired: status,
                open,
            }
        } else if status.is_final() {
            Listing::Final(status)
        } else {
            Listing::Open(status)
        }
    }
}

/// The entries of records listed from their index positions alone: each as
/// `summary(id, status as read at height, deadline height)` of a record stored in `stored`.
pub fn summaries<'a, S: LifecycleStatus + 'a, T>(
    positions: impl Iterator<Item = StdResult<Position>> + 'a,
    stored: S,
    height: u64,
    summary: impl Fn(u64, S, u64) -> T + 'a,
) -> Entries<'a, T> {
    Box::new(positions.map(move |position| {
        position.map(|(deadline, id)| {
            let status = status_at(stored, Deadline::at(deadline), height);
            ((deadline, id), summary(id, status, deadline))
        })
    }))
}

/// An index of records by group (e.g. their keyring) and stored status, in position order:
/// `((group, status), deadline height, id)`. A record's entry is written when it is made and
/// moves only when its stored status or its deadline changes.
pub struct StatusIndex<'n>(Map<((u64, &'n str), u64, u64), Empty>);

impl StatusIndex<'static> {
    pub const fn new(namespace: &'static str) -> Self {
        StatusIndex(Map::new(namespace))
    }

    /// The entry of a record of `group` stored in `status` at `position`.
    pub fn insert<S: LifecycleStatus>(
        &self,
        storage: &mut dyn Storage,
        group: u64,
        (status, (deadline, id)): (S, Position),
    ) -> StdResult<()> {
        self.0
            .save(storage, ((group, status.as_str()), deadline, id), &Empty {})
    }

    /// The entry of a new record of `group`, where its stored status and position put it.
    pub fn insert_record<R: Record>(
        &self,
        storage: &mut dyn Storage,
        group: u64,
        record: &R,
    ) -> StdResult<()> {
        self.insert(storage, group, (record.stored_status(), record.position()))
    }

    /// Makes `change` to a record of `group` (which saves what it changes), then moves the
    /// record's entry to where its new status and deadline put it.
    pub fn track<R: Record>(
        &self,
        storage: &mut dyn Storage,
        group: u64,
        record: &mut R,
        change: impl FnOnce(&mut dyn Storage, &mut R) -> StdResult<()>,
    ) -> StdResult<()> {
        let before = (record.stored_status(), record.position());
        change(storage, record)?;
        self.moved(
            storage,
            group,
            before,
            (record.stored_status(), record.position()),
        )
    }

    /// Moves a record's entry from where it was (`from`) to where it is now (`to`).
    pub fn moved<S: LifecycleStatus>(
        &self,
        storage: &mut dyn Storage,
        group: u64,
        from: (S, Position),
        to: (S, Position),
    ) -> StdResult<()> {
        let (status, (deadline, id)) = from;
        self.0
            .remove(storage, ((group, status.as_str()), deadline, id));
        self.insert(storage, group, to)
    }

    /// The positions of the records of `group` stored in `status`, between the bounds, in
    /// ascending order (what a [`DeadlinePage`] read function lists).
    pub fn positions<'s, S: LifecycleStatus>(
        &self,
        storage: &'s dyn Storage,
        group: u64,
        status: S,
        min: Option<PositionBound>,
        max: Option<PositionBound>,
    ) -> Box<dyn Iterator<Item = StdResult<Position>> + 's> {
        Box::new(self.0.sub_prefix((group, status.as_str())).keys(
            storage,
            min,
            max,
            Order::Ascending,
        ))
    }
}

/// One page of a deadline-ordered list, as of `height`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadlinePage {
    /// The current block height.
    pub height: u64,
    /// The position of the `start_after` record; the page starts after it.
    pub after: Option<Position>,
    /// The requested page size; clamped with [`page_limit`].
    pub limit: Option<u32>,
}

impl DeadlinePage {
    /// The page of `listing`. `read(status, min, max)` yields the entries of the records stored
    /// in `status` between the bounds, in ascending position order; it is called once per source
    /// and at most `page_limit(limit)` entries are taken from each.
    pub fn list<'a, S: Copy, T>(
        &self,
        listing: Listing<'_, S>,
        mut read: impl FnMut(S, Option<PositionBound>, Option<PositionBound>) -> Entries<'a, T>,
    ) -> StdResult<Vec<T>> {
        let limit = page_limit(self.limit);
        let first_open: Position = (Deadline::first_open(self.height).height(), 0);
        let after_cursor = || self.after.map(Bound::exclusive);
        let entries = match listing {
            Listing::Open(status) => {
                // The later of "after the cursor" and "from the first live position".
                let min = match self.after {
                    Some(after) if after >= first_open => Bound::exclusive(after),
                    _ => Bound::inclusive(first_open),
                };
                read(status, Some(min), None)
                    .take(limit)
                    .collect::<StdResult<Vec<_>>>()?
            }
            Listing::Final(status) => read(status, after_cursor(), None)
                .take(limit)
                .collect::<StdResult<Vec<_>>>()?,
            Listing::Expired { expired, open } => {
                let mut entries = read(expired, after_cursor(), None)
                    .take(limit)
                    .collect::<StdResult<Vec<_>>>()?;
                // Past the last overdue position the overdue ranges are empty: skip reading them.
                if self.after.is_none_or(|after| after < first_open) {
                    for &status in open {
                        let max = Some(Bound::exclusive(first_open));
                        for entry in read(status, after_cursor(), max).take(limit) {
                            entries.push(entry?);
                        }
                    }
                }
                // Each source is in position order, and a record is in one source only: the
                // first `limit` of the union are among the first `limit` of each.
                entries.sort_unstable_by_key(|(position, _)| *position);
                entries.truncate(limit);
                entries
            }
        };
        Ok(entries.into_iter().map(|(_, item)| item).collect())
    }
}

#[cfg(test)]
mod listing_tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn a_moved_entry_is_listed_under_its_new_status_and_position_only() {
        const INDEX: StatusIndex = StatusIndex::new("by_group");
        let mut storage = MockStorage::new();
        INDEX.insert(&mut storage, 7, (Partial, (50, 1))).unwrap();
        INDEX.insert(&mut storage, 7, (Partial, (60, 2))).unwrap();
        INDEX.insert(&mut storage, 8, (Partial, (40, 3))).unwrap();
        let listed = |storage: &MockStorage, status| {
            INDEX
                .positions(storage, 7, status, None, None)
                .collect::<StdResult<Vec<_>>>()
                .unwrap()
        };
        assert_eq!(listed(&storage, Partial), vec![(50, 1), (60, 2)]);
        INDEX
            .moved(&mut storage, 7, (Partial, (50, 1)), (Pending, (70, 1)))
            .unwrap();
        assert_eq!(listed(&storage, Partial), vec![(60, 2)]);
        assert_eq!(listed(&storage, Pending), vec![(70, 1)]);
        let after_60: Vec<_> = INDEX
            .positions(&storage, 7, Partial, Some(Bound::exclusive((60, 2))), None)
            .collect();
        assert!(after_60.is_empty());
    }
    use mpc_interfaces::signature_requests::SignRequestStatus::{self, *};

    const OPEN: &[SignRequestStatus] = &[Partial, Pending];

    #[test]
    fn a_status_lists_its_open_final_or_expired_sources() {
        assert_eq!(Listing::of(Partial, OPEN), Listing::Open(Partial));
        assert_eq!(Listing::of(Pending, OPEN), Listing::Open(Pending));
        assert_eq!(Listing::of(Fulfilled, OPEN), Listing::Final(Fulfilled));
        assert_eq!(Listing::of(Rejected, OPEN), Listing::Final(Rejected));
        assert_eq!(
            Listing::of(Expired, OPEN),
            Listing::Expired {
                expired: Expired,
                open: OPEN
            }
        );
    }

    #[test]
    fn summaries_read_an_overdue_open_record_as_expired() {
        let positions = vec![Ok((9, 1)), Ok((10, 2))].into_iter();
        let listed: Vec<_> = summaries(positions, Pending, 10, |id, status, deadline| {
            (id, status, deadline)
        })
        .collect::<StdResult<_>>()
        .unwrap();
        // Deadline 9 is past at height 10; deadline 10 is the last height it can move.
        assert_eq!(
            listed,
            vec![((9, 1), (1, Expired, 9)), ((10, 2), (2, Pending, 10))]
        );
        let finals: Vec<_> = summaries(vec![Ok((9, 3))].into_iter(), Fulfilled, 10, |id, s, _| {
            (id, s)
        })
        .collect::<StdResult<_>>()
        .unwrap();
        assert_eq!(finals, vec![((9, 3), (3, Fulfilled))]);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use cosmwasm_std::testing::MockStorage;
    use cosmwasm_std::{Order, Record, Storage};
    use cw_storage_plus::Map;

    /// (stored status, deadline, id) → id, one stored record per id.
    const RECORDS: Map<(&str, u64, u64), u64> = Map::new("records");

    const PENDING: &str = "pending";
    const PARTIAL: &str = "partial";
    const EXPIRED: &str = "expired";
    const DONE: &str = "done";

    /// A storage that counts the entries its range iterators yield.
    #[derive(Default)]
    struct Counting {
        inner: MockStorage,
        reads: Cell<usize>,
    }

    impl Storage for Counting {
        fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
            self.inner.get(key)
        }

        fn range<'a>(
            &'a self,
            start: Option<&[u8]>,
            end: Option<&[u8]>,
            order: Order,
        ) -> Box<dyn Iterator<Item = Record> + 'a> {
            Box::new(
                self.inner
                    .range(start, end, order)
                    .inspect(|_| self.reads.set(self.reads.get() + 1)),
            )
        }

        fn set(&mut self, key: &[u8], value: &[u8]) {
            self.inner.set(key, value)
        }

        fn remove(&mut self, key: &[u8]) {
            self.inner.remove(key)
        }
    }

    impl Counting {
        fn with(records: &[(&str, u64, u64)]) -> Self {
            let mut storage = Counting::default();
            for &(status, deadline, id) in records {
                RECORDS
                    .save(&mut storage, (status, deadline, id), &id)
                    .unwrap();
            }
            storage
        }

        /// The ids on one page and the entries read to make it.
        fn page(
            &self,
            height: u64,
            listing: Listing<&str>,
            after: Option<Position>,
            limit: u32,
        ) -> (Vec<u64>, usize) {
            self.reads.set(0);
            let page = DeadlinePage {
                height,
                after,
                limit: Some(limit),
            };
            let ids = page
                .list(listing, |status, min, max| {
                    Box::new(
                        RECORDS
                            .sub_prefix(status)
                            .range(self, min, max, Order::Ascending),
                    )
                })
                .unwrap();
            (ids, self.reads.get())
        }

        /// Every page of `listing`, each continuing after the previous page's last record.
        fn all_pages(&self, height: u64, listing: Listing<&str>, limit: u32) -> Vec<Vec<u64>> {
            let mut pages = vec![];
            let mut after = None;
            loop {
                let (ids, _) = self.page(height, listing, after, limit);
                let Some(&last) = ids.last() else {
                    return pages;
                };
                after = Some(self.position(last));
                pages.push(ids);
            }
        }

        /// What a contract does with `start_after`: look the record up and take its position.
        fn position(&self, id: u64) -> Position {
            RECORDS
                .range(&self.inner, None, None, Order::Ascending)
                .map(|item| item.unwrap().0)
                .find(|&(_, _, found)| found == id)
                .map(|(_, deadline, id)| (deadline, id))
                .expect("known id")
        }
    }

    // Ids are not in deadline order, so the tests see the order is by position.
    fn sample() -> Counting {
        Counting::with(&[
            (PENDING, 10, 1),
            (PENDING, 12, 2),
            (PENDING, 20, 3),
            (PENDING, 20, 4),
            (PENDING, 25, 5),
            (PARTIAL, 11, 6),
            (PARTIAL, 22, 7),
            (EXPIRED, 5, 8),
            (EXPIRED, 12, 9),
            (DONE, 30, 10),
            (DONE, 3, 11),
            (PENDING, 8, 12),
        ])
    }

    #[test]
    fn the_first_open_position_splits_overdue_from_open() {
        for height in 0..15 {
            for deadline in 0..15 {
                assert_eq!(
                    Deadline::at(deadline).is_overdue(height),
                    (deadline, 1) < (Deadline::first_open(height).height(), 0),
                    "deadline {deadline} height {height}"
                );
            }
        }
    }

    #[test]
    fn an_open_status_lists_only_records_that_are_not_overdue() {
        let storage = sample();
        let open = Listing::Open(PENDING);
        // At height 12 the deadline-12 record is still open after the deadline, not at it.
        let (ids, _) = storage.page(12, open, None, 10);
        assert_eq!(ids, vec![2, 3, 4, 5]);
        // Nothing is overdue yet at height 0; everything is at height 26.
        let (ids, _) = storage.page(0, open, None, 10);
        assert_eq!(ids, vec![12, 1, 2, 3, 4, 5]);
        let (ids, _) = storage.page(26, open, None, 10);
        assert!(ids.is_empty());
    }

    #[test]
    fn pages_continue_after_the_cursor() {
        let storage = sample();
        let open = Listing::Open(PENDING);
        assert_eq!(storage.all_pages(11, open, 2), vec![vec![2, 3], vec![4, 5]]);
        // Same deadline: the id decides.
        let (ids, _) = storage.page(11, open, Some((20, 3)), 10);
        assert_eq!(ids, vec![4, 5]);
        // A cursor among the overdue records does not bring them back.
        let (ids, _) = storage.page(11, open, Some((8, 12)), 10);
        assert_eq!(ids, vec![2, 3, 4, 5]);
        let final_pages = storage.all_pages(11, Listing::Final(DONE), 1);
        assert_eq!(final_pages, vec![vec![11], vec![10]]);
    }

    #[test]
    fn expired_merges_settled_and_overdue_records_in_position_order() {
        let storage = sample();
        let expired = Listing::Expired {
            expired: EXPIRED,
            open: &[PARTIAL, PENDING],
        };
        // Overdue at 21: pending 12, 1, 2, 3, 4 (deadlines 8..20) and partial 6 (11).
        let (ids, _) = storage.page(21, expired, None, 100);
        assert_eq!(ids, vec![8, 12, 1, 6, 2, 9, 3, 4]);
        assert_eq!(
            storage.all_pages(21, expired, 3),
            vec![vec![8, 12, 1], vec![6, 2, 9], vec![3, 4]]
        );
        // Records due at 20 are still open at height 20.
        let (ids, _) = storage.page(20, expired, None, 100);
        assert_eq!(ids, vec![8, 12, 1, 6, 2, 9]);
        // Only settled ones before anything is overdue.
        let (ids, _) = storage.page(0, expired, None, 100);
        assert_eq!(ids, vec![8, 9]);
        // Open and expired pages of one height split the open records between them.
        for height in 0..30 {
            let (mut all, _) = storage.page(height, expired, None, 100);
            for status in [PARTIAL, PENDING] {
                all.extend(storage.page(height, Listing::Open(status), None, 100).0);
            }
            all.sort_unstable();
            assert_eq!(all, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 12], "height {height}");
        }
    }

    #[test]
    fn a_page_reads_at_most_limit_entries_per_source_however_many_are_overdue() {
        let mut records = vec![];
        for id in 1..=500 {
            records.push((PENDING, id, id)); // overdue at height 1000
            records.push((PARTIAL, id, 1000 + id)); // overdue too
            records.push((EXPIRED, id, 2000 + id));
        }
        for id in 3001..=3020 {
            records.push((PENDING, id, id)); // live
        }
        let storage = Counting::with(&records);
        let open = Listing::Open(PENDING);
        let (ids, reads) = storage.page(1000, open, None, 10);
        assert_eq!(ids, (3001..=3010).collect::<Vec<_>>());
        assert!(reads <= 10, "{reads} entries read");
        let (ids, reads) = storage.page(1000, open, Some((3010, 3010)), 10);
        assert_eq!(ids, (3011..=3020).collect::<Vec<_>>());
        assert!(reads <= 10, "{reads} entries read");
        // Nothing live: still nothing read past the bound.
        let (ids, reads) = storage.page(5000, open, None, 10);
        assert!(ids.is_empty());
        assert_eq!(reads, 0);

        let expired = Listing::Expired {
            expired: EXPIRED,
            open: &[PARTIAL, PENDING],
        };
        let (ids, reads) = storage.page(1000, expired, Some((250, 250)), 10);
        assert_eq!(ids.len(), 10);
        assert_eq!(&ids[..3], &[1250, 2250, 251]);
        assert!(reads <= 30, "{reads} entries read");
        // A cursor past the last overdue position: the open sources are not read at all.
        let (ids, reads) = storage.page(1000, expired, Some((3005, 3005)), 10);
        assert!(ids.is_empty());
        assert_eq!(reads, 0);
    }

    #[test]
    fn read_errors_reach_the_caller() {
        let page = DeadlinePage {
            height: 1,
            after: None,
            limit: None,
        };
        let result: StdResult<Vec<u64>> = page.list(Listing::Final(DONE), |_, _, _| {
            Box::new(std::iter::once(Err(cosmwasm_std::StdError::msg("broken"))))
        });
        assert!(result.is_err());
    }
}
