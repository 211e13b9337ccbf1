//! CreateWorkspace, CreateChildWorkspace, AppendChildWorkspace and the workspace queries.

mod common;

use common::*;
use mpc_contract_kit::contract::TooLong;
use mpc_interfaces::workspace::{
    ExecuteMsg, IsOwnerResponse, QueryMsg, SignPolicyResponse, WorkspaceCreated, MAX_ALIAS_LEN,
    MAX_CHILDREN, MAX_OWNERS,
};
use mpc_interfaces::{Policy, MAX_LIMIT};
use mpc_policy::{PolicyError, MAX_DEPTH, MAX_NODES};
use mpc_workspace::ContractError;

/// The workspace id a `CreateWorkspace` or `CreateChildWorkspace` response carries as data.
fn created_id(res: &cw_multi_test::AppResponse) -> u64 {
    let data = res.data.as_ref().expect("response data");
    cosmwasm_std::from_json::<WorkspaceCreated>(data).unwrap().workspace_id
}

#[test]
fn lone_creator_gets_default_policies() {
    let mut suite = Suite::new();
    let alice = suite.addr("alice");
    let eve = suite.addr("eve");
    let res = suite.execute(&alice, &create_msg(&[], None, None, Some("treasury"))).unwrap();

    let created = with_action(&res, "wasm-workspace", "created");
    assert_eq!(created.len(), 1);
    assert_eq!(attr(created[0], "workspace_id"), "1");
    assert_eq!(attr(created[0], "sender"), alice.as_str());
    assert_eq!(attr(created[0], "owner"), alice.as_str());
    assert_eq!(created_id(&res), 1, "the id in the response data");

    let ws = suite.workspace(1);
    assert_eq!(ws.creator, alice);
    assert_eq!(ws.owners, vec![alice.clone()]);
    assert_eq!(ws.admin_policy, None);
    assert_eq!(ws.sign_policy, None);
    assert_eq!(ws.alias.as_deref(), Some("treasury"));
    assert_eq!(ws.parent_id, None);
    assert!(ws.children.is_empty());
    assert_eq!(ws.created_height, suite.height());

    let sign: SignPolicyResponse =
        suite.query(&QueryMsg::SignPolicy { workspace_id: 1, key_id: None }).unwrap();
    assert_eq!(sign.policy, Policy::any_owner());
    assert_eq!(sign.owners, vec![alice.clone()]);

    let is_owner = |suite: &Suite, address: &cosmwasm_std::Addr| -> bool {
        let res: IsOwnerResponse = suite
            .query(&QueryMsg::IsOwner { workspace_id: 1, address: address.to_string() })
            .unwrap();
        res.is_owner
    };
    assert!(is_owner(&suite, &alice));
    assert!(!is_owner(&suite, &eve));
    assert_eq!(suite.workspaces_by_owner(&alice, None, None), vec![1]);
    assert!(suite.workspaces_by_owner(&eve, None, None).is_empty());
}

#[test]
fn owners_and_policies_are_stored_as_given() {
    let mut suite = Suite::new();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| suite.addr(n));
    let admin = Policy::AnyOf { threshold: 1, of: vec![approver(&bob), owners(2)] };
    let res = suite
        .execute(&alice, &create_msg(&[&bob, &carol], Some(admin.clone()), Some(owners(3)), None))
        .unwrap();
    let created = with_action(&res, "wasm-workspace", "created")[0];
    let listed: Vec<_> =
        created.attributes.iter().filter(|a| a.key == "owner").map(|a| a.value.clone()).collect();
    assert_eq!(listed, vec![alice.to_string(), bob.to_string(), carol.to_string()]);

    let ws = suite.workspace(1);
    assert_eq!(ws.owners, vec![alice.clone(), bob.clone(), carol.clone()]);
    assert_eq!(ws.admin_policy, Some(admin));
    assert_eq!(ws.sign_policy, Some(owners(3)));
    for owner in [&alice, &bob, &carol] {
        assert_eq!(suite.workspaces_by_owner(owner, None, None), vec![1]);
    }
    let sign: SignPolicyResponse =
        suite.query(&QueryMsg::SignPolicy { workspace_id: 1, key_id: None }).unwrap();
    assert_eq!(sign.policy, owners(3));
}

#[test]
fn create_workspace_refusals_change_nothing() {
    let mut suite = Suite::new();
    let [alice, bob, eve] = ["alice", "bob", "eve"].map(|n| suite.addr(n));
    // An existing workspace, so "nothing changed" is checked against real state.
    suite.create(&alice, &[&bob], None, None);

    suite.assert_refused(
        &alice,
        &create_msg(&[&bob, &bob], None, None, None),
        ContractError::DuplicateOwner { owner: bob.to_string() },
    );
    suite.assert_refused(
        &alice,
        &create_msg(&[&alice], None, None, None),
        ContractError::DuplicateOwner { owner: alice.to_string() },
    );
    let many: Vec<_> = (0..MAX_OWNERS).map(|i| suite.addr(&format!("o{i}"))).collect();
    let many_refs: Vec<_> = many.iter().collect();
    suite.assert_refused(
        &alice,
        &create_msg(&many_refs, None, None, None),
        ContractError::TooManyOwners { max: MAX_OWNERS },
    );
    // MAX_OWNERS - 1 extra owners plus the creator is exactly the bound.
    suite.execute(&alice, &create_msg(&many_refs[1..], None, None, None)).unwrap();
    let before = suite.snapshot();
    let err = suite
        .execute(
            &alice,
            &ExecuteMsg::CreateWorkspace {
                additional_owners: vec!["not-an-address".into()],
                admin_policy: None,
                sign_policy: None,
                alias: None,
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("not-an-address") || err.to_string().contains("bech32"));
    assert_eq!(before, suite.snapshot());

    suite.assert_refused(
        &alice,
        &create_msg(&[&bob], None, Some(approver(&eve)), None),
        ContractError::Policy(PolicyError::NotAnOwner { address: eve.to_string() }),
    );
    suite.assert_refused(
        &alice,
        &create_msg(&[&bob], Some(approver(&eve)), None, None),
        ContractError::Policy(PolicyError::NotAnOwner { address: eve.to_string() }),
    );
    suite.assert_refused(
        &alice,
        &create_msg(&[&bob], None, Some(owners(3)), None),
        ContractError::Policy(PolicyError::ThresholdOutOfRange { threshold: 3, max: 2 }),
    );
    suite.assert_refused(
        &alice,
        &create_msg(&[&bob], Some(owners(0)), None, None),
        ContractError::Policy(PolicyError::ThresholdOutOfRange { threshold: 0, max: 2 }),
    );
    suite.assert_refused(
        &alice,
        &create_msg(&[&bob], None, Some(Policy::AllOf(vec![])), None),
        ContractError::Policy(PolicyError::EmptyList),
    );
    suite.assert_refused(
        &alice,
        &create_msg(&[&bob], None, Some(too_deep()), None),
        ContractError::Policy(PolicyError::TooDeep { depth: MAX_DEPTH + 1, max: MAX_DEPTH }),
    );
    suite.assert_refused(
        &alice,
        &create_msg(&[&bob], Some(too_large()), None, None),
        ContractError::Policy(PolicyError::TooLarge { nodes: MAX_NODES + 1, max: MAX_NODES }),
    );
    let long = "a".repeat(MAX_ALIAS_LEN + 1);
    suite.assert_refused(
        &alice,
        &create_msg(&[], None, None, Some(&long)),
        ContractError::TooLong(TooLong {
            field: "alias",
            len: MAX_ALIAS_LEN + 1,
            max: MAX_ALIAS_LEN,
        }),
    );
    suite.assert_refused(&alice, &create_msg(&[], None, None, Some("")), ContractError::EmptyAlias);
    // The longest alias allowed is accepted.
    suite.execute(&alice, &create_msg(&[], None, None, Some(&"a".repeat(MAX_ALIAS_LEN)))).unwrap();
}

/// A policy one level deeper than allowed.
pub fn too_deep() -> Policy {
    (0..MAX_DEPTH).fold(Policy::any_owner(), |inner, _| Policy::AllOf(vec![inner]))
}

/// A policy with one node more than allowed.
pub fn too_large() -> Policy {
    Policy::AnyOf { threshold: 1, of: vec![Policy::any_owner(); MAX_NODES] }
}

#[test]
fn child_workspace_copies_owners_and_policies() {
    let mut suite = Suite::new();
    let [alice, bob] = ["alice", "bob"].map(|n| suite.addr(n));
    let parent = suite.create(&alice, &[&bob], Some(approver(&alice)), Some(owners(2)));
    let res = suite
        .execute(
            &bob,
            &ExecuteMsg::CreateChildWorkspace {
                parent_id: parent,
                alias: Some("hot wallet".into()),
            },
        )
        .unwrap();

    let created = with_action(&res, "wasm-workspace", "created");
    assert_eq!(attr(created[0], "workspace_id"), "2");
    assert_eq!(created_id(&res), 2, "the child's id in the response data");
    assert_eq!(attr(created[0], "parent_id"), "1");
    assert_eq!(attr(created[0], "sender"), bob.as_str());
    let added = with_action(&res, "wasm-workspace", "child_added");
    assert_eq!(attr(added[0], "workspace_id"), "1");
    assert_eq!(attr(added[0], "child_id"), "2");

    let child = suite.workspace(2);
    assert_eq!(child.creator, bob);
    assert_eq!(child.owners, vec![alice.clone(), bob.clone()]);
    assert_eq!(child.admin_policy, Some(approver(&alice)));
    assert_eq!(child.sign_policy, Some(owners(2)));
    assert_eq!(child.alias.as_deref(), Some("hot wallet"));
    assert_eq!(child.parent_id, Some(1));
    assert_eq!(suite.workspace(1).children, vec![2]);
    assert_eq!(suite.workspaces_by_owner(&bob, None, None), vec![1, 2]);
}

#[test]
fn create_child_refusals_change_nothing() {
    let mut suite = Suite::new();
    let [alice, eve] = ["alice", "eve"].map(|n| suite.addr(n));
    let parent = suite.create(&alice, &[], None, None);
    let child =
        |alias: Option<String>| ExecuteMsg::CreateChildWorkspace { parent_id: parent, alias };

    suite.assert_refused(
        &eve,
        &child(None),
        ContractError::NotOwner { sender: eve.clone(), workspace_id: parent },
    );
    suite.assert_refused(
        &alice,
        &ExecuteMsg::CreateChildWorkspace { parent_id: 99, alias: None },
        ContractError::WorkspaceNotFound { workspace_id: 99 },
    );
    suite.assert_refused(
        &alice,
        &child(Some("x".repeat(MAX_ALIAS_LEN + 1))),
        ContractError::TooLong(TooLong {
            field: "alias",
            len: MAX_ALIAS_LEN + 1,
            max: MAX_ALIAS_LEN,
        }),
    );
    for _ in 0..MAX_CHILDREN {
        suite.execute(&alice, &child(None)).unwrap();
    }
    assert_eq!(suite.workspace(parent).children.len(), MAX_CHILDREN);
    suite.assert_refused(
        &alice,
        &child(None),
        ContractError::TooManyChildren { workspace_id: parent, max: MAX_CHILDREN },
    );
}

#[test]
fn append_child_links_both_ways() {
    let mut suite = Suite::new();
    let alice = suite.addr("alice");
    let parent = suite.create(&alice, &[], None, None);
    let child = suite.create(&alice, &[], None, None);
    let res = suite
        .execute(&alice, &ExecuteMsg::AppendChildWorkspace { parent_id: parent, child_id: child })
        .unwrap();
    assert_eq!(one_attr(&res, "wasm-workspace", "child_added", "workspace_id"), parent.to_string());
    assert_eq!(one_attr(&res, "wasm-workspace", "child_added", "child_id"), child.to_string());
    assert_eq!(suite.workspace(parent).children, vec![child]);
    assert_eq!(suite.workspace(child).parent_id, Some(parent));
}

#[test]
fn append_child_refusals_change_nothing() {
    let mut suite = Suite::new();
    let [alice, bob] = ["alice", "bob"].map(|n| suite.addr(n));
    let root = suite.create(&alice, &[], None, None); // 1
    let middle = suite.create(&alice, &[], None, None); // 2
    let other = suite.create(&alice, &[], None, None); // 3
    let bobs = suite.create(&bob, &[], None, None); // 4
    let append = |parent_id, child_id| ExecuteMsg::AppendChildWorkspace { parent_id, child_id };
    suite.execute(&alice, &append(root, middle)).unwrap();
    suite
        .execute(&alice, &ExecuteMsg::CreateChildWorkspace { parent_id: middle, alias: None })
        .unwrap();
    let leaf = 5;
    assert_eq!(suite.workspace(leaf).parent_id, Some(middle));

    // Authorisation: the sender must own both.
    suite.assert_refused(
        &alice,
        &append(bobs, other),
        ContractError::NotOwner { sender: alice.clone(), workspace_id: bobs },
    );
    suite.assert_refused(
        &alice,
        &append(other, bobs),
        ContractError::NotOwner { sender: alice.clone(), workspace_id: bobs },
    );
    suite.assert_refused(
        &alice,
        &append(other, 99),
        ContractError::WorkspaceNotFound { workspace_id: 99 },
    );
    suite.assert_refused(
        &alice,
        &append(other, other),
        ContractError::Cycle { parent_id: other, child_id: other },
    );
    suite.assert_refused(
        &alice,
        &append(other, middle),
        ContractError::AlreadyHasParent { child_id: middle, parent_id: root },
    );
    // The root is an ancestor of the leaf (two levels up) and of its direct child.
    suite.assert_refused(
        &alice,
        &append(leaf, root),
        ContractError::Cycle { parent_id: leaf, child_id: root },
    );
    suite.assert_refused(
        &alice,
        &append(middle, root),
        ContractError::Cycle { parent_id: middle, child_id: root },
    );

    // The children bound applies to appending too.
    for _ in 1..MAX_CHILDREN {
        suite
            .execute(&alice, &ExecuteMsg::CreateChildWorkspace { parent_id: root, alias: None })
            .unwrap();
    }
    assert_eq!(suite.workspace(root).children.len(), MAX_CHILDREN);
    suite.assert_refused(
        &alice,
        &append(root, other),
        ContractError::TooManyChildren { workspace_id: root, max: MAX_CHILDREN },
    );
}

#[test]
fn workspace_queries_refuse_unknown_ids_and_bad_addresses() {
    let mut suite = Suite::new();
    let alice = suite.addr("alice");
    suite.create(&alice, &[], None, None);
    let err = suite
        .query::<IsOwnerResponse>(&QueryMsg::IsOwner {
            workspace_id: 7,
            address: alice.to_string(),
        })
        .unwrap_err();
    assert_contract_error(&err, &ContractError::WorkspaceNotFound { workspace_id: 7 });
    let err = suite
        .query::<SignPolicyResponse>(&QueryMsg::SignPolicy { workspace_id: 7, key_id: None })
        .unwrap_err();
    assert_contract_error(&err, &ContractError::WorkspaceNotFound { workspace_id: 7 });
    assert!(suite
        .query::<IsOwnerResponse>(&QueryMsg::IsOwner { workspace_id: 1, address: "nobody".into() })
        .is_err());
}

#[test]
fn workspaces_page_with_start_after_and_clamped_limit() {
    let mut suite = Suite::new();
    let [alice, bob] = ["alice", "bob"].map(|n| suite.addr(n));
    let total = MAX_LIMIT as u64 + 5;
    for i in 1..=total {
        // Bob co-owns every third workspace.
        let extra: Vec<&cosmwasm_std::Addr> = if i % 3 == 0 { vec![&bob] } else { vec![] };
        suite.execute(&alice, &create_msg(&extra, None, None, None)).unwrap();
    }
    let page = |suite: &Suite, start_after, limit| -> Vec<u64> {
        let res: mpc_interfaces::workspace::WorkspacesResponse =
            suite.query(&QueryMsg::Workspaces { start_after, limit }).unwrap();
        res.workspaces.iter().map(|w| w.id).collect()
    };
    assert_eq!(page(&suite, None, None), (1..=10).collect::<Vec<_>>());
    assert_eq!(page(&suite, Some(10), Some(3)), vec![11, 12, 13]);
    assert_eq!(page(&suite, Some(total - 1), None), vec![total]);
    assert!(page(&suite, Some(total), None).is_empty());
    assert_eq!(page(&suite, None, Some(0)), vec![1]);
    assert_eq!(page(&suite, None, Some(1000)).len(), MAX_LIMIT as usize);

    assert_eq!(suite.workspaces_by_owner(&bob, None, Some(3)), vec![3, 6, 9]);
    assert_eq!(suite.workspaces_by_owner(&bob, Some(9), Some(2)), vec![12, 15]);
    assert_eq!(suite.workspaces_by_owner(&bob, Some(100), None), vec![102, 105]);
    assert_eq!(suite.workspaces_by_owner(&alice, None, Some(1000)).len(), MAX_LIMIT as usize);
}
