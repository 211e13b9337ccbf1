//! The "needs your approval" lists, computed at query time. Who may vote on an open record
//! depends on the policy and owners in force, which change in the workspace contract without
//! touching the records (any number of them), so no index could list exactly the approvers a
//! record awaits without a write per open record at every change. Instead a page walks the
//! approver's workspaces in id order, and in each the open records in position order, keeping
//! those that await the approver now, whenever they became eligible. A page reads at most
//! `MAX_INBOX_SCAN` entries (workspaces and records), whatever it finds, and says where the next
//! page continues (`InboxCursor`).

use cosmwasm_std::StdResult;
use mpc_interfaces::{page_limit, InboxCursor, MAX_INBOX_SCAN};

/// The open records of a workspace after a cursor, each with what the page lists of it if it
/// awaits the approver (`None` if it does not), in position order.
pub type Candidates<'a, T> = Box<dyn Iterator<Item = StdResult<(u64, Option<T>)>> + 'a>;

/// One page of an inbox. `workspaces` yields the approver's workspaces in id order, from the
/// cursor's workspace on (inclusive); `records(workspace_id, after)` the open records of a
/// workspace after record `after`.
pub fn page<'a, T>(
    start_after: Option<InboxCursor>,
    limit: Option<u32>,
    workspaces: impl IntoIterator<Item = StdResult<u64>>,
    mut records: impl FnMut(u64, Option<u64>) -> StdResult<Candidates<'a, T>>,
) -> StdResult<(Vec<T>, Option<InboxCursor>)> {
    let limit = page_limit(limit);
    let mut budget = MAX_INBOX_SCAN;
    let mut found = vec![];
    for workspace_id in workspaces {
        let workspace_id = workspace_id?;
        if budget == 0 || found.len() == limit {
            return Ok((
                found,
                Some(InboxCursor {
                    workspace_id,
                    after: None,
                }),
            ));
        }
        budget -= 1;
        let after = start_after
            .filter(|cursor| cursor.workspace_id == workspace_id)
            .and_then(|cursor| cursor.after);
        let mut last = after;
        for candidate in records(workspace_id, after)? {
            if budget == 0 || found.len() == limit {
                return Ok((
                    found,
                    Some(InboxCursor {
                        workspace_id,
                        after: last,
                    }),
                ));
            }
            budget -= 1;
            let (id, item) = candidate?;
            last = Some(id);
            found.extend(item);
        }
    }
    Ok((found, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Workspace `w` holds records `w * 1000 + 1..=w * 1000 + n`; those `awaits` names await.
    fn run(
        workspaces: &[(u64, u64)],
        start_after: Option<InboxCursor>,
        limit: u32,
    ) -> (Vec<u64>, Option<InboxCursor>) {
        run_with(workspaces, start_after, limit, |id| id % 2 == 0)
    }

    fn run_with(
        workspaces: &[(u64, u64)],
        start_after: Option<InboxCursor>,
        limit: u32,
        awaits: fn(u64) -> bool,
    ) -> (Vec<u64>, Option<InboxCursor>) {
        let from = start_after.map_or(0, |c| c.workspace_id);
        let ids = workspaces
            .iter()
            .filter(|(w, _)| *w >= from)
            .map(|(w, _)| Ok(*w));
        page(start_after, Some(limit), ids, |w, after| {
            let n = workspaces.iter().find(|(id, _)| *id == w).unwrap().1;
            let records =
                (w * 1000 + 1..=w * 1000 + n).filter(move |id| after.is_none_or(|a| *id > a));
            Ok(
                Box::new(records.map(move |id| Ok((id, awaits(id).then_some(id)))))
                    as Candidates<u64>,
            )
        })
        .unwrap()
    }

    /// Every page in turn until `next` is `None`.
    fn all(workspaces: &[(u64, u64)], limit: u32) -> (Vec<u64>, usize) {
        let (mut ids, mut pages, mut cursor) = (vec![], 0, None);
        loop {
            let (page, next) = run(workspaces, cursor, limit);
            ids.extend(page);
            pages += 1;
            match next {
                Some(next) => cursor = Some(next),
                None => return (ids, pages),
            }
        }
    }

    #[test]
    fn pages_list_every_awaiting_record_once_in_workspace_then_record_order() {
        let workspaces = [(1, 3), (2, 0), (5, 6)];
        let (ids, _) = all(&workspaces, 2);
        assert_eq!(ids, vec![1002, 5002, 5004, 5006]);
        assert_eq!(all(&workspaces, 100).0, ids);
    }

    #[test]
    fn a_page_reads_at_most_the_scan_bound_and_says_where_to_go_on() {
        // 150 records that do not await, then one that does: the first page stops at the bound.
        let last_only = |id| id == 1151;
        let (page, next) = run_with(&[(1, 151)], None, 10, last_only);
        assert!(page.is_empty());
        let cursor = InboxCursor {
            workspace_id: 1,
            after: Some(1099),
        };
        assert_eq!(next, Some(cursor));
        let (page, next) = run_with(&[(1, 151)], Some(cursor), 10, last_only);
        assert_eq!((page, next), (vec![1151], None));
        // Many workspaces with nothing: the bound holds too.
        let empty: Vec<(u64, u64)> = (1..=500).map(|w| (w, 0)).collect();
        let (page, next) = run(&empty, None, 10);
        assert!(page.is_empty());
        assert_eq!(
            next,
            Some(InboxCursor {
                workspace_id: 101,
                after: None
            })
        );
        assert_eq!(all(&empty, 10).1, 5);
    }
}
