//! Expiry, the connector's work list and other list queries, and fee conservation.

mod common;

use common::*;
use cosmwasm_std::coin;
use mpc_contract_kit::lifecycle::LifecycleError;
use mpc_interfaces::keyring::{
    ExecuteMsg, KeyRequestStatus, KeysResponse, QueryMsg, MAX_EXPIRE_BATCH,
};
use mpc_interfaces::KeyType;
use mpc_keyring::ContractError;

use KeyRequestStatus::{Expired, Fulfilled, Pending, Rejected};

fn request_with_timeout(suite: &mut Suite, keyring_id: u64, timeout: u64) -> u64 {
    let owner = suite.owner.clone();
    let res = suite
        .execute(
            &owner,
            &ExecuteMsg::RequestKey {
                workspace_id: 1,
                keyring_id,
                key_type: KeyType::EcdsaSecp256k1,
                timeout_blocks: Some(timeout),
                max_fee: None,
            },
            &[coin(KEY_FEE, DENOM)],
        )
        .unwrap();
    attribute(&res, "wasm-key_request", "request_id").parse().unwrap()
}

#[test]
fn expire_settles_overdue_requests_and_refunds() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let owner = suite.owner.clone();
    let stranger = suite.stranger.clone();
    let first = request_with_timeout(&mut suite, keyring_id, 5);
    let second = request_with_timeout(&mut suite, keyring_id, 5);
    assert_eq!(suite.balance(&owner, DENOM), START_BALANCE - 2 * KEY_FEE);

    suite.advance(6);
    // Anyone may settle them.
    let res = suite
        .execute(
            &stranger,
            &ExecuteMsg::ExpireKeyRequests { request_ids: vec![first, second] },
            &[],
        )
        .unwrap();
    assert_eq!(actions(&res, "wasm-key_request"), vec!["expired", "expired"]);
    assert_eq!(attribute(&res, "wasm-key_request", "status"), "expired");
    assert_eq!(suite.request(first).status, Expired);
    assert_eq!(suite.request(second).status, Expired);
    assert_eq!(suite.balance(&owner, DENOM), START_BALANCE);
    assert_eq!(suite.balance(&suite.keyring, DENOM), 0);
    assert_eq!(suite.balance(&stranger, DENOM), START_BALANCE);
}

#[test]
fn expire_refusals() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let stranger = suite.stranger.clone();
    let overdue = request_with_timeout(&mut suite, keyring_id, 1);
    suite.advance(2);
    let open = request_with_timeout(&mut suite, keyring_id, 10);
    let expire = |ids: Vec<u64>| ExecuteMsg::ExpireKeyRequests { request_ids: ids };

    suite.assert_refused(
        &stranger,
        &expire(vec![]),
        &[],
        ContractError::Lifecycle(LifecycleError::EmptyExpireBatch),
    );
    suite.assert_refused(
        &stranger,
        &expire(vec![overdue; MAX_EXPIRE_BATCH + 1]),
        &[],
        ContractError::Lifecycle(LifecycleError::TooManyExpireIds {
            count: MAX_EXPIRE_BATCH + 1,
            max: MAX_EXPIRE_BATCH,
        }),
    );
    // One bad id in the batch refuses the whole batch, naming that id.
    suite.assert_refused(
        &stranger,
        &expire(vec![overdue, open]),
        &[],
        ContractError::Lifecycle(LifecycleError::NotOverdue { id: open }),
    );
    suite.assert_refused(
        &stranger,
        &expire(vec![overdue, 55]),
        &[],
        ContractError::KeyRequestNotFound { request_id: 55 },
    );
    // The same id twice: the second sees it settled already.
    suite.assert_refused(
        &stranger,
        &expire(vec![overdue, overdue]),
        &[],
        ContractError::Lifecycle(LifecycleError::Closed {
            id: overdue,
            status: KeyRequestStatus::Expired,
        }),
    );

    // Fulfilled requests are final, even after their deadline.
    let key = ecdsa_public_key(8);
    suite.fulfil(open, &key);
    suite.advance(20);
    suite.assert_refused(
        &stranger,
        &expire(vec![open]),
        &[],
        ContractError::Lifecycle(LifecycleError::Closed {
            id: open,
            status: KeyRequestStatus::Fulfilled,
        }),
    );
}

#[test]
fn work_list_shows_pending_by_deadline_and_hides_overdue() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    let other_keyring = suite.create_default_keyring();
    // Ids 1..=4 with deadlines +30, +10, +20, +2.
    let r1 = request_with_timeout(&mut suite, keyring_id, 30);
    let r2 = request_with_timeout(&mut suite, keyring_id, 10);
    let r3 = request_with_timeout(&mut suite, keyring_id, 20);
    let r4 = request_with_timeout(&mut suite, keyring_id, 2);
    let elsewhere = request_with_timeout(&mut suite, other_keyring, 10);

    // Most urgent first.
    assert_eq!(suite.requests_by_keyring(keyring_id, Pending, None, None), vec![r4, r2, r3, r1]);
    assert_eq!(suite.requests_by_keyring(other_keyring, Pending, None, None), vec![elsewhere]);
    // Paging with start_after = last id of the previous page.
    assert_eq!(suite.requests_by_keyring(keyring_id, Pending, None, Some(2)), vec![r4, r2]);
    assert_eq!(suite.requests_by_keyring(keyring_id, Pending, Some(r2), Some(2)), vec![r3, r1]);
    assert_eq!(
        suite.requests_by_keyring(keyring_id, Pending, Some(r1), Some(2)),
        Vec::<u64>::new()
    );

    // r4 passes its deadline: gone from Pending, listed as Expired without anyone settling it.
    suite.advance(3);
    assert_eq!(suite.requests_by_keyring(keyring_id, Pending, None, None), vec![r2, r3, r1]);
    // A cursor from before the overdue ones still starts at the first open request.
    assert_eq!(suite.requests_by_keyring(keyring_id, Pending, Some(r4), None), vec![r2, r3, r1]);
    assert_eq!(suite.requests_by_keyring(keyring_id, Expired, None, None), vec![r4]);

    // Settle r4, let r2 go overdue unsettled: Expired merges both, in deadline order.
    let stranger = suite.stranger.clone();
    suite
        .execute(&stranger, &ExecuteMsg::ExpireKeyRequests { request_ids: vec![r4] }, &[])
        .unwrap();
    suite.advance(10);
    assert_eq!(suite.requests_by_keyring(keyring_id, Expired, None, None), vec![r4, r2]);
    assert_eq!(suite.requests_by_keyring(keyring_id, Expired, None, Some(1)), vec![r4]);
    assert_eq!(suite.requests_by_keyring(keyring_id, Expired, Some(r4), Some(1)), vec![r2]);
    assert_eq!(suite.requests_by_keyring(keyring_id, Pending, None, None), vec![r3, r1]);

    // Fulfilled and rejected lists.
    let p3 = suite.parties[2].clone();
    let key = ecdsa_public_key(11);
    suite.fulfil(r3, &key);
    suite.submit(&p3, r1, failure("x")).unwrap();
    assert_eq!(suite.requests_by_keyring(keyring_id, Fulfilled, None, None), vec![r3]);
    assert_eq!(suite.requests_by_keyring(keyring_id, Rejected, None, None), vec![r1]);
    assert_eq!(suite.requests_by_keyring(keyring_id, Pending, None, None), Vec::<u64>::new());
}

#[test]
fn keys_by_workspace_pages() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    for seed in 1..=3u8 {
        let request_id = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
        let key = ecdsa_public_key(seed);
        suite.fulfil(request_id, &key);
    }
    let page = |workspace_id, start_after, limit| -> Vec<u64> {
        let res: KeysResponse =
            suite.query(&QueryMsg::KeysByWorkspace { workspace_id, start_after, limit });
        res.keys.iter().map(|k| k.id).collect()
    };
    assert_eq!(page(1, None, Some(2)), vec![1, 2]);
    assert_eq!(page(1, Some(2), Some(2)), vec![3]);
    assert_eq!(page(2, None, None), Vec::<u64>::new());
    assert!(suite
        .query_err(&QueryMsg::Key { key_id: 4 })
        .contains(&ContractError::KeyNotFound { key_id: 4 }.to_string()));
}

/// Over a mix of fulfilled, rejected, expired and open requests: what requesters paid equals
/// what parties received plus refunds plus what the contract holds for open requests.
#[test]
fn fees_are_conserved() {
    let mut suite = Suite::new();
    let keyring_id = suite.create_default_keyring();
    // A second keyring with an uneven fee, so that remainders are exercised.
    suite.create_keyring_with(3, vec![coin(1_000, DENOM)]);
    let all_of_three = 2;
    let owner = suite.owner.clone();
    let [p1, p2, p3] = [0, 1, 2].map(|i| suite.parties[i].clone());
    let key = |seed| ecdsa_public_key(seed);

    let fulfilled = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    suite.fulfil(fulfilled, &key(1));

    let rejected = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    // One failure: the key needs every party, so it cannot come about.
    suite.submit(&p2, rejected, failure("a")).unwrap();

    let owner_msg = suite.request_key_msg(all_of_three, KeyType::EcdsaSecp256k1);
    for _ in 0..2 {
        suite.execute(&owner, &owner_msg, &[coin(1_000, DENOM)]).unwrap();
    }
    let (uneven, open) = (3, 4);
    for party in [&p2, &p1, &p3] {
        suite.submit(party, uneven, success(&key(2))).unwrap();
    }

    let expired = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    suite.submit(&p1, expired, success(&key(3))).unwrap();
    let still_open = suite.request_key(keyring_id, KeyType::EcdsaSecp256k1);
    suite.advance(101);
    let stranger = suite.stranger.clone();
    suite
        .execute(&stranger, &ExecuteMsg::ExpireKeyRequests { request_ids: vec![expired] }, &[])
        .unwrap();
    // `still_open` and `open` are overdue but unsettled: their fees are still held.

    let statuses: Vec<_> = [fulfilled, rejected, uneven, open, expired, still_open]
        .iter()
        .map(|id| suite.request(*id).status)
        .collect();
    assert_eq!(statuses, vec![Fulfilled, Rejected, Fulfilled, Expired, Expired, Expired]);

    let paid_by_requester = 4 * KEY_FEE + 2 * 1_000;
    let refunded = 2 * KEY_FEE; // rejected + expired (settled)
    let owner_spent = START_BALANCE - suite.balance(&owner, DENOM);
    assert_eq!(owner_spent, paid_by_requester - refunded);
    let parties_received: u128 = [&p1, &p2, &p3].iter().map(|p| suite.balance(p, DENOM)).sum();
    assert_eq!(parties_received, KEY_FEE + 1_000);
    // The contract holds exactly the fees of requests not settled yet.
    let held = suite.balance(&suite.keyring, DENOM);
    assert_eq!(held, KEY_FEE + 1_000);
    assert_eq!(paid_by_requester, parties_received + refunded + held);
    // 1_000 / 3 twice: p1 answered `fulfilled` first and p2 `uneven`, each took a remainder.
    assert_eq!(suite.balance(&p1, DENOM), 334 + 333);
    assert_eq!(suite.balance(&p2, DENOM), 333 + 334);
    assert_eq!(suite.balance(&p3, DENOM), 333 + 333);

    // Settling the rest returns exactly what is held.
    suite
        .execute(
            &stranger,
            &ExecuteMsg::ExpireKeyRequests { request_ids: vec![open, still_open] },
            &[],
        )
        .unwrap();
    assert_eq!(suite.balance(&suite.keyring, DENOM), 0);
    assert_eq!(START_BALANCE - suite.balance(&owner, DENOM), parties_received);
}
