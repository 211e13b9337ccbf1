//! The lifecycle every request-like record of the three contracts follows, written once: it is
//! made open with a [`Deadline`], moves between open statuses, and ends in a final one. An open
//! record past its deadline *reads* as expired (`status_at`) and refuses every move
//! (`ensure_open`) until somebody settles it with an expire batch (`check_expire_batch`, then
//! `ensure_overdue` per record). Ids come from [`next_id`].
//!
//! The errors are one type, [`LifecycleError`], that each contract nests in its own error, so the
//! same refusal reads the same in every contract.

use std::fmt;

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Event, Order, StdResult, Storage};
use cw_storage_plus::Map;
use mpc_interfaces::events::attr;
use mpc_interfaces::keyring::KeyRequestStatus;
use mpc_interfaces::signature_requests::SignRequestStatus;
use mpc_interfaces::workspace::AdminActionStatus;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The last height at which an open record can still move. From the next height on it is
/// overdue: it reads as expired and refuses every move. (One meaning in all three contracts.)
/// Stored and serialised as the bare height.
#[cw_serde]
#[derive(Copy, Eq, PartialOrd, Ord, Hash)]
pub struct Deadline(u64);

impl Deadline {
    /// A deadline `blocks` after `height`: the record can move at `height + blocks`, not after.
    pub fn after(height: u64, blocks: u64) -> Self {
        Deadline(height.saturating_add(blocks))
    }

    /// The deadline at a stored height.
    pub const fn at(height: u64) -> Self {
        Deadline(height)
    }

    pub const fn height(self) -> u64 {
        self.0
    }

    /// Whether the record is past its deadline at `height`.
    pub fn is_overdue(self, height: u64) -> bool {
        height > self.0
    }

    /// The least deadline that is not overdue at `height`: every record whose deadline is below
    /// it is overdue, the others are not.
    pub fn first_open(height: u64) -> Self {
        Deadline(height)
    }
}

/// A status enum of a record with this lifecycle.
pub trait LifecycleStatus: Copy + PartialEq + fmt::Debug {
    /// What the records are called in messages, e.g. "signature request".
    const RECORD: &'static str;
    /// The status an overdue open record reads as.
    const EXPIRED: Self;
    /// Statuses a record never leaves.
    fn is_final(&self) -> bool;
    /// The status's name in events and index keys.
    fn as_str(&self) -> &'static str;
}

/// The statuses of `packages/interfaces` already say which are final and how they are named;
/// the trait forwards to those inherent methods, so each rule stays in one place.
macro_rules! lifecycle_status {
    ($($status:ident: $record:literal),+ $(,)?) => {$(
        impl LifecycleStatus for $status {
            const RECORD: &'static str = $record;
            const EXPIRED: Self = $status::Expired;
            fn is_final(&self) -> bool {
                $status::is_final(self)
            }
            fn as_str(&self) -> &'static str {
                $status::as_str(self)
            }
        }
    )+};
}

lifecycle_status! {
    SignRequestStatus: "signature request",
    KeyRequestStatus: "key request",
    AdminActionStatus: "admin action",
}

/// Where a record stands: what the lifecycle rules read of it.
pub struct Standing<S> {
    pub id: u64,
    /// The status stored, before the deadline is applied.
    pub stored: S,
    /// The deadline the record moves by now, and is listed by.
    pub deadline: Deadline,
}

/// A record with this lifecycle as a contract holds it. The rules read only its [`Standing`],
/// so they are written once, here.
pub trait Record {
    type Status: LifecycleStatus;

    fn standing(&self) -> Standing<Self::Status>;

    fn id(&self) -> u64 {
        self.standing().id
    }

    fn stored_status(&self) -> Self::Status {
        self.standing().stored
    }

    fn deadline(&self) -> Deadline {
        self.standing().deadline
    }

    /// Where the record sits in a deadline-ordered list.
    fn position(&self) -> (u64, u64) {
        (self.deadline().height(), self.id())
    }

    /// The status as seen at `height`: an overdue open record reads as expired.
    fn status_at(&self, height: u64) -> Self::Status {
        status_at(self.stored_status(), self.deadline(), height)
    }

    /// Refuses any move of a record that is final, or open but past its deadline.
    fn ensure_open(&self, height: u64) -> Result<(), LifecycleError<Self::Status>> {
        ensure_open(self.id(), self.stored_status(), self.deadline(), height)
    }
}

/// The status of a record stored as `stored` with `deadline`, as seen at `height`: an open record
/// past its deadline reads as expired.
/// The event of a move of a keyring's request (event type `ty`): the attributes every request
/// event carries, in the same order in every contract; the contract adds its own after them.
pub fn request_event<R: Record>(
    ty: &str,
    action: &str,
    request: &R,
    keyring_id: u64,
    workspace_id: u64,
) -> Event {
    Event::new(ty)
        .add_attribute(attr::ACTION, action)
        .add_attribute(attr::REQUEST_ID, request.id().to_string())
        .add_attribute(attr::KEYRING_ID, keyring_id.to_string())
        .add_attribute(attr::WORKSPACE_ID, workspace_id.to_string())
        .add_attribute(attr::STATUS, request.stored_status().as_str())
}

pub fn status_at<S: LifecycleStatus>(stored: S, deadline: Deadline, height: u64) -> S {
    if !stored.is_final() && deadline.is_overdue(height) {
        S::EXPIRED
    } else {
        stored
    }
}

/// Refuses a move on record `id` when it is final, or open but past its deadline.
pub fn ensure_open<S: LifecycleStatus>(
    id: u64,
    stored: S,
    deadline: Deadline,
    height: u64,
) -> Result<(), LifecycleError<S>> {
    if stored.is_final() {
        return Err(LifecycleError::Closed { id, status: stored });
    }
    if deadline.is_overdue(height) {
        return Err(LifecycleError::Expired { id });
    }
    Ok(())
}

/// An expire batch names at least one record and at most `max`.
pub fn check_expire_batch<S: LifecycleStatus>(
    ids: &[u64],
    max: usize,
) -> Result<(), LifecycleError<S>> {
    match ids.len() {
        0 => Err(LifecycleError::EmptyExpireBatch),
        count if count > max => Err(LifecycleError::TooManyExpireIds { count, max }),
        _ => Ok(()),
    }
}

/// Refuses to settle record `id` as expired unless it is open and past its deadline.
pub fn ensure_overdue<S: LifecycleStatus>(
    id: u64,
    stored: S,
    deadline: Deadline,
    height: u64,
) -> Result<(), LifecycleError<S>> {
    if stored.is_final() {
        return Err(LifecycleError::Closed { id, status: stored });
    }
    if !deadline.is_overdue(height) {
        return Err(LifecycleError::NotOverdue { id });
    }
    Ok(())
}

/// The refusals of the lifecycle, the same in every contract.
#[derive(Debug, PartialEq, Eq)]
pub enum LifecycleError<S: LifecycleStatus> {
    /// The record is in a final status.
    Closed {
        id: u64,
        status: S,
    },
    /// The record is open but past its deadline (it reads as expired).
    Expired {
        id: u64,
    },
    /// An expire batch names a record that is not past its deadline.
    NotOverdue {
        id: u64,
    },
    EmptyExpireBatch,
    TooManyExpireIds {
        count: usize,
        max: usize,
    },
    /// The sender may not vote on the record: no approver under the policy and owners in force.
    NotApprover {
        id: u64,
        sender: Addr,
    },
    /// The sender voted on the record already: a vote is neither replaced nor withdrawn.
    AlreadyVoted {
        id: u64,
        sender: Addr,
    },
    /// The sender is not one of the parties that answer for the record.
    NotParty {
        id: u64,
        sender: Addr,
    },
    /// The party answered the record already: an answer is never replaced.
    AlreadyAnswered {
        id: u64,
        sender: Addr,
    },
    /// An `Execute` of an open record that the policy in force is not met for by the votes that
    /// count (or whose requester is no longer an owner).
    PolicyNotMet {
        id: u64,
    },
    /// Only the record's requester (proposer) may withdraw it.
    NotRequester {
        id: u64,
        sender: Addr,
    },
}

impl<S: LifecycleStatus> fmt::Display for LifecycleError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let record = S::RECORD;
        match self {
            LifecycleError::Closed { id, status } => {
                write!(f, "{record} {id} is already {status:?} and cannot change")
            }
            LifecycleError::Expired { id } => write!(f, "{record} {id} has expired"),
            LifecycleError::NotOverdue { id } => {
                write!(f, "{record} {id} is not past its deadline")
            }
            LifecycleError::EmptyExpireBatch => write!(f, "no {record} ids to expire"),
            LifecycleError::TooManyExpireIds { count, max } => {
                write!(
                    f,
                    "{count} {record} ids to expire; at most {max} per message"
                )
            }
            LifecycleError::NotApprover { id, sender } => {
                write!(f, "{sender} may not approve or reject {record} {id}")
            }
            LifecycleError::AlreadyVoted { id, sender } => {
                write!(f, "{sender} has already voted on {record} {id}")
            }
            LifecycleError::NotParty { id, sender } => {
                write!(f, "{sender} is not a party of {record} {id}")
            }
            LifecycleError::AlreadyAnswered { id, sender } => {
                write!(f, "{sender} has already answered {record} {id}")
            }
            LifecycleError::PolicyNotMet { id } => write!(
                f,
                "the policy in force is not met for {record} {id} by the votes that count"
            ),
            LifecycleError::NotRequester { id, sender } => {
                write!(
                    f,
                    "{sender} did not make {record} {id} and cannot withdraw it"
                )
            }
        }
    }
}

impl<S: LifecycleStatus> std::error::Error for LifecycleError<S> {}

/// A timeout in blocks outside `1..=max`: a record must stay open at least one block, and no
/// longer than the contract allows.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
#[error("{name} of {timeout} blocks is out of range 1..={max}")]
pub struct TimeoutOutOfRange {
    /// The field that carried it.
    pub name: &'static str,
    pub timeout: u64,
    pub max: u64,
}

/// `timeout` (the value of field `name`) when it is within `1..=max`.
pub fn check_timeout(name: &'static str, timeout: u64, max: u64) -> Result<u64, TimeoutOutOfRange> {
    if timeout == 0 || timeout > max {
        return Err(TimeoutOutOfRange { name, timeout, max });
    }
    Ok(timeout)
}

/// The id of the next record of a kind, 1, 2, 3, ...: one past the highest id stored in
/// `records`, the map that holds them by id. Records are never deleted, so the ids never repeat,
/// and handing one out writes nothing: the record saved under it is the counter.
pub fn next_id<T>(storage: &dyn Storage, records: &Map<u64, T>) -> StdResult<u64>
where
    T: Serialize + DeserializeOwned,
{
    let last = records
        .keys(storage, None, None, Order::Descending)
        .next()
        .transpose()?;
    Ok(last.unwrap_or_default() + 1)
}

#[cfg(test)]
mod tests {
    /// A record as the contracts hold one: open (`Pending`) until it has an outcome.
    struct Request {
        id: u64,
        deadline: Deadline,
        outcome: Option<SignRequestStatus>,
    }

    impl Record for Request {
        type Status = SignRequestStatus;

        fn standing(&self) -> Standing<SignRequestStatus> {
            let stored = self.outcome.unwrap_or(SignRequestStatus::Pending);
            Standing {
                id: self.id,
                stored,
                deadline: self.deadline,
            }
        }
    }

    #[test]
    fn a_record_reads_and_refuses_by_its_standing() {
        let open = Request {
            id: 7,
            deadline: Deadline::after(10, 5),
            outcome: None,
        };
        assert_eq!(open.position(), (15, 7));
        assert_eq!(open.status_at(15), SignRequestStatus::Pending);
        assert_eq!(open.ensure_open(15), Ok(()));
        // One block past its deadline it reads as expired and refuses every move.
        assert_eq!(open.status_at(16), SignRequestStatus::Expired);
        assert_eq!(open.ensure_open(16), Err(LifecycleError::Expired { id: 7 }));
        // A final record keeps its status past the deadline, and refuses as closed.
        let done = Request {
            outcome: Some(SignRequestStatus::Fulfilled),
            ..open
        };
        assert_eq!(done.status_at(100), SignRequestStatus::Fulfilled);
        assert_eq!(
            done.ensure_open(12),
            Err(LifecycleError::Closed {
                id: 7,
                status: SignRequestStatus::Fulfilled
            })
        );
    }

    #[test]
    fn who_may_move_a_record_is_refused_naming_the_record() {
        let sender = Addr::unchecked("cosmwasm1bob");
        let error = |e: LifecycleError<SignRequestStatus>| e.to_string();
        assert_eq!(
            error(LifecycleError::NotApprover {
                id: 3,
                sender: sender.clone()
            }),
            "cosmwasm1bob may not approve or reject signature request 3"
        );
        assert_eq!(
            error(LifecycleError::AlreadyAnswered { id: 3, sender }),
            "cosmwasm1bob has already answered signature request 3"
        );
    }

    #[test]
    fn a_timeout_is_one_block_to_the_maximum() {
        assert_eq!(check_timeout("t", 1, 5), Ok(1));
        assert_eq!(check_timeout("t", 5, 5), Ok(5));
        for timeout in [0, 6] {
            assert_eq!(
                check_timeout("t", timeout, 5),
                Err(TimeoutOutOfRange {
                    name: "t",
                    timeout,
                    max: 5
                })
            );
        }
        assert_eq!(
            TimeoutOutOfRange {
                name: "mpc_timeout_blocks",
                timeout: 0,
                max: 5
            }
            .to_string(),
            "mpc_timeout_blocks of 0 blocks is out of range 1..=5"
        );
    }

    use super::*;
    use cosmwasm_std::testing::MockStorage;

    use SignRequestStatus::*;

    #[test]
    fn the_deadline_is_the_last_height_a_record_can_move() {
        let deadline = Deadline::after(10, 5);
        assert_eq!(deadline.height(), 15);
        assert!(!deadline.is_overdue(15));
        assert!(deadline.is_overdue(16));
        assert_eq!(status_at(Pending, deadline, 15), Pending);
        assert_eq!(status_at(Pending, deadline, 16), Expired);
        assert_eq!(status_at(Fulfilled, deadline, 16), Fulfilled);
        assert_eq!(ensure_open(1, Partial, deadline, 15), Ok(()));
        assert_eq!(
            ensure_open(1, Partial, deadline, 16),
            Err(LifecycleError::Expired { id: 1 })
        );
        assert_eq!(
            ensure_open(1, Rejected, deadline, 1),
            Err(LifecycleError::Closed {
                id: 1,
                status: Rejected
            })
        );
        assert!(Deadline::at(9) < Deadline::first_open(10));
        assert!(!Deadline::first_open(10).is_overdue(10));
    }

    #[test]
    fn expire_batches_take_overdue_open_records_only() {
        let deadline = Deadline::at(5);
        assert_eq!(
            check_expire_batch::<SignRequestStatus>(&[], 2),
            Err(LifecycleError::EmptyExpireBatch)
        );
        assert_eq!(
            check_expire_batch::<SignRequestStatus>(&[1, 2, 3], 2),
            Err(LifecycleError::TooManyExpireIds { count: 3, max: 2 })
        );
        assert_eq!(ensure_overdue(1, Pending, deadline, 6), Ok(()));
        assert_eq!(
            ensure_overdue(1, Pending, deadline, 5),
            Err(LifecycleError::NotOverdue { id: 1 })
        );
        assert_eq!(
            ensure_overdue(1, Expired, deadline, 6)
                .unwrap_err()
                .to_string(),
            "signature request 1 is already Expired and cannot change"
        );
        assert_eq!(
            LifecycleError::<KeyRequestStatus>::Expired { id: 4 }.to_string(),
            "key request 4 has expired"
        );
    }

    #[test]
    fn ids_start_at_one_and_follow_the_highest_stored() {
        const RECORDS: Map<u64, String> = Map::new("records");
        let mut storage = MockStorage::new();
        assert_eq!(next_id(&storage, &RECORDS).unwrap(), 1);
        RECORDS.save(&mut storage, 1, &"a".to_string()).unwrap();
        assert_eq!(next_id(&storage, &RECORDS).unwrap(), 2);
        RECORDS.save(&mut storage, 2, &"b".to_string()).unwrap();
        // Past 255: ids are compared as numbers (big-endian keys), not as text.
        RECORDS.save(&mut storage, 256, &"c".to_string()).unwrap();
        assert_eq!(next_id(&storage, &RECORDS).unwrap(), 257);
    }
}
