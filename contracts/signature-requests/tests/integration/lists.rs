//! Lists by status when requests are left to expire: overdue requests stay stored `partial` or
//! `pending` until someone settles them, but read (and are listed) as `expired`. Pages are in
//! (deadline height, id) order and continue after the `start_after` request.

use cosmwasm_std::Addr;
use mpc_interfaces::signature_requests::{
    ExecuteMsg, QueryMsg, SignRequestStatus, SignatureRequestsResponse,
};
use mpc_interfaces::{KeyType, Policy};
use mpc_signature_requests::ContractError;

use crate::suite::*;
use mpc_interfaces::InboxCursor;

/// `alice` asks for a signature with the given timeouts; returns the request id.
fn request_with(suite: &mut Suite, key_id: u64, seed: u8, approval: u64, mpc: u64) -> u64 {
    let alice = suite.alice.clone();
    let res = suite
        .execute(
            &alice,
            &ExecuteMsg::RequestSignature {
                key_id,
                items: vec![hash(seed)],
                approval_timeout_blocks: Some(approval),
                mpc_timeout_blocks: Some(mpc),
                callback: false,
                max_fee: None,
            },
            &Suite::fee(),
        )
        .unwrap();
    event_attr(&res, "wasm-signature_request", "request_id").parse().unwrap()
}

fn by_keyring(
    suite: &Suite, status: SignRequestStatus, start_after: Option<u64>, limit: Option<u32>,
) -> Vec<u64> {
    suite.list(&QueryMsg::RequestsByKeyring {
        keyring_id: suite.keyring_id,
        status,
        start_after,
        limit,
    })
}

/// A page of `approver`'s inbox, after request `start_after` of the suite's workspace.
fn awaiting(
    suite: &Suite, approver: &Addr, start_after: Option<u64>, limit: Option<u32>,
) -> Vec<u64> {
    let cursor = start_after
        .map(|after| InboxCursor { workspace_id: suite.workspace_id, after: Some(after) });
    suite.inbox_page(approver, cursor, limit).0
}

/// Every page of a list, each asked with the previous page's last id as `start_after`.
fn pages(list: impl Fn(Option<u64>) -> Vec<u64>) -> Vec<Vec<u64>> {
    let mut pages = vec![];
    let mut start_after = None;
    loop {
        let page = list(start_after);
        match page.last() {
            None => return pages,
            Some(&last) => start_after = Some(last),
        }
        pages.push(page);
    }
}

/// Requests made with two keys of one keyring: `direct` (any one owner signs, so requests go
/// straight to `pending`) and `two_owners` (requests wait `partial` for a second owner).
struct Scenario {
    suite: Suite,
    start: u64,
    /// Pending, MPC deadline start + 20.
    live_pending_late: u64,
    /// Pending, MPC deadline start + 3.
    pending_due_3: Vec<u64>,
    /// Partial, approval deadline start + 4.
    partial_due_4: Vec<u64>,
    /// Pending, MPC deadline start + 2; settled with `Expire` once overdue.
    settled_expired: u64,
    fulfilled: u64,
    /// Made one block later. Pending, MPC deadline start + 11.
    live_pending_early: u64,
    /// Partial, approval deadline start + 31.
    live_partial_late: u64,
    /// Partial, approval deadline start + 11.
    live_partial_early: u64,
    /// Partial, approval deadline start + 31; approved by bob later (MPC timeout 20).
    approved_later: u64,
    rejected: u64,
}

impl Scenario {
    fn new() -> Self {
        let mut suite = Suite::with_policy(None);
        let direct = suite.create_key(KeyType::EcdsaSecp256k1, None);
        let two_owners =
            suite.create_key(KeyType::EcdsaSecp256k1, Some(Policy::Owners { threshold: Some(2) }));
        let start = suite.height();
        let live_pending_late = request_with(&mut suite, direct, 1, 50, 20);
        let pending_due_3 =
            (2..5).map(|seed| request_with(&mut suite, direct, seed, 50, 3)).collect();
        let partial_due_4 =
            (5..7).map(|seed| request_with(&mut suite, two_owners, seed, 4, 20)).collect();
        let settled_expired = request_with(&mut suite, direct, 7, 50, 2);
        let fulfilled = request_with(&mut suite, direct, 8, 50, 20);
        let parties = suite.parties.clone();
        for party in &parties[..2] {
            let signatures = suite.sign(fulfilled);
            suite.submit(party, fulfilled, signatures).unwrap();
        }

        suite.advance(1);
        let live_pending_early = request_with(&mut suite, direct, 9, 50, 10);
        let live_partial_late = request_with(&mut suite, two_owners, 10, 30, 20);
        let live_partial_early = request_with(&mut suite, two_owners, 11, 10, 20);
        let approved_later = request_with(&mut suite, two_owners, 12, 30, 20);
        let rejected = request_with(&mut suite, two_owners, 13, 30, 20);
        let (bob, carol) = (suite.bob.clone(), suite.carol.clone());
        suite.reject(&bob, rejected).unwrap();
        suite.reject(&carol, rejected).unwrap();
        Scenario {
            suite,
            start,
            live_pending_late,
            pending_due_3,
            partial_due_4,
            settled_expired,
            fulfilled,
            live_pending_early,
            live_partial_late,
            live_partial_early,
            approved_later,
            rejected,
        }
    }
}

#[test]
fn overdue_requests_leave_the_open_lists_for_expired() {
    let mut s = Scenario::new();
    let (bob, carol, outsider) =
        (s.suite.bob.clone(), s.suite.carol.clone(), s.suite.outsider.clone());
    assert_eq!(s.suite.query_request(s.fulfilled).status, SignRequestStatus::Fulfilled);
    assert_eq!(s.suite.query_request(s.rejected).status, SignRequestStatus::Rejected);

    // At height start + 3, a deadline of start + 3 is still open; start + 2 is overdue.
    s.suite.advance(2);
    assert_eq!(s.suite.height(), s.start + 3);
    let mut pending = s.pending_due_3.clone();
    pending.extend([s.live_pending_early, s.live_pending_late]);
    assert_eq!(by_keyring(&s.suite, SignRequestStatus::Pending, None, None), pending);
    let mut partial = s.partial_due_4.clone();
    partial.extend([s.live_partial_early, s.live_partial_late, s.approved_later]);
    assert_eq!(by_keyring(&s.suite, SignRequestStatus::Partial, None, None), partial);
    assert_eq!(
        by_keyring(&s.suite, SignRequestStatus::Expired, None, None),
        vec![s.settled_expired]
    );

    // Three blocks on, the requests due at start + 3 and start + 4 are overdue, unsettled.
    s.suite.advance(3);
    s.suite.expire(&outsider, vec![s.settled_expired]).unwrap();
    // Approval moves a request from the partial list to its MPC deadline in the pending list.
    s.suite.approve(&bob, s.approved_later).unwrap();
    assert_eq!(s.suite.query_request(s.approved_later).mpc_deadline_height, Some(s.start + 6 + 20));

    // Deadline order, not id order: the request made later is due sooner.
    let live_pending = vec![s.live_pending_early, s.live_pending_late, s.approved_later];
    assert!(s.live_pending_early > s.live_pending_late);
    assert_eq!(by_keyring(&s.suite, SignRequestStatus::Pending, None, None), live_pending);
    assert_eq!(
        by_keyring(&s.suite, SignRequestStatus::Partial, None, None),
        vec![s.live_partial_early, s.live_partial_late]
    );
    let mut expired = vec![s.settled_expired];
    expired.extend(&s.pending_due_3);
    expired.extend(&s.partial_due_4);
    assert_eq!(by_keyring(&s.suite, SignRequestStatus::Expired, None, None), expired);
    // Listed as expired, stored as before: nobody settled them.
    for &id in s.pending_due_3.iter().chain(&s.partial_due_4) {
        let request = s.suite.query_request(id);
        assert_eq!(request.status, SignRequestStatus::Expired);
    }
    assert_eq!(by_keyring(&s.suite, SignRequestStatus::Fulfilled, None, None), vec![s.fulfilled]);
    assert_eq!(by_keyring(&s.suite, SignRequestStatus::Rejected, None, None), vec![s.rejected]);

    // Only live partial requests await an approver who has not voted.
    assert_eq!(
        awaiting(&s.suite, &carol, None, None),
        vec![s.live_partial_early, s.live_partial_late]
    );
    assert_eq!(
        awaiting(&s.suite, &bob, None, None),
        vec![s.live_partial_early, s.live_partial_late]
    );
    // Once carol votes, the request leaves her list only.
    s.suite.reject(&carol, s.live_partial_early).unwrap();
    assert_eq!(awaiting(&s.suite, &carol, None, None), vec![s.live_partial_late]);
    assert_eq!(
        awaiting(&s.suite, &bob, None, None),
        vec![s.live_partial_early, s.live_partial_late]
    );
}

#[test]
fn pages_continue_after_start_after_in_deadline_order() {
    let mut s = Scenario::new();
    s.suite.advance(5);
    let bob = s.suite.bob.clone();
    let suite = &s.suite;

    // `approved_later` is still partial here: two live requests are pending.
    let pending = [s.live_pending_early, s.live_pending_late];
    assert_eq!(
        pages(|after| by_keyring(suite, SignRequestStatus::Pending, after, Some(1))),
        vec![vec![pending[0]], vec![pending[1]]]
    );
    // A cursor on a request that has since gone overdue continues with the live ones.
    assert_eq!(
        by_keyring(suite, SignRequestStatus::Pending, Some(s.pending_due_3[2]), None),
        pending
    );

    let mut expired = s.pending_due_3.clone();
    expired.extend(&s.partial_due_4);
    let mut all_expired = vec![s.settled_expired];
    all_expired.extend(&expired);
    // Before `Expire`, the request due at start + 2 is overdue pending; the order is the same.
    let expired_pages =
        pages(|after| by_keyring(suite, SignRequestStatus::Expired, after, Some(2)));
    assert_eq!(expired_pages, all_expired.chunks(2).map(<[u64]>::to_vec).collect::<Vec<_>>());
    let partial_pages =
        pages(|after| by_keyring(suite, SignRequestStatus::Partial, after, Some(2)));
    assert_eq!(
        partial_pages,
        vec![vec![s.live_partial_early, s.live_partial_late], vec![s.approved_later]]
    );
    let bobs = pages(|after| awaiting(suite, &bob, after, Some(1)));
    assert_eq!(
        bobs,
        vec![vec![s.live_partial_early], vec![s.live_partial_late], vec![s.approved_later]]
    );
    assert_eq!(
        suite.inbox_page(&bob, None, Some(1)).1.map(|c| c.after),
        Some(Some(s.live_partial_early))
    );
    // A cursor on an overdue partial request skips to the live ones.
    assert_eq!(
        awaiting(suite, &bob, Some(s.partial_due_4[0]), None),
        vec![s.live_partial_early, s.live_partial_late, s.approved_later]
    );
    // Final lists page too.
    assert_eq!(
        pages(|after| by_keyring(suite, SignRequestStatus::Rejected, after, Some(1))),
        vec![vec![s.rejected]]
    );
}

#[test]
fn start_after_an_unknown_request_is_refused() {
    let s = Scenario::new();
    let unknown = 999;
    for msg in [
        QueryMsg::RequestsByKeyring {
            keyring_id: s.suite.keyring_id,
            status: SignRequestStatus::Pending,
            start_after: Some(unknown),
            limit: None,
        },
        QueryMsg::RequestsAwaitingApprover {
            approver: s.suite.bob.to_string(),
            start_after: Some(InboxCursor {
                workspace_id: s.suite.workspace_id,
                after: Some(unknown),
            }),
            limit: None,
        },
    ] {
        let err = s
            .suite
            .app
            .wrap()
            .query_wasm_smart::<SignatureRequestsResponse>(&s.suite.contract, &msg)
            .unwrap_err();
        // A query error reaches the caller as text, after the querier's prefix.
        let expected = ContractError::RequestNotFound { request_id: unknown };
        assert!(err.to_string().ends_with(&format!("error: {expected}")), "{err}");
    }
}

#[test]
fn more_overdue_requests_than_a_page_do_not_hide_the_live_ones() {
    let mut suite = Suite::with_policy(None);
    let key_id = suite.create_key(KeyType::EcdsaSecp256k1, None);
    // More overdue requests than the largest page, all before the live one in the pending index:
    // the range bound starts past them (mpc-contract-kit's deadline_list tests count the reads).
    let overdue: Vec<u64> =
        (0..120u8).map(|seed| request_with(&mut suite, key_id, seed, 50, 1)).collect();
    let live = request_with(&mut suite, key_id, 200, 50, 20);
    suite.advance(2);
    assert_eq!(by_keyring(&suite, SignRequestStatus::Pending, None, Some(100)), vec![live]);
    let expired = pages(|after| by_keyring(&suite, SignRequestStatus::Expired, after, Some(100)));
    assert_eq!(expired.len(), 2);
    assert_eq!(expired.concat(), overdue);
}
