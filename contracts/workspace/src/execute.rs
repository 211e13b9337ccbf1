//! One function per execute message, plus the rules they share: validation of owners, policies
//! and aliases, the admin-action state machine, and the events.

use cosmwasm_std::{
    to_json_binary, Addr, Api, DepsMut, Env, Event, MessageInfo, Response, Storage,
};
use cw_utils::nonpayable;
use mpc_contract_kit::apply_changes;
use mpc_contract_kit::config::{self, ConfigChanges};
use mpc_contract_kit::contract::check_len;
use mpc_contract_kit::lifecycle::{self, check_timeout, Deadline, LifecycleError, Record};
use mpc_contract_kit::votes::{Ballot, Counted, Outcome};
use mpc_interfaces::events::{action as event_action, attr, ADMIN_ACTION_EVENT, WORKSPACE_EVENT};
use mpc_interfaces::workspace::{
    AdminAction, AdminActionStatus, MigrateMsg, WorkspaceCreated, MAX_ACTION_TIMEOUT_BLOCKS,
    MAX_ALIAS_LEN, MAX_CHILDREN, MAX_EXPIRE_BATCH, MAX_KEY_POLICIES, MAX_OWNERS,
};
use mpc_policy::Policy;

use crate::error::{ContractError, ContractResult};
use crate::state::{
    in_force, key_policies, load_action, load_workspace, Action, ActionRecord, CastVote, Workspace,
    ACTIONS, CONFIG, KEY_POLICIES, WORKSPACES, WORKSPACES_BY_OWNER,
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
        id: lifecycle::next_id(deps.storage, &WORKSPACES)?,
        creator: info.sender,
        // The first owners' membership: 0, before any admin action.
        memberships: vec![0; owners.len()],
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
        id: lifecycle::next_id(deps.storage, &WORKSPACES)?,
        creator: info.sender,
        owners: parent.owners.clone(),
        memberships: parent.memberships.clone(),
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
    let in_force = in_force(&workspace, &admin_policy);
    let Some(membership) =
        in_force.membership(&info.sender).filter(|_| in_force.is_eligible(&info.sender))
    else {
        return Err(ContractError::NotEligibleProposer { sender: info.sender, workspace_id });
    };
    nonpayable(&info)?;

    let timeout = timeout_blocks.unwrap_or(CONFIG.load(deps.storage)?.action_timeout_blocks);
    let deadline = deadline(env.block.height, timeout)?;
    let action = normalize_action(deps.api, action)?;
    let action_id = lifecycle::next_id(deps.storage, &ACTIONS)?;
    // Dry run: an action that could not execute now is refused at once rather than left open.
    apply_admin_action(deps.storage, workspace.clone(), workspace_id, action_id, &action)?;

    // The proposer's own approval counts, under the membership they propose under.
    let approval =
        CastVote { voter: info.sender.clone(), ballot: Ballot { approve: true, membership } };
    let mut action = Action {
        id: action_id,
        record: ActionRecord {
            workspace_id,
            proposer: info.sender,
            proposer_membership: membership,
            action,
            status: AdminActionStatus::Pending,
            votes: vec![approval],
            created_height: env.block.height,
            deadline,
        },
    };
    let evaluation = action.counted(&in_force).evaluate(&in_force);
    let mut events = vec![];
    match Outcome::after_vote(&evaluation, true) {
        Outcome::Effect => {
            let applied = take_effect(deps.storage, &action)?;
            action.record.status = AdminActionStatus::Executed;
            events = vec![admin_action_event(event_action::EXECUTED, &action), applied];
        }
        // The proposer is an owner and eligible, so the policy it passed validation with holds.
        Outcome::Reject | Outcome::Open => {}
    }
    action.create(deps.storage)?;

    let mut created = admin_action_event(event_action::CREATED, &action)
        .add_attribute(attr::SENDER, action.record.proposer.as_str());
    if action.record.status == AdminActionStatus::Pending {
        created = created.add_attributes(evaluation.awaiting.iter().map(|a| (attr::APPROVER, a)));
    }
    Ok(Response::new().add_event(created).add_events(events))
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
        let mut action = load_action(deps.storage, action_id)?;
        let (stored, deadline) = (action.stored_status(), action.deadline());
        lifecycle::ensure_overdue(action_id, stored, deadline, env.block.height)?;
        action.save_with(deps.storage, |record| record.status = AdminActionStatus::Expired)?;
        response = response.add_event(admin_action_event(event_action::EXPIRED, &action));
    }
    Ok(response)
}

/// Approve and reject: the same checks, in the same order, then the same settlement.
pub fn cast_vote(
    deps: DepsMut, env: Env, info: MessageInfo, action_id: u64, approve: bool,
) -> ContractResult {
    let mut action = load_action(deps.storage, action_id)?;
    // Live: eligibility is judged by the admin policy and owners in force now, so a removed
    // owner cannot vote and a changed policy decides who may.
    let workspace = load_workspace(deps.storage, action.record.workspace_id)?;
    let admin_policy = workspace.effective_admin_policy();
    let in_force = in_force(&workspace, &admin_policy);
    let membership =
        in_force.membership(&info.sender).filter(|_| in_force.is_eligible(&info.sender));
    let Some(membership) = membership else {
        return Err(LifecycleError::NotApprover { id: action_id, sender: info.sender }.into());
    };
    nonpayable(&info)?;
    action.ensure_open(env.block.height)?;
    let mut counted = action.counted(&in_force);
    if counted.has_voted(&info.sender) {
        return Err(LifecycleError::AlreadyVoted { id: action_id, sender: info.sender }.into());
    }

    let voided = counted.clone();
    counted.cast(&info.sender, approve);
    let outcome = Outcome::after_vote(&counted.evaluate(&in_force), approve);
    let vote = CastVote { voter: info.sender.clone(), ballot: Ballot { approve, membership } };
    let events = settle(deps.storage, &mut action, &voided, Some(vote), outcome)?;

    let name = if approve { event_action::APPROVED } else { event_action::REJECTED };
    let voted = admin_action_event(name, &action).add_attribute(attr::SENDER, info.sender);
    Ok(Response::new().add_event(voted).add_events(events))
}

/// Executes an open action that the admin policy in force is met for by the votes that count:
/// permissionless, for an action that a policy change alone satisfied (a rejection never
/// executes one).
pub fn execute_action(
    deps: DepsMut, env: Env, info: MessageInfo, action_id: u64,
) -> ContractResult {
    let mut action = load_action(deps.storage, action_id)?;
    nonpayable(&info)?;
    action.ensure_open(env.block.height)?;
    let workspace = load_workspace(deps.storage, action.record.workspace_id)?;
    let admin_policy = workspace.effective_admin_policy();
    let in_force = in_force(&workspace, &admin_policy);
    let counted = action.counted(&in_force);
    if !counted.evaluate(&in_force).satisfied {
        return Err(LifecycleError::PolicyNotMet { id: action_id }.into());
    }
    let events = settle(deps.storage, &mut action, &counted, None, Outcome::Effect)?;
    Ok(Response::new().add_events(events))
}

/// The proposer withdraws its open action: it ends rejected.
pub fn cancel_action(deps: DepsMut, env: Env, info: MessageInfo, action_id: u64) -> ContractResult {
    let mut action = load_action(deps.storage, action_id)?;
    if action.record.proposer != info.sender {
        return Err(LifecycleError::NotRequester { id: action_id, sender: info.sender }.into());
    }
    nonpayable(&info)?;
    action.ensure_open(env.block.height)?;
    let workspace = load_workspace(deps.storage, action.record.workspace_id)?;
    let admin_policy = workspace.effective_admin_policy();
    let counted = action.counted(&in_force(&workspace, &admin_policy));
    let events = settle(deps.storage, &mut action, &counted, None, Outcome::Reject)?;
    let cancelled = admin_action_event(event_action::CANCELLED, &action)
        .add_attribute(attr::SENDER, info.sender);
    Ok(Response::new().add_event(cancelled).add_events(events))
}

/// Moves an open action: drops the votes `counted` found voided (one `vote_voided` event each),
/// adds `vote`, and settles it as `outcome` says: `Effect` executes it on the workspace as it is
/// now (re-validated; an error fails the whole message). Saves it; returns the events after the
/// caller's own.
fn settle(
    storage: &mut dyn Storage, action: &mut Action, counted: &Counted, vote: Option<CastVote>,
    outcome: Outcome,
) -> ContractResult<Vec<Event>> {
    let applied = match outcome {
        Outcome::Effect => Some(take_effect(storage, action)?),
        Outcome::Reject | Outcome::Open => None,
    };
    let status = match outcome {
        Outcome::Effect => AdminActionStatus::Executed,
        Outcome::Reject => AdminActionStatus::Rejected,
        Outcome::Open => AdminActionStatus::Pending,
    };
    action.save_with(storage, |record| {
        record.votes.retain(|v| !counted.voided.contains(&v.voter));
        record.votes.extend(vote);
        record.status = status;
    })?;
    let mut events = counted.voided_events(&admin_action_event(event_action::VOTE_VOIDED, action));
    if let Some(applied) = applied {
        events.push(admin_action_event(event_action::EXECUTED, action));
        events.push(applied);
    }
    Ok(events)
}

/// Applies the action to its workspace as it is now and saves the result; returns the
/// `wasm-workspace` event of the change.
fn take_effect(storage: &mut dyn Storage, action: &Action) -> ContractResult<Event> {
    let workspace_id = action.record.workspace_id;
    let before = load_workspace(storage, workspace_id)?;
    let applied = apply_admin_action(
        storage,
        before.clone(),
        workspace_id,
        action.id,
        &action.record.action,
    )?;
    save_workspace(storage, workspace_id, &before, &applied.workspace)?;
    if let Some((key_id, policy)) = &applied.key_policy {
        match policy {
            Some(policy) => KEY_POLICIES.save(storage, (workspace_id, *key_id), policy)?,
            None => KEY_POLICIES.remove(storage, (workspace_id, *key_id)),
        }
    }
    Ok(applied.event.add_attribute(attr::ACTION_ID, action.id.to_string()))
}

/// What an admin action does to a workspace, checked but not yet saved.
struct Applied {
    workspace: Workspace,
    /// `SetKeyPolicy`: the key and its new policy (`None`: removed).
    key_policy: Option<(u64, Option<Policy>)>,
    /// The `wasm-workspace` event describing the change.
    event: Event,
}

/// Applies admin action `action_id` to `workspace`, checking it against the workspace as given
/// and its stored key policies. Writes nothing. An owner it adds becomes one under membership
/// `action_id`.
fn apply_admin_action(
    storage: &dyn Storage, mut workspace: Workspace, workspace_id: u64, action_id: u64,
    action: &AdminAction,
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
            workspace.add_owner(owner.clone(), action_id);
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
            workspace.remove_owner(&owner);
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
    WORKSPACES.save(storage, workspace.id, workspace)?;
    for owner in &workspace.owners {
        WORKSPACES_BY_OWNER.save(storage, (owner, workspace.id), &())?;
    }
    Ok(workspace.id)
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
fn admin_action_event(name: &str, action: &Action) -> Event {
    Event::new(ADMIN_ACTION_EVENT)
        .add_attribute(attr::ACTION, name)
        .add_attribute(attr::ACTION_ID, action.id.to_string())
        .add_attribute(attr::WORKSPACE_ID, action.record.workspace_id.to_string())
        .add_attribute(attr::STATUS, action.record.status.as_str())
}
