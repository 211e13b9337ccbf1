//! One function per execute message, plus the rules they share: validation of owners, policies
//! and aliases, the admin-action state machine, and the events.

use cosmwasm_std::{
    to_json_binary, Addr, Api, DepsMut, Env, Event, MessageInfo, Response, Storage,
};
use cw_utils::nonpayable;
use mpc_contract_kit::apply_changes;
use mpc_contract_kit::awaiting;
use mpc_contract_kit::config::{self, ConfigChanges};
use mpc_contract_kit::contract::check_len;
use mpc_contract_kit::lifecycle::{self, check_timeout, Deadline, LifecycleError};
use mpc_interfaces::events::{action as event_action, attr, ADMIN_ACTION_EVENT, WORKSPACE_EVENT};
use mpc_interfaces::workspace::{
    AdminAction, AdminActionStatus, MigrateMsg, WorkspaceCreated, MAX_ACTION_TIMEOUT_BLOCKS,
    MAX_ALIAS_LEN, MAX_CHILDREN, MAX_EXPIRE_BATCH, MAX_KEY_POLICIES, MAX_OWNERS,
};
use mpc_policy::Policy;

use crate::error::{ContractError, ContractResult};
use crate::state::{
    insert_action, key_policies, load_action, load_workspace, update_action, ActionRecord,
    Workspace, ACTIONS, AWAITING_APPROVER, CONFIG, KEY_POLICIES, WORKSPACES, WORKSPACES_BY_OWNER,
};

pub fn create_workspace(
    deps: DepsMut, env: Env, info: MessageInfo, additional_owners: Vec<String>,
    admin_policy: Option<Policy>, sign_policy: Option<Policy>, alias: Option<String>,
) -> ContractResult {
    nonpayable(&info)?;
    // Bound first, so an oversized list is refused before any address in it is validated.
    if additional_owners.len() + 1 > MAX_OWNERS {
        return Err(ContractError::TooManyOwners { max: MAX_OWNERS });
    }
    let mut owners = vec![info.sender.clone()];
    for owner in additional_owners {
        let owner = deps.api.addr_validate(&owner)?;
        if owners.contains(&owner) {
            return Err(ContractError::DuplicateOwner { owner: owner.into_string() });
        }
        owners.push(owner);
    }
    let owner_strings: Vec<String> = owners.iter().map(Addr::to_string).collect();
    validate_policy(admin_policy.as_ref(), &owner_strings)?;
    validate_policy(sign_policy.as_ref(), &owner_strings)?;
    validate_alias(alias.as_deref())?;

    let workspace = Workspace {
        creator: info.sender,
        owners,
        admin_policy,
        sign_policy,
        alias,
        parent_id: None,
        children: vec![],
        created_height: env.block.height,
    };
    let workspace_id = save_new_workspace(deps.storage, &workspace)?;
    Ok(Response::new()
        .add_event(workspace_created_event(workspace_id, &workspace))
        .set_data(to_json_binary(&WorkspaceCreated { workspace_id })?))
}

pub fn create_child_workspace(
    deps: DepsMut, env: Env, info: MessageInfo, parent_id: u64, alias: Option<String>,
) -> ContractResult {
    let mut parent = load_workspace(deps.storage, parent_id)?;
    ensure_owner(&parent, parent_id, &info.sender)?;
    nonpayable(&info)?;
    ensure_room_for_child(&parent, parent_id)?;
    validate_alias(alias.as_deref())?;

    let child = Workspace {
        creator: info.sender,
        owners: parent.owners.clone(),
        admin_policy: parent.admin_policy.clone(),
        sign_policy: parent.sign_policy.clone(),
        alias,
        parent_id: Some(parent_id),
        children: vec![],
        created_height: env.block.height,
    };
    let child_id = save_new_workspace(deps.storage, &child)?;
    parent.children.push(child_id);
    WORKSPACES.save(deps.storage, parent_id, &parent)?;

    Ok(Response::new()
        .add_event(workspace_created_event(child_id, &child))
        .add_event(child_added_event(parent_id, child_id))
        .set_data(to_json_binary(&WorkspaceCreated { workspace_id: child_id })?))
}

pub fn append_child_workspace(
    deps: DepsMut, info: MessageInfo, parent_id: u64, child_id: u64,
) -> ContractResult {
    let mut parent = load_workspace(deps.storage, parent_id)?;
    ensure_owner(&parent, parent_id, &info.sender)?;
    let mut child = load_workspace(deps.storage, child_id)?;
    ensure_owner(&child, child_id, &info.sender)?;
    nonpayable(&info)?;

    if parent_id == child_id {
        return Err(ContractError::Cycle { parent_id, child_id });
    }
    if let Some(existing) = child.parent_id {
        return Err(ContractError::AlreadyHasParent { child_id, parent_id: existing });
    }
    // The child has no parent, so it is a root: appending it makes a cycle exactly when it is the
    // root of the parent's tree. The walk reads one workspace per ancestor of the parent.
    let mut ancestor = parent.parent_id;
    while let Some(id) = ancestor {
        if id == child_id {
            return Err(ContractError::Cycle { parent_id, child_id });
        }
        ancestor = load_workspace(deps.storage, id)?.parent_id;
    }
    ensure_room_for_child(&parent, parent_id)?;

    child.parent_id = Some(parent_id);
    parent.children.push(child_id);
    WORKSPACES.save(deps.storage, child_id, &child)?;
    WORKSPACES.save(deps.storage, parent_id, &parent)?;
    Ok(Response::new().add_event(child_added_event(parent_id, child_id)))
}

pub fn propose_action(
    deps: DepsMut, env: Env, info: MessageInfo, workspace_id: u64, action: AdminAction,
    timeout_blocks: Option<u64>,
) -> ContractResult {
    let workspace = load_workspace(deps.storage, workspace_id)?;
    ensure_owner(&workspace, workspace_id, &info.sender)?;
    let admin_policy = workspace.effective_admin_policy();
    let owners = workspace.owner_strings();
    if !admin_policy.is_eligible(info.sender.as_str(), &owners) {
        return Err(ContractError::NotEligibleProposer { sender: info.sender, workspace_id });
    }
    nonpayable(&info)?;

    let timeout = timeout_blocks.unwrap_or(CONFIG.load(deps.storage)?.action_timeout_blocks);
    let deadline = deadline(env.block.height, timeout)?;
    let action = normalize_action(deps.api, action)?;
    // Dry run: an action that could not execute now is refused at once rather than left open.
    apply_admin_action(deps.storage, workspace, workspace_id, &action)?;

    let action_id = lifecycle::next_id(deps.storage, &ACTIONS)?;
    let mut record = ActionRecord {
        workspace_id,
        proposer: info.sender.clone(),
        action,
        status: AdminActionStatus::Pending,
        admin_policy,
        owners,
        // The proposer's own approval counts.
        approvals: vec![info.sender.into_string()],
        rejections: vec![],
        created_height: env.block.height,
        deadline,
    };
    let settled_events = settle_after_vote(deps.storage, deps.api, action_id, &mut record, &[])?;
    insert_action(deps.storage, action_id, &record)?;

    let awaiting = record.evaluate().awaiting;
    let created = admin_action_event(event_action::CREATED, action_id, &record)
        .add_attribute(attr::SENDER, record.proposer.as_str())
        .add_attributes(awaited(&record, &awaiting).map(|a| (attr::APPROVER, a.as_str())));
    Ok(Response::new().add_event(created).add_events(settled_events))
}

pub fn expire_actions(
    deps: DepsMut, env: Env, info: MessageInfo, action_ids: Vec<u64>,
) -> ContractResult {
    nonpayable(&info)?;
    lifecycle::check_expire_batch::<AdminActionStatus>(&action_ids, MAX_EXPIRE_BATCH)?;
    let mut response = Response::new();
    // All or nothing: any id that is not an overdue open action fails the whole batch (and, as
    // the message fails, undoes the ids settled before it).
    for action_id in action_ids {
        let mut record = load_action(deps.storage, action_id)?;
        lifecycle::ensure_overdue(action_id, record.status, record.deadline, env.block.height)?;
        close_action(deps.storage, deps.api, action_id, &mut record, AdminActionStatus::Expired)?;
        response =
            response.add_event(admin_action_event(event_action::EXPIRED, action_id, &record));
    }
    Ok(response)
}

#[derive(Clone, Copy, PartialEq)]
pub enum Vote {
    Approve,
    Reject,
}

/// Approve and reject: the same checks, in the same order, then the same settlement.
pub fn cast_vote(
    deps: DepsMut, env: Env, info: MessageInfo, action_id: u64, vote: Vote,
) -> ContractResult {
    let mut record = load_action(deps.storage, action_id)?;
    // Live: eligibility is judged by the admin policy and owners in force now, so a removed
    // owner cannot vote and a changed policy decides who may.
    let workspace = load_workspace(deps.storage, record.workspace_id)?;
    let voter = info.sender.to_string();
    let owners = workspace.owner_strings();
    if !workspace.effective_admin_policy().is_eligible(&voter, &owners) {
        return Err(LifecycleError::NotApprover { id: action_id, sender: info.sender }.into());
    }
    nonpayable(&info)?;
    record.ensure_open(action_id, env.block.height)?;
    if record.has_voted(&voter) {
        return Err(LifecycleError::AlreadyVoted { id: action_id, sender: info.sender }.into());
    }

    let previous = record.status;
    // Who the index lists now: what the previous evaluation awaited.
    let listed = record.evaluate().awaiting;
    match vote {
        Vote::Approve => record.approvals.push(voter.clone()),
        Vote::Reject => record.rejections.push(voter.clone()),
    }
    record.refresh(&workspace);
    let settled_events =
        settle_after_vote(deps.storage, deps.api, action_id, &mut record, &listed)?;
    update_action(deps.storage, action_id, previous, &record)?;

    let name = match vote {
        Vote::Approve => event_action::APPROVED,
        Vote::Reject => event_action::REJECTED,
    };
    let voted = admin_action_event(name, action_id, &record).add_attribute(attr::SENDER, voter);
    Ok(Response::new().add_event(voted).add_events(settled_events))
}

/// After a vote: executes the action on the current workspace if the admin policy in force
/// (recorded on `record` by the caller) is satisfied by the approvals of eligible current owners,
/// rejects it if that policy can no longer be satisfied, else leaves it pending. Moves the
/// awaiting-approver entries from `listed` (what the index holds) to what is awaited now.
/// Returns the events of that transition. The caller saves `record`.
fn settle_after_vote(
    storage: &mut dyn Storage, api: &dyn Api, action_id: u64, record: &mut ActionRecord,
    listed: &[String],
) -> ContractResult<Vec<Event>> {
    let evaluation = record.evaluate();
    let mut events = vec![];
    if evaluation.satisfied {
        let workspace_id = record.workspace_id;
        let before = load_workspace(storage, workspace_id)?;
        // Re-validated against the workspace as it is now; an error fails the whole message.
        let applied = apply_admin_action(storage, before.clone(), workspace_id, &record.action)?;
        save_workspace(storage, workspace_id, &before, &applied.workspace)?;
        if let Some((key_id, policy)) = &applied.key_policy {
            match policy {
                Some(policy) => KEY_POLICIES.save(storage, (workspace_id, *key_id), policy)?,
                None => KEY_POLICIES.remove(storage, (workspace_id, *key_id)),
            }
        }
        record.status = AdminActionStatus::Executed;
        events = vec![
            admin_action_event(event_action::EXECUTED, action_id, record),
            applied.event.add_attribute(attr::ACTION_ID, action_id.to_string()),
        ];
    } else if !evaluation.satisfiable {
        record.status = AdminActionStatus::Rejected;
    }
    let awaited =
        if record.status == AdminActionStatus::Pending { evaluation.awaiting } else { vec![] };
    resync_inbox(storage, api, action_id, record, listed, &awaited)?;
    Ok(events)
}

/// Moves the action's inbox entries from the approvers `listed` to the ones `awaited` now.
fn resync_inbox(
    storage: &mut dyn Storage, api: &dyn Api, action_id: u64, record: &ActionRecord,
    listed: &[String], awaited: &[String],
) -> ContractResult<()> {
    let deadline = record.deadline.height();
    Ok(awaiting::resync(storage, api, &AWAITING_APPROVER, deadline, action_id, listed, awaited)?)
}

/// Ends an action without executing it (expiry) and saves it.
fn close_action(
    storage: &mut dyn Storage, api: &dyn Api, action_id: u64, record: &mut ActionRecord,
    status: AdminActionStatus,
) -> ContractResult<()> {
    let previous = record.status;
    let listed = record.evaluate().awaiting;
    resync_inbox(storage, api, action_id, record, &listed, &[])?;
    record.status = status;
    update_action(storage, action_id, previous, record)?;
    Ok(())
}

/// What an admin action does to a workspace, checked but not yet saved.
struct Applied {
    workspace: Workspace,
    /// `SetKeyPolicy`: the key and its new policy (`None`: removed).
    key_policy: Option<(u64, Option<Policy>)>,
    /// The `wasm-workspace` event describing the change.
    event: Event,
}

/// Applies an admin action to `workspace`, checking it against the workspace as given and its
/// stored key policies. Writes nothing.
fn apply_admin_action(
    storage: &dyn Storage, mut workspace: Workspace, workspace_id: u64, action: &AdminAction,
) -> ContractResult<Applied> {
    let mut key_policy = None;
    let event = match action {
        AdminAction::AddOwner { owner } => {
            let owner = Addr::unchecked(owner);
            if workspace.is_owner(&owner) {
                return Err(ContractError::AlreadyAnOwner {
                    owner: owner.into_string(),
                    workspace_id,
                });
            }
            if workspace.owners.len() >= MAX_OWNERS {
                return Err(ContractError::TooManyOwners { max: MAX_OWNERS });
            }
            workspace.owners.push(owner.clone());
            workspace_event(event_action::OWNER_ADDED, workspace_id)
                .add_attribute(attr::OWNER, owner)
        }
        AdminAction::RemoveOwner { owner } => {
            let owner = Addr::unchecked(owner);
            if !workspace.is_owner(&owner) {
                return Err(ContractError::NotOwner { sender: owner, workspace_id });
            }
            if workspace.owners.len() == 1 {
                return Err(ContractError::LastOwner { workspace_id });
            }
            let remaining: Vec<String> =
                workspace.owners.iter().filter(|o| **o != owner).map(Addr::to_string).collect();
            // Every policy that can name an owner: the workspace's two and each key's own.
            let mut policies: Vec<(String, Policy)> =
                [("admin", &workspace.admin_policy), ("sign", &workspace.sign_policy)]
                    .into_iter()
                    .filter_map(|(name, policy)| Some((name.to_string(), policy.clone()?)))
                    .collect();
            policies.extend(
                key_policies(storage, workspace_id)?
                    .into_iter()
                    .map(|(key_id, policy)| (format!("key {key_id} sign"), policy)),
            );
            for (name, policy) in &policies {
                if policy.named_approvers().iter().any(|a| a == owner.as_str()) {
                    return Err(ContractError::OwnerNamedInPolicy {
                        owner: owner.into_string(),
                        policy: name.clone(),
                    });
                }
                // e.g. an `owners` threshold that the remaining owners could no longer reach.
                policy.validate(&remaining).map_err(|source| {
                    ContractError::RemovalBreaksPolicy {
                        owner: owner.to_string(),
                        policy: name.clone(),
                        source,
                    }
                })?;
            }
            workspace.owners.retain(|o| *o != owner);
            workspace_event(event_action::OWNER_REMOVED, workspace_id)
                .add_attribute(attr::OWNER, owner)
        }
        AdminAction::SetAdminPolicy { policy } => {
            validate_policy(policy.as_ref(), &workspace.owner_strings())?;
            workspace.admin_policy = policy.clone();
            workspace_event(event_action::UPDATED, workspace_id)
                .add_attribute(attr::FIELD, "admin_policy")
        }
        AdminAction::SetSignPolicy { policy } => {
            validate_policy(policy.as_ref(), &workspace.owner_strings())?;
            workspace.sign_policy = policy.clone();
            workspace_event(event_action::UPDATED, workspace_id)
                .add_attribute(attr::FIELD, "sign_policy")
        }
        AdminAction::SetKeyPolicy { key_id, policy } => {
            let stored = KEY_POLICIES.has(storage, (workspace_id, *key_id));
            match policy {
                Some(policy) => {
                    policy.validate(&workspace.owner_strings())?;
                    if !stored
                        && KEY_POLICIES
                            .prefix(workspace_id)
                            .keys(storage, None, None, cosmwasm_std::Order::Ascending)
                            .count()
                            >= MAX_KEY_POLICIES
                    {
                        return Err(ContractError::TooManyKeyPolicies {
                            workspace_id,
                            max: MAX_KEY_POLICIES,
                        });
                    }
                }
                None if !stored => {
                    return Err(ContractError::NoKeyPolicy { workspace_id, key_id: *key_id })
                }
                None => {}
            }
            key_policy = Some((*key_id, policy.clone()));
            workspace_event(event_action::UPDATED, workspace_id)
                .add_attribute(attr::FIELD, "key_policy")
                .add_attribute(attr::KEY_ID, key_id.to_string())
        }
        AdminAction::SetAlias { alias } => {
            validate_alias(alias.as_deref())?;
            workspace.alias = alias.clone();
            workspace_event(event_action::UPDATED, workspace_id).add_attribute(attr::FIELD, "alias")
        }
    };
    Ok(Applied { workspace, key_policy, event })
}

/// Validates the addresses an action names and stores them in canonical form, so that the
/// snapshot, the owner list and policies compare them as equal strings.
fn normalize_action(api: &dyn Api, action: AdminAction) -> ContractResult<AdminAction> {
    Ok(match action {
        AdminAction::AddOwner { owner } => {
            AdminAction::AddOwner { owner: api.addr_validate(&owner)?.into_string() }
        }
        AdminAction::RemoveOwner { owner } => {
            AdminAction::RemoveOwner { owner: api.addr_validate(&owner)?.into_string() }
        }
        other => other,
    })
}

fn validate_policy(policy: Option<&Policy>, owners: &[String]) -> ContractResult<()> {
    match policy {
        Some(policy) => Ok(policy.validate(owners)?),
        None => Ok(()),
    }
}

fn validate_alias(alias: Option<&str>) -> ContractResult<()> {
    match alias {
        Some("") => Err(ContractError::EmptyAlias),
        Some(alias) => Ok(check_len("alias", alias, MAX_ALIAS_LEN)?),
        None => Ok(()),
    }
}

/// An action timeout (the value of field `name`): at least one block, at most
/// `MAX_ACTION_TIMEOUT_BLOCKS`.
pub fn validate_timeout(name: &'static str, timeout: u64) -> ContractResult<u64> {
    Ok(check_timeout(name, timeout, MAX_ACTION_TIMEOUT_BLOCKS)?)
}

/// Height from which an action opened at `height` for `timeout` blocks is overdue.
/// The contract's admin on the chain changes the default action timeout.
/// The config changes `UpdateConfig` and `migrate` both make, checked as at instantiate.
pub fn apply_config(deps: DepsMut, update: MigrateMsg) -> ContractResult<ConfigChanges> {
    config::change(deps.storage, &CONFIG, |stored, changes| {
        apply_changes!(changes, update => stored {
            action_timeout_blocks: |name, &blocks| validate_timeout(name, blocks),
        });
        Ok(())
    })
}

/// The deadline of an action proposed at `height` with `timeout` blocks to vote.
pub fn deadline(height: u64, timeout: u64) -> ContractResult<Deadline> {
    let timeout = validate_timeout("timeout_blocks", timeout)?;
    Ok(Deadline::after(height, timeout))
}

fn ensure_owner(workspace: &Workspace, workspace_id: u64, sender: &Addr) -> ContractResult<()> {
    if workspace.is_owner(sender) {
        Ok(())
    } else {
        Err(ContractError::NotOwner { sender: sender.clone(), workspace_id })
    }
}

fn ensure_room_for_child(workspace: &Workspace, workspace_id: u64) -> ContractResult<()> {
    if workspace.children.len() >= MAX_CHILDREN {
        return Err(ContractError::TooManyChildren { workspace_id, max: MAX_CHILDREN });
    }
    Ok(())
}

fn save_new_workspace(storage: &mut dyn Storage, workspace: &Workspace) -> ContractResult<u64> {
    let workspace_id = lifecycle::next_id(storage, &WORKSPACES)?;
    WORKSPACES.save(storage, workspace_id, workspace)?;
    for owner in &workspace.owners {
        WORKSPACES_BY_OWNER.save(storage, (owner, workspace_id), &())?;
    }
    Ok(workspace_id)
}

/// Saves a changed workspace and keeps the by-owner index in step with its owner list.
fn save_workspace(
    storage: &mut dyn Storage, workspace_id: u64, before: &Workspace, after: &Workspace,
) -> ContractResult<()> {
    for removed in before.owners.iter().filter(|o| !after.is_owner(o)) {
        WORKSPACES_BY_OWNER.remove(storage, (removed, workspace_id));
    }
    for added in after.owners.iter().filter(|o| !before.is_owner(o)) {
        WORKSPACES_BY_OWNER.save(storage, (added, workspace_id), &())?;
    }
    WORKSPACES.save(storage, workspace_id, after)?;
    Ok(())
}

/// The approvers a still pending action awaits (none once it is settled).
fn awaited<'a>(record: &ActionRecord, awaiting: &'a [String]) -> impl Iterator<Item = &'a String> {
    let pending = record.status == AdminActionStatus::Pending;
    awaiting.iter().filter(move |_| pending)
}

fn workspace_event(action: &str, workspace_id: u64) -> Event {
    Event::new(WORKSPACE_EVENT)
        .add_attribute(attr::ACTION, action)
        .add_attribute(attr::WORKSPACE_ID, workspace_id.to_string())
}

fn workspace_created_event(workspace_id: u64, workspace: &Workspace) -> Event {
    let mut event = workspace_event(event_action::CREATED, workspace_id)
        .add_attribute(attr::SENDER, workspace.creator.as_str());
    if let Some(parent_id) = workspace.parent_id {
        event = event.add_attribute(attr::PARENT_ID, parent_id.to_string());
    }
    // One `owner` attribute per owner, so an indexer can build its by-owner view from events.
    event.add_attributes(workspace.owners.iter().map(|o| (attr::OWNER, o.as_str())))
}

fn child_added_event(parent_id: u64, child_id: u64) -> Event {
    workspace_event(event_action::CHILD_ADDED, parent_id)
        .add_attribute(attr::CHILD_ID, child_id.to_string())
}

/// `status` is the action's status once the message has run.
fn admin_action_event(action: &str, action_id: u64, record: &ActionRecord) -> Event {
    Event::new(ADMIN_ACTION_EVENT)
        .add_attribute(attr::ACTION, action)
        .add_attribute(attr::ACTION_ID, action_id.to_string())
        .add_attribute(attr::WORKSPACE_ID, record.workspace_id.to_string())
        .add_attribute(attr::STATUS, record.status.as_str())
}
