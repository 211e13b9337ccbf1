use cosmwasm_std::{
    to_json_binary, Addr, Coin, DepsMut, Empty, Env, Event, MessageInfo, Response, Storage,
};
use mpc_contract_kit::agreement::has_answered;
use mpc_contract_kit::apply_changes;
use mpc_contract_kit::config::{self, ConfigChanges};
use mpc_contract_kit::fees;
use mpc_contract_kit::lifecycle::{self, Deadline, LifecycleError, Record};
use mpc_interfaces::events::{action, attr, KEYRING_EVENT, KEY_EVENT, KEY_REQUEST_EVENT};
use mpc_interfaces::keyring::{
    KeyRequestStatus, KeyResult, KeyringCreated, MigrateMsg, PartyKeyAnswer, MAX_EXPIRE_BATCH,
};
use mpc_interfaces::workspace::WorkspaceContract;
use mpc_interfaces::{KeyType, RequestCreated};

use crate::error::{ContractError, ContractResult};
use crate::state::{
    load_key_request, outcome, Key, KeyRequestBody, KeyRequestOutcome, Keyring, Outcome, Role,
    StoredKeyRequest, CONFIG, KEYRINGS, KEYS, KEYS_BY_PUBLIC_KEY, KEYS_BY_WORKSPACE, KEY_ANSWERS,
    KEY_REQUESTS,
};
use crate::validate;

pub fn create_keyring(
    deps: DepsMut, info: MessageInfo, description: String, parties: Vec<String>,
    party_threshold: u32, key_req_fee: Vec<Coin>, sig_req_fee: Vec<Coin>,
) -> ContractResult {
    cw_utils::nonpayable(&info)?;
    validate::description(&description)?;
    let parties = validate::parties(deps.api, &parties)?;
    validate::threshold(party_threshold, parties.len())?;
    let key_req_fee = validate::fee(key_req_fee)?;
    let sig_req_fee = validate::fee(sig_req_fee)?;

    let id = lifecycle::next_id(deps.storage, &KEYRINGS)?;
    let keyring = Keyring {
        id,
        creator: info.sender.clone(),
        description,
        admins: vec![info.sender.clone()],
        parties,
        party_threshold,
        key_req_fee,
        sig_req_fee,
        active: true,
    };
    KEYRINGS.save(deps.storage, id, &keyring)?;
    Ok(Response::new()
        .add_event(keyring_event(action::CREATED, &keyring, &info.sender))
        .add_attribute(attr::KEYRING_ID, id.to_string())
        .set_data(to_json_binary(&KeyringCreated { keyring_id: id })?))
}

pub fn add_party(
    deps: DepsMut, info: MessageInfo, keyring_id: u64, party: String, new_threshold: Option<u32>,
) -> ContractResult {
    add_member(deps, info, keyring_id, Role::Party, party, new_threshold)
}

pub fn remove_party(
    deps: DepsMut, info: MessageInfo, keyring_id: u64, party: String, new_threshold: Option<u32>,
) -> ContractResult {
    remove_member(deps, info, keyring_id, Role::Party, party, new_threshold)
}

pub fn add_admin(
    deps: DepsMut, info: MessageInfo, keyring_id: u64, admin: String,
) -> ContractResult {
    add_member(deps, info, keyring_id, Role::Admin, admin, None)
}

pub fn remove_admin(
    deps: DepsMut, info: MessageInfo, keyring_id: u64, admin: String,
) -> ContractResult {
    remove_member(deps, info, keyring_id, Role::Admin, admin, None)
}

/// The event's action when a `role` member is added or removed, and the attribute naming it.
fn member_event(role: Role, added: bool) -> (&'static str, &'static str) {
    match (role, added) {
        (Role::Party, true) => (action::PARTY_ADDED, attr::PARTY),
        (Role::Party, false) => (action::PARTY_REMOVED, attr::PARTY),
        (Role::Admin, true) => (action::ADMIN_ADDED, attr::ADMIN),
        (Role::Admin, false) => (action::ADMIN_REMOVED, attr::ADMIN),
    }
}

/// An admin of the keyring appends `member` to its `role` list (refused when it is there
/// already or the list is full), then the party threshold is set: `new_threshold`, or the
/// current one, checked against the parties now.
fn add_member(
    deps: DepsMut, info: MessageInfo, keyring_id: u64, role: Role, member: String,
    new_threshold: Option<u32>,
) -> ContractResult {
    let mut keyring = load_keyring_as_admin(deps.storage, keyring_id, &info)?;
    let member = validate::address(deps.api, &member)?;
    role.admit(role.members(&mut keyring), member.clone())?;
    set_threshold(&mut keyring, new_threshold)?;
    save_member_change(deps.storage, &keyring, &info, member_event(role, true), member)
}

/// An admin of the keyring takes `member` out of its `role` list (refused when it is not there
/// or is the last one), then the party threshold is set as [`add_member`] sets it.
fn remove_member(
    deps: DepsMut, info: MessageInfo, keyring_id: u64, role: Role, member: String,
    new_threshold: Option<u32>,
) -> ContractResult {
    let mut keyring = load_keyring_as_admin(deps.storage, keyring_id, &info)?;
    let members = role.members(&mut keyring);
    let Some(index) = members.iter().position(|m| m.as_str() == member) else {
        return Err(ContractError::UnknownMember { keyring_id, role, member });
    };
    if members.len() == 1 {
        return Err(ContractError::CannotRemoveLast { keyring_id, role });
    }
    let removed = members.remove(index);
    set_threshold(&mut keyring, new_threshold)?;
    save_member_change(deps.storage, &keyring, &info, member_event(role, false), removed)
}

/// Saves a keyring whose parties or admins changed, with the event naming the member.
fn save_member_change(
    storage: &mut dyn Storage, keyring: &Keyring, info: &MessageInfo,
    (event_action, member_attr): (&str, &str), member: Addr,
) -> ContractResult {
    KEYRINGS.save(storage, keyring.id, keyring)?;
    Ok(Response::new().add_event(
        keyring_event(event_action, keyring, &info.sender).add_attribute(member_attr, member),
    ))
}

pub fn update_keyring(
    deps: DepsMut, info: MessageInfo, keyring_id: u64, description: Option<String>,
    party_threshold: Option<u32>, key_req_fee: Option<Vec<Coin>>, sig_req_fee: Option<Vec<Coin>>,
) -> ContractResult {
    let mut keyring = load_keyring_as_admin(deps.storage, keyring_id, &info)?;
    if let Some(description) = description {
        validate::description(&description)?;
        keyring.description = description;
    }
    set_threshold(&mut keyring, party_threshold)?;
    if let Some(fee) = key_req_fee {
        keyring.key_req_fee = validate::fee(fee)?;
    }
    if let Some(fee) = sig_req_fee {
        keyring.sig_req_fee = validate::fee(fee)?;
    }
    KEYRINGS.save(deps.storage, keyring_id, &keyring)?;
    Ok(Response::new().add_event(keyring_event(action::UPDATED, &keyring, &info.sender)))
}

pub fn deactivate_keyring(deps: DepsMut, info: MessageInfo, keyring_id: u64) -> ContractResult {
    set_active(deps, info, keyring_id, false)
}

pub fn activate_keyring(deps: DepsMut, info: MessageInfo, keyring_id: u64) -> ContractResult {
    set_active(deps, info, keyring_id, true)
}

#[allow(clippy::too_many_arguments)]
/// What a key request may set beyond its workspace, keyring and key type.
pub struct KeyRequestOptions {
    pub timeout_blocks: Option<u64>,
    pub max_fee: Option<Vec<Coin>>,
}

pub fn request_key(
    deps: DepsMut, env: Env, info: MessageInfo, workspace_id: u64, keyring_id: u64,
    key_type: KeyType, options: KeyRequestOptions,
) -> ContractResult {
    let KeyRequestOptions { timeout_blocks, max_fee } = options;
    let config = CONFIG.load(deps.storage)?;
    let is_owner = config
        .workspace_contract
        .is_owner(&deps.querier, workspace_id, &info.sender)
        .map_err(|e| ContractError::WorkspaceQueryFailed { workspace_id, reason: e.to_string() })?;
    if !is_owner {
        return Err(ContractError::NotOwner { sender: info.sender, workspace_id });
    }

    let keyring = load_keyring(deps.storage, keyring_id)?;
    if !keyring.active {
        return Err(ContractError::KeyringInactive { keyring_id });
    }
    let timeout = validate::timeout(
        "timeout_blocks",
        timeout_blocks.unwrap_or(config.key_request_timeout_blocks),
    )?;
    let payment = fees::check_payment(&info.funds, &keyring.key_req_fee, max_fee.as_deref())?;

    let request = StoredKeyRequest {
        id: lifecycle::next_id(deps.storage, &KEY_REQUESTS)?,
        body: KeyRequestBody {
            workspace_id,
            keyring_id,
            requester: info.sender.clone(),
            key_type,
            parties: keyring.parties,
            party_threshold: keyring.party_threshold,
            fee: payment.charged.clone(),
            created_height: env.block.height,
            deadline: Deadline::after(env.block.height, timeout),
        },
        outcome: None,
    };
    request.create(deps.storage)?;
    Ok(Response::new()
        .add_event(
            key_request_event(action::CREATED, &request)
                .add_attribute(attr::REQUESTER, info.sender.as_str()),
        )
        .add_attribute(attr::REQUEST_ID, request.id.to_string())
        .add_messages(payment.change_to(&info.sender))
        .set_data(to_json_binary(&RequestCreated { request_id: request.id })?))
}

pub fn submit_key_result(
    deps: DepsMut, env: Env, info: MessageInfo, request_id: u64, result: KeyResult,
) -> ContractResult {
    let mut request = load_key_request(deps.storage, request_id)?;
    if !request.body.parties.contains(&info.sender) {
        return Err(LifecycleError::NotParty { id: request_id, sender: info.sender }.into());
    }
    cw_utils::nonpayable(&info)?;
    request.ensure_open(env.block.height)?;
    // A second answer from a party is refused whatever it holds.
    let mut answers = KEY_ANSWERS.load(deps.storage, request_id)?;
    let answered = has_answered(&answers, &info.sender);
    if answered {
        return Err(LifecycleError::AlreadyAnswered { id: request_id, sender: info.sender }.into());
    }
    match &result {
        KeyResult::Success { public_key } => {
            validate::public_key(deps.api, request.body.key_type, public_key)?;
            // A key held already (a replayed result, or a key of another workspace) is refused
            // as this party's answer; the request stays open for honest answers or expiry.
            if let Some(key_id) = KEYS_BY_PUBLIC_KEY.may_load(deps.storage, public_key)? {
                return Err(ContractError::PublicKeyHeld { key_id });
            }
        }
        KeyResult::Failure { reason } => validate::reason(reason)?,
    }

    KEY_ANSWERS.add(
        deps.storage,
        request_id,
        &mut answers,
        PartyKeyAnswer { party: info.sender.clone(), result, height: env.block.height },
    )?;
    let mut response = Response::new().add_event(
        key_request_event(action::PARTY_RESULT, &request).add_attribute(attr::PARTY, &info.sender),
    );

    match outcome(&request.body, &answers) {
        Outcome::Agreed { public_key, parties } => {
            let body = &request.body;
            let key_id = lifecycle::next_id(deps.storage, &KEYS)?;
            let key = Key {
                id: key_id,
                workspace_id: body.workspace_id,
                keyring_id: body.keyring_id,
                key_type: body.key_type,
                public_key,
                parties: body.parties.clone(),
                party_threshold: body.party_threshold,
                request_id,
                created_height: env.block.height,
            };
            KEYS.save(deps.storage, key_id, &key)?;
            KEYS_BY_PUBLIC_KEY.save(deps.storage, &key.public_key, &key_id)?;
            KEYS_BY_WORKSPACE.save(deps.storage, (key.workspace_id, key_id), &Empty {})?;
            response =
                response.add_messages(fees::payout(&body.fee, &parties)).add_event(key_event(&key));
            request.finish(
                deps.storage,
                KeyRequestOutcome {
                    status: KeyRequestStatus::Fulfilled,
                    key_id: Some(key_id),
                    reject_reason: None,
                },
            )?;
            response = response.add_event(
                key_request_event(action::FULFILLED, &request)
                    .add_attribute(attr::KEY_ID, key_id.to_string()),
            );
        }
        Outcome::Unreachable { reason } => {
            response =
                response.add_messages(fees::refund(&request.body.fee, &request.body.requester));
            request.finish(
                deps.storage,
                KeyRequestOutcome {
                    status: KeyRequestStatus::Rejected,
                    key_id: None,
                    reject_reason: Some(reason.clone()),
                },
            )?;
            response = response.add_event(
                key_request_event(action::REJECTED, &request).add_attribute(attr::REASON, reason),
            );
        }
        Outcome::Open => {}
    }
    Ok(response)
}

pub fn expire_key_requests(
    deps: DepsMut, env: Env, info: MessageInfo, request_ids: Vec<u64>,
) -> ContractResult {
    cw_utils::nonpayable(&info)?;
    lifecycle::check_expire_batch::<KeyRequestStatus>(&request_ids, MAX_EXPIRE_BATCH)?;
    let mut response = Response::new();
    for request_id in request_ids {
        let mut request = load_key_request(deps.storage, request_id)?;
        lifecycle::ensure_overdue(
            request_id,
            request.stored_status(),
            request.body.deadline,
            env.block.height,
        )?;
        request.finish(
            deps.storage,
            KeyRequestOutcome {
                status: KeyRequestStatus::Expired,
                key_id: None,
                reject_reason: None,
            },
        )?;
        response = response
            .add_messages(fees::refund(&request.body.fee, &request.body.requester))
            .add_event(key_request_event(action::EXPIRED, &request));
    }
    Ok(response)
}

/// The contract's admin on the chain changes the workspace contract or the default timeout.
/// The config changes `UpdateConfig` and `migrate` both make, each field checked as at
/// instantiate.
pub fn apply_config(deps: DepsMut, update: MigrateMsg) -> ContractResult<ConfigChanges> {
    let api = deps.api;
    config::change(deps.storage, &CONFIG, |stored, changes| {
        apply_changes!(changes, update => stored {
            workspace_contract: |_, address: &String| {
                Ok::<_, ContractError>(WorkspaceContract(validate::address(api, address)?))
            },
            key_request_timeout_blocks: |name, &blocks| validate::timeout(name, blocks),
        });
        Ok(())
    })
}

fn load_keyring(storage: &dyn Storage, keyring_id: u64) -> ContractResult<Keyring> {
    KEYRINGS.may_load(storage, keyring_id)?.ok_or(ContractError::KeyringNotFound { keyring_id })
}

/// Loads a keyring and checks that the sender administers it, before any input is looked at.
/// Admin messages take no funds: any sent would be stranded in the contract.
fn load_keyring_as_admin(
    storage: &dyn Storage, keyring_id: u64, info: &MessageInfo,
) -> ContractResult<Keyring> {
    let keyring = load_keyring(storage, keyring_id)?;
    if !keyring.admins.contains(&info.sender) {
        return Err(ContractError::NotAdmin { sender: info.sender.clone(), keyring_id });
    }
    cw_utils::nonpayable(info)?;
    Ok(keyring)
}

/// Applies `new_threshold` (or keeps the current one) and checks it against the party count.
fn set_threshold(keyring: &mut Keyring, new_threshold: Option<u32>) -> ContractResult<()> {
    let threshold = new_threshold.unwrap_or(keyring.party_threshold);
    validate::threshold(threshold, keyring.parties.len())?;
    keyring.party_threshold = threshold;
    Ok(())
}

fn set_active(deps: DepsMut, info: MessageInfo, keyring_id: u64, active: bool) -> ContractResult {
    let mut keyring = load_keyring_as_admin(deps.storage, keyring_id, &info)?;
    match (keyring.active, active) {
        (true, true) => return Err(ContractError::KeyringAlreadyActive { keyring_id }),
        (false, false) => return Err(ContractError::KeyringAlreadyInactive { keyring_id }),
        _ => {}
    }
    keyring.active = active;
    KEYRINGS.save(deps.storage, keyring_id, &keyring)?;
    let event_action = if active { action::ACTIVATED } else { action::DEACTIVATED };
    Ok(Response::new().add_event(keyring_event(event_action, &keyring, &info.sender)))
}

fn keyring_event(action: &str, keyring: &Keyring, sender: &Addr) -> Event {
    Event::new(KEYRING_EVENT)
        .add_attribute(attr::ACTION, action)
        .add_attribute(attr::KEYRING_ID, keyring.id.to_string())
        .add_attribute(attr::SENDER, sender)
}

fn key_request_event(action: &str, request: &StoredKeyRequest) -> Event {
    let body = &request.body;
    lifecycle::request_event(KEY_REQUEST_EVENT, action, request, body.keyring_id, body.workspace_id)
        .add_attribute(attr::KEY_TYPE, body.key_type.as_str())
}
fn key_event(key: &Key) -> Event {
    Event::new(KEY_EVENT)
        .add_attribute(attr::ACTION, action::CREATED)
        .add_attribute(attr::KEY_ID, key.id.to_string())
        .add_attribute(attr::REQUEST_ID, key.request_id.to_string())
        .add_attribute(attr::KEYRING_ID, key.keyring_id.to_string())
        .add_attribute(attr::WORKSPACE_ID, key.workspace_id.to_string())
        .add_attribute(attr::KEY_TYPE, key.key_type.as_str())
        .add_attribute(attr::PUBLIC_KEY, key.public_key.to_base64())
}
