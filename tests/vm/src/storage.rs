//! A contract's key-value store as a chain keeps it: lazy iterators (so listing one page costs the
//! same whatever else is stored), Cosmos SDK gas for every access, and an undo journal so that a
//! failed execution leaves no trace.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Storage};

/// Cosmos SDK `storetypes.KVGasConfig()` defaults (what wasmd charges for store access).
pub mod kv_gas {
    pub const READ_FLAT: u64 = 1_000;
    pub const READ_PER_BYTE: u64 = 3;
    pub const WRITE_FLAT: u64 = 2_000;
    pub const WRITE_PER_BYTE: u64 = 30;
    pub const DELETE: u64 = 1_000;
    pub const ITER_NEXT_FLAT: u64 = 30;
}

struct Cursor {
    start: Option<Vec<u8>>,
    end: Option<Vec<u8>>,
    order: Order,
    /// Key returned last; the next item is strictly after it in `order`.
    last: Option<Vec<u8>>,
}

#[derive(Default)]
struct Inner {
    data: BTreeMap<Vec<u8>, Vec<u8>>,
    cursors: HashMap<u32, Cursor>,
    /// Previous values of the keys written since `begin`, oldest first.
    journal: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// A handle on one contract's store; clones share it. SDK gas is added to a counter that is shared
/// by all contracts of the chain, so that storage touched by nested queries counts too.
#[derive(Clone)]
pub struct ContractStorage {
    inner: Arc<Mutex<Inner>>,
    kv_gas: Arc<AtomicU64>,
}

impl ContractStorage {
    pub fn new(kv_gas: Arc<AtomicU64>) -> Self {
        Self {
            inner: Arc::default(),
            kv_gas,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().expect("storage lock poisoned")
    }

    fn charge(&self, gas: u64) {
        self.kv_gas.fetch_add(gas, Ordering::Relaxed);
    }

    /// Charges `gas` for `op` on `key` (`bytes` counted), and with `MPC_STORE_TRACE` set prints
    /// the access on stderr: where a step's store gas goes, key by key.
    fn charge_for(&self, op: &str, key: &[u8], bytes: usize, gas: u64) {
        self.charge(gas);
        if trace_enabled() {
            eprintln!(
                "store {op:<6} {gas:>6} gas {bytes:>4} B  {}",
                printable(key)
            );
        }
    }

    /// Starts a call: forgets the previous call's iterators and undo journal.
    pub fn begin(&self) {
        let mut inner = self.lock();
        inner.cursors.clear();
        inner.journal.clear();
    }

    /// Undoes every write since `begin`.
    pub fn rollback(&self) {
        let mut inner = self.lock();
        while let Some((key, previous)) = inner.journal.pop() {
            match previous {
                Some(value) => inner.data.insert(key, value),
                None => inner.data.remove(&key),
            };
        }
    }

    /// Number of stored entries (for tests that check nothing changed).
    pub fn len(&self) -> usize {
        self.lock().data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the whole store, to compare before and after a refused call.
    pub fn snapshot(&self) -> BTreeMap<Vec<u8>, Vec<u8>> {
        self.lock().data.clone()
    }
}

fn trace_enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("MPC_STORE_TRACE").is_some())
}

/// A key with its printable bytes as they are and the others as `\xNN`.
fn printable(key: &[u8]) -> String {
    key.iter()
        .map(|&b| match b {
            0x21..=0x7e => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

fn bound(key: &Option<Vec<u8>>, inclusive: bool) -> Bound<&[u8]> {
    match key {
        None => Bound::Unbounded,
        Some(k) if inclusive => Bound::Included(k.as_slice()),
        Some(k) => Bound::Excluded(k.as_slice()),
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let value = self.lock().data.get(key).cloned();
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
        let gas = kv_gas::READ_FLAT + kv_gas::READ_PER_BYTE * bytes as u64;
        self.charge_for("read", key, bytes, gas);
        (Ok(value), GasInfo::free())
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let mut inner = self.lock();
        let id = inner.cursors.len() as u32 + 1;
        inner.cursors.insert(
            id,
            Cursor {
                start: start.map(<[u8]>::to_vec),
                end: end.map(<[u8]>::to_vec),
                order,
                last: None,
            },
        );
        (Ok(id), GasInfo::free())
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let mut inner = self.lock();
        let Inner { data, cursors, .. } = &mut *inner;
        let Some(cursor) = cursors.get_mut(&iterator_id) else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let empty_range = matches!((&cursor.start, &cursor.end), (Some(s), Some(e)) if s >= e);
        let item = if empty_range {
            None
        } else {
            match cursor.order {
                Order::Ascending => {
                    let lower = match &cursor.last {
                        Some(_) => bound(&cursor.last, false),
                        None => bound(&cursor.start, true),
                    };
                    data.range::<[u8], _>((lower, bound(&cursor.end, false)))
                        .next()
                }
                Order::Descending => {
                    let upper = match &cursor.last {
                        Some(_) => bound(&cursor.last, false),
                        None => bound(&cursor.end, false),
                    };
                    data.range::<[u8], _>((bound(&cursor.start, true), upper))
                        .next_back()
                }
            }
        };
        let record = item.map(|(k, v)| (k.clone(), v.clone()));
        if let Some((key, value)) = &record {
            cursor.last = Some(key.clone());
            drop(inner);
            let bytes = key.len() + value.len();
            let gas = kv_gas::ITER_NEXT_FLAT + kv_gas::READ_PER_BYTE * bytes as u64;
            self.charge_for("next", key, bytes, gas);
        }
        (Ok(record), GasInfo::free())
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let mut inner = self.lock();
        let previous = inner.data.insert(key.to_vec(), value.to_vec());
        inner.journal.push((key.to_vec(), previous));
        drop(inner);
        let bytes = key.len() + value.len();
        let gas = kv_gas::WRITE_FLAT + kv_gas::WRITE_PER_BYTE * bytes as u64;
        self.charge_for("write", key, bytes, gas);
        (Ok(()), GasInfo::free())
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let mut inner = self.lock();
        let previous = inner.data.remove(key);
        inner.journal.push((key.to_vec(), previous));
        drop(inner);
        self.charge_for("delete", key, 0, kv_gas::DELETE);
        (Ok(()), GasInfo::free())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> ContractStorage {
        let mut s = ContractStorage::new(Arc::default());
        for k in [b"a", b"b", b"c", b"d"] {
            s.set(k, b"v").0.unwrap();
        }
        s
    }

    fn collect(
        s: &mut ContractStorage,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        o: Order,
    ) -> Vec<u8> {
        let id = s.scan(start, end, o).0.unwrap();
        let mut keys = vec![];
        while let Some((k, _)) = s.next(id).0.unwrap() {
            keys.extend(k);
        }
        keys
    }

    #[test]
    fn iterates_bounded_ranges_both_ways() {
        let mut s = store();
        assert_eq!(
            collect(&mut s, Some(b"b"), Some(b"d"), Order::Ascending),
            b"bc"
        );
        assert_eq!(
            collect(&mut s, Some(b"b"), Some(b"d"), Order::Descending),
            b"cb"
        );
        assert_eq!(collect(&mut s, None, None, Order::Descending), b"dcba");
        assert_eq!(
            collect(&mut s, Some(b"d"), Some(b"b"), Order::Ascending),
            b""
        );
    }

    #[test]
    fn rollback_restores_the_store() {
        let mut s = store();
        let before = s.snapshot();
        s.begin();
        s.set(b"a", b"changed").0.unwrap();
        s.set(b"e", b"new").0.unwrap();
        s.remove(b"b").0.unwrap();
        s.rollback();
        assert_eq!(s.snapshot(), before);
    }
}
