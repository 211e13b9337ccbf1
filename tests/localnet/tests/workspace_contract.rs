//! The workspace contract's chain artifact on a real wasmd node: upload, instantiate, a workspace
//! created by a signed transaction, queried back; a refused transaction changes nothing.
//!
//! Needs `artifacts/mpc_workspace.wasm` (scripts/build-wasm.sh; scripts/test.sh builds it before
//! the tests).

use std::path::PathBuf;

use mpc_interfaces::events::{action, attr, WORKSPACE_EVENT};
use mpc_interfaces::workspace::{
    ExecuteMsg, InstantiateMsg, IsOwnerResponse, QueryMsg, WorkspaceResponse, WorkspacesResponse,
};
use mpc_localnet::{Localnet, LocalnetError};

fn artifact(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../artifacts")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-wasm.sh first",
        path.display()
    );
    path
}

fn create_workspace(additional_owners: &[&str], alias: &str) -> ExecuteMsg {
    ExecuteMsg::CreateWorkspace {
        additional_owners: additional_owners.iter().map(|s| s.to_string()).collect(),
        admin_policy: None,
        sign_policy: None,
        alias: Some(alias.to_string()),
    }
}

fn all_workspaces(chain: &Localnet, contract: &str) -> Vec<WorkspaceResponse> {
    let list: WorkspacesResponse = chain
        .query_smart(
            contract,
            &QueryMsg::Workspaces {
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    list.workspaces
}

#[test]
fn workspace_created_by_a_signed_tx_is_queried_back() {
    let chain = Localnet::start(&["alice", "bob", "carol"]).expect("localnet starts");
    let alice = chain.account("alice").unwrap().address.clone();
    let bob = chain.account("bob").unwrap().address.clone();
    let carol = chain.account("carol").unwrap().address.clone();

    let contract = chain
        .store_and_instantiate(
            &artifact("mpc_workspace.wasm"),
            &InstantiateMsg {
                action_timeout_blocks: Some(50),
            },
            "mpc-workspace",
        )
        .unwrap();
    assert!(contract.starts_with("wasm1"));

    let created = chain
        .execute(
            "alice",
            &contract,
            &create_workspace(&[&bob], "treasury"),
            None,
        )
        .unwrap();
    let event_kind = format!("wasm-{WORKSPACE_EVENT}");
    let event = created
        .events_of(&event_kind)
        .next()
        .expect("a wasm-workspace event");
    assert_eq!(event.attribute(attr::ACTION), Some(action::CREATED));
    assert_eq!(
        event.attribute("_contract_address"),
        Some(contract.as_str())
    );
    let workspace_id: u64 = event
        .attribute(attr::WORKSPACE_ID)
        .unwrap()
        .parse()
        .unwrap();

    let workspace: WorkspaceResponse = chain
        .query_smart(&contract, &QueryMsg::Workspace { workspace_id })
        .unwrap();
    assert_eq!(workspace.id, workspace_id);
    assert_eq!(workspace.creator.as_str(), alice);
    let mut owners: Vec<String> = workspace.owners.iter().map(|o| o.to_string()).collect();
    owners.sort();
    let mut expected = vec![alice.clone(), bob.clone()];
    expected.sort();
    assert_eq!(owners, expected);
    assert_eq!(workspace.alias.as_deref(), Some("treasury"));
    assert_eq!(workspace.created_height, created.height);

    let is_owner = |address: &str| -> bool {
        let answer: IsOwnerResponse = chain
            .query_smart(
                &contract,
                &QueryMsg::IsOwner {
                    workspace_id,
                    address: address.to_string(),
                },
            )
            .unwrap();
        answer.is_owner
    };
    assert!(is_owner(&bob));
    assert!(!is_owner(&carol));

    // A duplicate owner is refused with the contract's error, and no workspace appears.
    let refused = chain.execute(
        "carol",
        &contract,
        &create_workspace(&[&bob, &bob], "dup"),
        None,
    );
    match refused {
        Err(LocalnetError::TxRefused { log, .. }) => assert!(
            log.contains(&format!("{bob} is listed as an owner more than once")),
            "{log}"
        ),
        other => panic!("expected the contract to refuse, got {other:?}"),
    }
    let workspaces = all_workspaces(&chain, &contract);
    assert_eq!(workspaces.len(), 1);
    assert_eq!(workspaces[0].id, workspace_id);
}
