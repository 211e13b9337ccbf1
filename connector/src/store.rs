//! The connector's local record (redb) of the requests this party has seen, started and
//! answered, so that a restart neither loses a request nor submits an answer twice.
//!
//! One table keyed by (request kind, request id). A record only moves forward:
//! `Seen → Started → Submitted | Closed`; `Submitted` and `Closed` are final.

use std::path::Path;

use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::request::RequestRef;

const REQUESTS: TableDefinition<(u8, u64), &[u8]> = TableDefinition::new("requests");

#[derive(thiserror::Error, Debug)]
pub enum StoreError {
    #[error("store: {0}")]
    Db(String),
    #[error("store record {0} does not decode: {1}")]
    Corrupt(String, String),
}

macro_rules! db_err {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.to_string())
            }
        }
    )*};
}
db_err!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Where this party stands on one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// Seen pending, nothing done yet.
    Seen,
    /// This party's MPC run was started `attempts` times (a restart re-runs it).
    Started { attempts: u32 },
    /// The last drive failed (`reason`); the request is driven again from `retry_at` (unix
    /// seconds), or at the next start. `attempts`: MPC runs started so far.
    Failed {
        attempts: u32,
        reason: String,
        retry_at: u64,
    },
    /// This party's answer is on chain (`success`: a key/signatures rather than a failure).
    Submitted {
        tx_hash: String,
        height: u64,
        success: bool,
    },
    /// The request left `pending` (or was never ours) before this party answered.
    Closed { reason: String },
}

impl Progress {
    /// Whether nothing more is to be done for the request.
    pub fn is_final(&self) -> bool {
        matches!(self, Progress::Submitted { .. } | Progress::Closed { .. })
    }

    fn rank(&self) -> u8 {
        match self {
            Progress::Seen => 0,
            Progress::Started { .. } | Progress::Failed { .. } => 1,
            Progress::Submitted { .. } | Progress::Closed { .. } => 2,
        }
    }
}

/// This party's answer to a request, saved before it is submitted: a restart submits it
/// instead of running MPC again (a key generation cannot be run again by one party once the
/// others have finished theirs; its share would be orphaned).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAnswer {
    /// The contract's `ExecuteMsg`, JSON.
    pub msg: String,
    /// A key or signatures rather than a failure.
    pub success: bool,
}

/// One request's record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub request: RequestRef,
    pub progress: Progress,
    /// The answer this party computed, until it is on chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<SavedAnswer>,
    /// Unix seconds of the first sighting and of the last change.
    pub first_seen: u64,
    pub updated: u64,
}

/// Counts by progress, for `connector status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub seen: u64,
    pub started: u64,
    pub failed: u64,
    pub submitted: u64,
    pub closed: u64,
}

pub struct ProgressStore {
    db: Database,
}

impl ProgressStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Db(format!("{}: {e}", parent.display())))?;
        }
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(REQUESTS)?;
        txn.commit()?;
        Ok(Self { db })
    }

    pub fn get(&self, request: RequestRef) -> Result<Option<Record>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(REQUESTS)?;
        let value = table.get(key(request))?;
        value.map(|v| decode(request, v.value())).transpose()
    }

    /// Records a sighting; keeps an existing record as it is. Returns the record.
    pub fn seen(&self, request: RequestRef) -> Result<Record, StoreError> {
        self.update(request, |existing| {
            existing.cloned().unwrap_or(Progress::Seen)
        })
    }

    /// Records the start of an MPC run, counting attempts. Refused (returns the record unchanged)
    /// once the request is final.
    pub fn started(&self, request: RequestRef) -> Result<Record, StoreError> {
        self.update(request, |existing| match existing {
            Some(Progress::Started { attempts } | Progress::Failed { attempts, .. }) => {
                Progress::Started {
                    attempts: attempts + 1,
                }
            }
            Some(done) if done.is_final() => done.clone(),
            _ => Progress::Started { attempts: 1 },
        })
    }

    /// Records this party's answer as on chain.
    pub fn submitted(
        &self,
        request: RequestRef,
        tx_hash: &str,
        height: u64,
        success: bool,
    ) -> Result<Record, StoreError> {
        self.advance(
            request,
            Progress::Submitted {
                tx_hash: tx_hash.to_string(),
                height,
                success,
            },
        )
    }

    /// Records a failed drive and when the next one is due; a final record stays as it is.
    pub fn failed(
        &self,
        request: RequestRef,
        reason: &str,
        retry_at: u64,
    ) -> Result<Record, StoreError> {
        self.update(request, |existing| match existing {
            Some(done) if done.is_final() => done.clone(),
            Some(Progress::Started { attempts } | Progress::Failed { attempts, .. }) => {
                Progress::Failed {
                    attempts: *attempts,
                    reason: reason.to_string(),
                    retry_at,
                }
            }
            _ => Progress::Failed {
                attempts: 0,
                reason: reason.to_string(),
                retry_at,
            },
        })
    }

    /// Records that the request needs nothing more from this party.
    pub fn closed(&self, request: RequestRef, reason: &str) -> Result<Record, StoreError> {
        self.advance(
            request,
            Progress::Closed {
                reason: reason.to_string(),
            },
        )
    }

    /// Records in key order after `start_after`, at most `limit`.
    pub fn list(
        &self,
        start_after: Option<RequestRef>,
        limit: usize,
    ) -> Result<Vec<Record>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(REQUESTS)?;
        let mut out = Vec::new();
        let range = match start_after {
            Some(after) => table.range(key(after)..)?,
            None => table.range::<(u8, u64)>(..)?,
        };
        for entry in range {
            let (k, v) = entry?;
            let request = RequestRef::from_key(k.value());
            if Some(request) == start_after {
                continue;
            }
            out.push(decode(request, v.value())?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Requests not yet final: what a restarted connector resumes.
    pub fn unfinished(&self) -> Result<Vec<RequestRef>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(REQUESTS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (k, v) = entry?;
            let request = RequestRef::from_key(k.value());
            if !decode(request, v.value())?.progress.is_final() {
                out.push(request);
            }
        }
        Ok(out)
    }

    pub fn summary(&self) -> Result<Summary, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(REQUESTS)?;
        let mut summary = Summary::default();
        for entry in table.iter()? {
            let (k, v) = entry?;
            match decode(RequestRef::from_key(k.value()), v.value())?.progress {
                Progress::Seen => summary.seen += 1,
                Progress::Started { .. } => summary.started += 1,
                Progress::Failed { .. } => summary.failed += 1,
                Progress::Submitted { .. } => summary.submitted += 1,
                Progress::Closed { .. } => summary.closed += 1,
            }
        }
        Ok(summary)
    }

    /// How many records the store at `path` holds, read without writing to it (as a restore
    /// checks what it would replace); a store whose table was never made holds none.
    pub fn records_at(path: &Path) -> Result<u64, StoreError> {
        let db = Database::open(path)?;
        let txn = db.begin_read()?;
        match txn.open_table(REQUESTS) {
            Ok(table) => Ok(table.len()?),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes a consistent copy of the store (every record as of one read transaction) to a new
    /// redb file at `path`, which must not exist; returns how many records it holds. Used for
    /// backups: the running connector's database file cannot be copied as it is being written.
    pub fn snapshot_to(&self, path: &Path) -> Result<u64, StoreError> {
        if path.exists() {
            return Err(StoreError::Db(format!("{} exists already", path.display())));
        }
        let read = self.db.begin_read()?;
        let table = read.open_table(REQUESTS)?;
        let mut copy = Database::create(path)?;
        let write = copy.begin_write()?;
        let mut records = 0;
        {
            let mut out = write.open_table(REQUESTS)?;
            for entry in table.iter()? {
                let (k, v) = entry?;
                out.insert(k.value(), v.value())?;
                records += 1;
            }
        }
        write.commit()?;
        // A new file is mostly room redb set aside; a backup needs none.
        copy.compact()
            .map_err(|e| StoreError::Db(format!("compact {}: {e}", path.display())))?;
        Ok(records)
    }

    pub fn len(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(txn.open_table(REQUESTS)?.len()?)
    }

    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// Moves a record forward to `next`; a final record stays as it is.
    fn advance(&self, request: RequestRef, next: Progress) -> Result<Record, StoreError> {
        self.update(request, |existing| match existing {
            Some(current) if current.rank() >= next.rank() => current.clone(),
            _ => next.clone(),
        })
    }

    /// Read-modify-write of one record's progress in one write transaction.
    fn update(
        &self,
        request: RequestRef,
        change: impl FnOnce(Option<&Progress>) -> Progress,
    ) -> Result<Record, StoreError> {
        self.modify(request, |existing, now| {
            let progress = change(existing.as_ref().map(|r| &r.progress));
            match existing {
                Some(old) if old.progress == progress => old,
                Some(old) => Record {
                    progress,
                    updated: now,
                    ..old
                },
                None => Record {
                    request,
                    progress,
                    answer: None,
                    first_seen: now,
                    updated: now,
                },
            }
        })
    }

    /// Saves this party's answer before it is submitted; a final record stays as it is.
    pub fn save_answer(
        &self,
        request: RequestRef,
        answer: SavedAnswer,
    ) -> Result<Record, StoreError> {
        self.modify(request, |existing, now| match existing {
            Some(old) if old.progress.is_final() => old,
            Some(old) => Record {
                answer: Some(answer),
                updated: now,
                ..old
            },
            None => Record {
                request,
                progress: Progress::Seen,
                answer: Some(answer),
                first_seen: now,
                updated: now,
            },
        })
    }

    /// Read-modify-write of one record in one write transaction.
    fn modify(
        &self,
        request: RequestRef,
        change: impl FnOnce(Option<Record>, u64) -> Record,
    ) -> Result<Record, StoreError> {
        let now = unix_now();
        let txn = self.db.begin_write()?;
        let record = {
            let mut table = txn.open_table(REQUESTS)?;
            let existing = table
                .get(key(request))?
                .map(|v| decode(request, v.value()))
                .transpose()?;
            let record = change(existing, now);
            let bytes = serde_json::to_vec(&record).map_err(|e| StoreError::Db(e.to_string()))?;
            table.insert(key(request), bytes.as_slice())?;
            record
        };
        txn.commit()?;
        Ok(record)
    }
}

fn key(request: RequestRef) -> (u8, u64) {
    request.to_key()
}

fn decode(request: RequestRef, bytes: &[u8]) -> Result<Record, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Corrupt(request.to_string(), e.to_string()))
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ProgressStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ProgressStore::open(&dir.path().join("party.redb")).unwrap();
        (dir, store)
    }

    const KEY_7: RequestRef = RequestRef::Key(7);
    const SIGN_7: RequestRef = RequestRef::Sign(7);

    #[test]
    fn a_request_moves_forward_and_never_back() {
        let (_dir, store) = store();
        assert_eq!(store.get(SIGN_7).unwrap(), None);
        assert_eq!(store.seen(SIGN_7).unwrap().progress, Progress::Seen);
        assert_eq!(
            store.started(SIGN_7).unwrap().progress,
            Progress::Started { attempts: 1 }
        );
        // A second sighting does not reset the progress.
        assert_eq!(
            store.seen(SIGN_7).unwrap().progress,
            Progress::Started { attempts: 1 }
        );
        let done = store.submitted(SIGN_7, "ABC", 12, true).unwrap();
        assert!(done.progress.is_final());
        // Neither a restart nor a late "closed" changes a submitted record.
        assert_eq!(store.started(SIGN_7).unwrap().progress, done.progress);
        assert_eq!(
            store.closed(SIGN_7, "fulfilled").unwrap().progress,
            done.progress
        );
        assert_eq!(store.seen(SIGN_7).unwrap().progress, done.progress);
    }

    #[test]
    fn a_failed_drive_stays_unfinished_until_answered() {
        let (_dir, store) = store();
        store.started(SIGN_7).unwrap();
        let failed = store.failed(SIGN_7, "out of funds", 1_000).unwrap();
        assert_eq!(
            failed.progress,
            Progress::Failed {
                attempts: 1,
                reason: "out of funds".into(),
                retry_at: 1_000
            }
        );
        assert!(!failed.progress.is_final());
        assert_eq!(store.unfinished().unwrap(), vec![SIGN_7]);
        assert_eq!(store.summary().unwrap().failed, 1);
        // The next drive counts on from the failed one's attempts.
        assert_eq!(
            store.started(SIGN_7).unwrap().progress,
            Progress::Started { attempts: 2 }
        );
        let done = store.submitted(SIGN_7, "ABC", 12, true).unwrap();
        // A late failure report does not undo the answer.
        assert_eq!(
            store.failed(SIGN_7, "late", 2_000).unwrap().progress,
            done.progress
        );
        assert!(store.unfinished().unwrap().is_empty());
    }

    #[test]
    fn a_saved_answer_outlives_failures_restarts_and_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("party.redb");
        let answer = SavedAnswer {
            msg: r#"{"submit_key_result":{}}"#.into(),
            success: true,
        };
        {
            let store = ProgressStore::open(&path).unwrap();
            store.started(KEY_7).unwrap();
            store.save_answer(KEY_7, answer.clone()).unwrap();
            store.failed(KEY_7, "node unreachable", 5).unwrap();
        }
        let store = ProgressStore::open(&path).unwrap();
        store.started(KEY_7).unwrap();
        let record = store.get(KEY_7).unwrap().unwrap();
        assert_eq!(record.answer, Some(answer.clone()));
        assert_eq!(record.progress, Progress::Started { attempts: 2 });
        // Once answered, a late save changes nothing.
        let done = store.submitted(KEY_7, "T", 3, true).unwrap();
        let other = SavedAnswer {
            msg: "{}".into(),
            success: false,
        };
        assert_eq!(store.save_answer(KEY_7, other).unwrap(), done);
    }

    #[test]
    fn kinds_with_the_same_id_are_separate_records() {
        let (_dir, store) = store();
        store.submitted(KEY_7, "K", 3, true).unwrap();
        store.seen(SIGN_7).unwrap();
        assert!(store.get(KEY_7).unwrap().unwrap().progress.is_final());
        assert_eq!(store.get(SIGN_7).unwrap().unwrap().progress, Progress::Seen);
        assert_eq!(store.unfinished().unwrap(), vec![SIGN_7]);
    }

    #[test]
    fn restarts_count_attempts_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/party.redb");
        {
            let store = ProgressStore::open(&path).unwrap();
            store.started(SIGN_7).unwrap();
        }
        let store = ProgressStore::open(&path).unwrap();
        assert_eq!(
            store.started(SIGN_7).unwrap().progress,
            Progress::Started { attempts: 2 }
        );
        assert_eq!(store.unfinished().unwrap(), vec![SIGN_7]);
        store.submitted(SIGN_7, "T", 9, false).unwrap();
        assert!(store.unfinished().unwrap().is_empty());
    }

    #[test]
    fn list_pages_in_key_order() {
        let (_dir, store) = store();
        for id in [3, 1, 2] {
            store.seen(RequestRef::Sign(id)).unwrap();
            store.seen(RequestRef::Key(id)).unwrap();
        }
        let first = store.list(None, 4).unwrap();
        let refs: Vec<_> = first.iter().map(|r| r.request).collect();
        assert_eq!(
            refs,
            vec![
                RequestRef::Key(1),
                RequestRef::Key(2),
                RequestRef::Key(3),
                RequestRef::Sign(1)
            ]
        );
        let rest = store.list(Some(RequestRef::Sign(1)), 10).unwrap();
        let refs: Vec<_> = rest.iter().map(|r| r.request).collect();
        assert_eq!(refs, vec![RequestRef::Sign(2), RequestRef::Sign(3)]);
        assert_eq!(store.len().unwrap(), 6);
    }

    #[test]
    fn a_snapshot_holds_every_record_as_of_its_start_and_overwrites_nothing() {
        let (dir, store) = store();
        store.submitted(KEY_7, "K", 3, true).unwrap();
        store
            .save_answer(
                SIGN_7,
                SavedAnswer {
                    msg: "{}".into(),
                    success: true,
                },
            )
            .unwrap();
        let path = dir.path().join("copy.redb");
        assert_eq!(store.snapshot_to(&path).unwrap(), 2);
        store.closed(SIGN_7, "expired").unwrap();
        let copy = ProgressStore::open(&path).unwrap();
        assert_eq!(copy.get(KEY_7).unwrap(), store.get(KEY_7).unwrap());
        let sign = copy.get(SIGN_7).unwrap().unwrap();
        assert_eq!(sign.progress, Progress::Seen);
        assert!(sign.answer.is_some());
        drop(copy);
        let before = std::fs::read(&path).unwrap();
        assert!(store.snapshot_to(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // Counting its records does not write to it.
        assert_eq!(ProgressStore::records_at(&path).unwrap(), 2);
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn summary_counts_each_progress() {
        let (_dir, store) = store();
        store.seen(RequestRef::Key(1)).unwrap();
        store.started(RequestRef::Key(2)).unwrap();
        store.submitted(RequestRef::Sign(1), "A", 1, true).unwrap();
        store.closed(RequestRef::Sign(2), "expired").unwrap();
        store
            .failed(RequestRef::Sign(3), "node unreachable", 9)
            .unwrap();
        assert_eq!(
            store.summary().unwrap(),
            Summary {
                seen: 1,
                started: 1,
                failed: 1,
                submitted: 1,
                closed: 1
            }
        );
    }
}
