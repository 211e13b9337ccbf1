//! A minimal chain around the real CosmWasm VM: code is stored through `Cache::store_code` (the
//! static checks wasmd runs on upload), every call gets a fresh instance with a gas limit (as in
//! wasmd), smart queries between contracts are routed to the other real instances, and
//! `WasmMsg::Execute` messages in a response are executed in the same transaction.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cosmwasm_std::{
    Addr, Binary, BlockInfo, Checksum, Coin, ContractResult, CosmosMsg, Empty, Env, Event,
    MessageInfo, QueryRequest, ReplyOn, Response, SystemError, SystemResult, Timestamp, WasmMsg,
    WasmQuery,
};
use cosmwasm_vm::testing::{mock_env, MockApi};
use cosmwasm_vm::{
    call_execute, call_instantiate, call_query, capabilities_from_csv, AnalysisReport, Backend,
    BackendResult, Cache, CacheOptions, GasInfo, Instance, InstanceOptions, Querier, Size, VmError,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::storage::ContractStorage;

/// What wasmd 0.61 offers contracts (`cosmwasm_3_0` left out on purpose: wasmd 0.61 does not offer it).
pub const CHAIN_CAPABILITIES: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,\
                                      cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0,cosmwasm_2_1,cosmwasm_2_2";
/// What the oldest chains that run the artifacts offer: wasmvm 2.0 (wasmd 0.51). The artifacts
/// need none of the `cosmwasm_*` capabilities, only `iterator` (README, "Which chains").
pub const OLDEST_CHAIN_CAPABILITIES: &str = "iterator,staking,stargate,cosmwasm_1_1,cosmwasm_1_2,\
                                             cosmwasm_1_3,cosmwasm_1_4,cosmwasm_2_0";
/// wasmd's default conversion: this much CosmWasm gas is one Cosmos SDK gas unit.
pub const GAS_MULTIPLIER: u64 = 140_000;
/// Gas limit of every call, in CosmWasm gas (far above any single transaction's budget).
pub const CALL_GAS_LIMIT: u64 = 100_000_000_000_000;
const INSTANCE_MEMORY_LIMIT: Size = Size::mebi(32);

type VmInstance = Instance<MockApi, ContractStorage, Router>;

/// Gas of one call, including nested queries and the messages it dispatched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gas {
    /// CosmWasm gas metered by the VM: Wasm execution, host calls (crypto, address handling)
    /// and nested queries.
    pub vm: u64,
    /// Cosmos SDK gas for store access (KVGasConfig), charged by the chain, not the VM.
    pub kv: u64,
}

impl Gas {
    /// What the contract part of a transaction costs in SDK gas (leaving out the per-transaction
    /// and per-instance overheads of the chain, which are the same for any contract).
    pub fn sdk(&self) -> u64 {
        self.vm.div_ceil(GAS_MULTIPLIER) + self.kv
    }
}

impl std::ops::AddAssign for Gas {
    fn add_assign(&mut self, other: Gas) {
        self.vm += other.vm;
        self.kv += other.kv;
    }
}

/// Why a call did not succeed.
#[derive(Debug)]
pub enum CallError {
    /// The contract answered with an error (its `ContractError` text).
    Contract(String),
    /// The VM refused or aborted the call (bad module, out of gas, trap, ...).
    Vm(VmError),
    /// The response asked for something this harness does not model.
    Unsupported(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Contract(msg) => write!(f, "contract error: {msg}"),
            CallError::Vm(err) => write!(f, "vm error: {err}"),
            CallError::Unsupported(what) => write!(f, "unsupported by the harness: {what}"),
        }
    }
}

impl std::error::Error for CallError {}

impl From<VmError> for CallError {
    fn from(err: VmError) -> Self {
        CallError::Vm(err)
    }
}

impl CallError {
    /// The contract's own error text, if the contract refused.
    pub fn contract_error(&self) -> Option<&str> {
        match self {
            CallError::Contract(msg) => Some(msg),
            _ => None,
        }
    }
}

/// A successful execute (or instantiate) with everything it dispatched.
#[derive(Debug)]
pub struct Executed {
    pub response: Response,
    /// Events of this call and of the messages it dispatched, as `wasm-<type>` like wasmd names
    /// custom events.
    pub events: Vec<Event>,
    pub gas: Gas,
}

impl Executed {
    /// The value of `key` in the first event of `ty` (`wasm-` prefix included) that has it.
    pub fn attribute(&self, ty: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.ty == ty)
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

#[derive(Clone)]
struct Deployed {
    checksum: Checksum,
    storage: ContractStorage,
}

struct ChainState {
    cache: Cache<MockApi, ContractStorage, Router>,
    api: MockApi,
    contracts: Mutex<HashMap<String, Deployed>>,
    block: Mutex<BlockInfo>,
    kv_gas: Arc<AtomicU64>,
    cache_dir: PathBuf,
}

impl Drop for ChainState {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.cache_dir);
    }
}

/// Answers a contract's queries: smart queries go to the queried contract's real instance.
#[derive(Clone)]
pub struct Router {
    chain: Arc<ChainState>,
}

impl Querier for Router {
    fn query_raw(
        &self,
        request: &[u8],
        gas_limit: u64,
    ) -> BackendResult<SystemResult<ContractResult<Binary>>> {
        let request: QueryRequest<Empty> = match serde_json::from_slice(request) {
            Ok(request) => request,
            Err(err) => {
                let error = SystemError::InvalidRequest {
                    error: err.to_string(),
                    request: Binary::from(request),
                };
                return (Ok(SystemResult::Err(error)), GasInfo::free());
            }
        };
        match request {
            QueryRequest::Wasm(WasmQuery::Smart { contract_addr, msg }) => {
                match self.chain.query_raw(&contract_addr, &msg, gas_limit) {
                    // The queried contract's store access is on the chain's shared KV counter
                    // already; only its VM gas is charged to the calling instance here.
                    Ok((result, vm_gas)) => (
                        Ok(SystemResult::Ok(result)),
                        GasInfo::with_externally_used(vm_gas),
                    ),
                    Err(CallError::Vm(VmError::GasDepletion { .. })) => (
                        Err(cosmwasm_vm::BackendError::out_of_gas()),
                        GasInfo::with_externally_used(gas_limit),
                    ),
                    Err(err) => {
                        let error = SystemError::InvalidRequest {
                            error: err.to_string(),
                            request: msg,
                        };
                        (Ok(SystemResult::Err(error)), GasInfo::free())
                    }
                }
            }
            other => (
                Ok(SystemResult::Err(SystemError::UnsupportedRequest {
                    kind: format!("{other:?}"),
                })),
                GasInfo::free(),
            ),
        }
    }
}

impl ChainState {
    fn deployed(&self, contract: &str) -> Result<Deployed, CallError> {
        self.contracts
            .lock()
            .expect("contracts lock poisoned")
            .get(contract)
            .cloned()
            .ok_or_else(|| CallError::Unsupported(format!("no contract at {contract}")))
    }

    fn env(&self, contract: &str) -> Env {
        let mut env = mock_env();
        env.block = self.block.lock().expect("block lock poisoned").clone();
        env.contract.address = Addr::unchecked(contract);
        env
    }

    fn instance(
        self: &Arc<Self>,
        deployed: &Deployed,
        gas_limit: u64,
    ) -> Result<VmInstance, VmError> {
        let backend = Backend {
            api: self.api,
            storage: deployed.storage.clone(),
            querier: Router {
                chain: Arc::clone(self),
            },
        };
        self.cache
            .get_instance(&deployed.checksum, backend, InstanceOptions { gas_limit })
    }

    fn query_raw(
        self: &Arc<Self>,
        contract: &str,
        msg: &[u8],
        gas_limit: u64,
    ) -> Result<(ContractResult<Binary>, u64), CallError> {
        let deployed = self.deployed(contract)?;
        let mut instance = self.instance(&deployed, gas_limit)?;
        instance.set_storage_readonly(true);
        let result = call_query(&mut instance, &self.env(contract), msg)?;
        let report = instance.create_gas_report();
        Ok((result, report.used_internally + report.used_externally))
    }

    /// Runs an instantiate or execute call and the messages it dispatches; on any failure every
    /// store touched is rolled back.
    fn run(
        self: &Arc<Self>,
        contract: &str,
        info: &MessageInfo,
        msg: &[u8],
        instantiate: bool,
        trace: &mut CallTrace,
    ) -> Result<Response, CallError> {
        let deployed = self.deployed(contract)?;
        if trace.touched.insert(contract.to_string()) {
            deployed.storage.begin();
        }
        let kv_before = self.kv_gas.load(Ordering::Relaxed);
        let mut instance = self.instance(&deployed, CALL_GAS_LIMIT)?;
        let env = self.env(contract);
        let result = if instantiate {
            call_instantiate::<_, _, _, Empty>(&mut instance, &env, info, msg)
        } else {
            call_execute::<_, _, _, Empty>(&mut instance, &env, info, msg)
        };
        let report = instance.create_gas_report();
        trace.gas += Gas {
            vm: report.used_internally + report.used_externally,
            kv: self.kv_gas.load(Ordering::Relaxed) - kv_before,
        };
        let response = match result? {
            ContractResult::Ok(response) => response,
            ContractResult::Err(msg) => return Err(CallError::Contract(msg)),
        };
        trace.events.extend(response.events.iter().map(|e| {
            let mut e = e.clone();
            e.ty = format!("wasm-{}", e.ty);
            e
        }));
        for sub in &response.messages {
            if sub.reply_on != ReplyOn::Never {
                return Err(CallError::Unsupported(format!(
                    "reply_on {:?}",
                    sub.reply_on
                )));
            }
            match &sub.msg {
                CosmosMsg::Wasm(WasmMsg::Execute {
                    contract_addr,
                    msg,
                    funds,
                }) => {
                    let info = MessageInfo {
                        sender: Addr::unchecked(contract),
                        funds: funds.clone(),
                    };
                    self.run(contract_addr, &info, msg, false, trace)?;
                }
                // Funds are not modelled: payouts and refunds are checked by the cw-multi-test
                // suites; here they only need to be well-formed messages.
                CosmosMsg::Bank(_) => {}
                other => return Err(CallError::Unsupported(format!("message {other:?}"))),
            }
        }
        Ok(response)
    }
}

/// What one top-level call accumulates across the messages it dispatches.
#[derive(Default)]
struct CallTrace {
    /// Contracts whose stores were opened for writing, to roll back on failure.
    touched: BTreeSet<String>,
    gas: Gas,
    events: Vec<Event>,
}

/// The chain the tests and the benchmark drive.
pub struct Chain {
    state: Arc<ChainState>,
    next_contract: u64,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// A chain offering what wasmd 0.61 offers.
    pub fn new() -> Self {
        Self::with_capabilities(CHAIN_CAPABILITIES)
    }

    /// A chain offering the capabilities listed in `capabilities` (comma-separated).
    pub fn with_capabilities(capabilities: &str) -> Self {
        static NEXT_DIR: AtomicU64 = AtomicU64::new(0);
        let cache_dir = std::env::temp_dir().join(format!(
            "mpc-vm-tests-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        let options = CacheOptions::new(
            &cache_dir,
            capabilities_from_csv(capabilities),
            Size::mebi(200),
            INSTANCE_MEMORY_LIMIT,
        );
        // SAFETY: the cache directory is private to this chain and removed with it.
        let cache = unsafe { Cache::new(options) }.expect("creating the VM cache");
        Self {
            state: Arc::new(ChainState {
                cache,
                api: MockApi::default(),
                contracts: Mutex::default(),
                block: Mutex::new(BlockInfo {
                    height: 1_000,
                    time: Timestamp::from_seconds(1_700_000_000),
                    chain_id: "mpc-vm-test".to_string(),
                }),
                kv_gas: Arc::default(),
                cache_dir,
            }),
            next_contract: 0,
        }
    }

    /// A valid address on this chain, derived from `name`.
    pub fn addr(&self, name: &str) -> Addr {
        Addr::unchecked(self.state.api.addr_make(name))
    }

    /// Uploads code as wasmd does: the static checks (exports, imports, capabilities, limits,
    /// Wasm features) then compilation. A module a chain would refuse is refused here.
    pub fn store_code(&self, wasm: &[u8]) -> Result<Checksum, VmError> {
        self.state.cache.store_code(wasm, true, true)
    }

    /// Entry points and required capabilities of stored code.
    pub fn analyze(&self, checksum: &Checksum) -> Result<AnalysisReport, VmError> {
        self.state.cache.analyze(checksum)
    }

    pub fn height(&self) -> u64 {
        self.state.block.lock().expect("block lock poisoned").height
    }

    pub fn advance_blocks(&self, blocks: u64) {
        let mut block = self.state.block.lock().expect("block lock poisoned");
        block.height += blocks;
        block.time = block.time.plus_seconds(5 * blocks);
    }

    pub fn instantiate(
        &mut self,
        code: &Checksum,
        sender: &Addr,
        msg: &impl Serialize,
    ) -> Result<(Addr, Executed), CallError> {
        self.next_contract += 1;
        let address = self.addr(&format!("contract{}", self.next_contract));
        let storage = ContractStorage::new(Arc::clone(&self.state.kv_gas));
        self.state
            .contracts
            .lock()
            .expect("contracts lock poisoned")
            .insert(
                address.to_string(),
                Deployed {
                    checksum: *code,
                    storage,
                },
            );
        let executed = self.call(&address, sender, msg, &[], true)?;
        Ok((address, executed))
    }

    pub fn execute(
        &self,
        contract: &Addr,
        sender: &Addr,
        msg: &impl Serialize,
        funds: &[Coin],
    ) -> Result<Executed, CallError> {
        self.call(contract, sender, msg, funds, false)
    }

    fn call(
        &self,
        contract: &Addr,
        sender: &Addr,
        msg: &impl Serialize,
        funds: &[Coin],
        instantiate: bool,
    ) -> Result<Executed, CallError> {
        let msg = serde_json::to_vec(msg).expect("serialising a message");
        let info = MessageInfo {
            sender: sender.clone(),
            funds: funds.to_vec(),
        };
        let mut trace = CallTrace::default();
        let result = self
            .state
            .run(contract.as_str(), &info, &msg, instantiate, &mut trace);
        match result {
            Ok(response) => Ok(Executed {
                response,
                events: trace.events,
                gas: trace.gas,
            }),
            Err(err) => {
                for address in &trace.touched {
                    if let Ok(deployed) = self.state.deployed(address) {
                        deployed.storage.rollback();
                    }
                }
                Err(err)
            }
        }
    }

    /// A smart query with its gas.
    pub fn query_with_gas<T: DeserializeOwned>(
        &self,
        contract: &Addr,
        msg: &impl Serialize,
    ) -> Result<(T, Gas), CallError> {
        let msg = serde_json::to_vec(msg).expect("serialising a query");
        let kv_before = self.state.kv_gas.load(Ordering::Relaxed);
        let (result, vm) = self
            .state
            .query_raw(contract.as_str(), &msg, CALL_GAS_LIMIT)?;
        let gas = Gas {
            vm,
            kv: self.state.kv_gas.load(Ordering::Relaxed) - kv_before,
        };
        match result {
            ContractResult::Ok(data) => {
                let value = serde_json::from_slice(&data).map_err(|e| {
                    CallError::Unsupported(format!("query answer does not parse: {e}"))
                })?;
                Ok((value, gas))
            }
            ContractResult::Err(msg) => Err(CallError::Contract(msg)),
        }
    }

    pub fn query<T: DeserializeOwned>(
        &self,
        contract: &Addr,
        msg: &impl Serialize,
    ) -> Result<T, CallError> {
        self.query_with_gas(contract, msg).map(|(value, _)| value)
    }

    /// A copy of a contract's whole store, to check that a refused call changed nothing.
    pub fn store_snapshot(&self, contract: &Addr) -> std::collections::BTreeMap<Vec<u8>, Vec<u8>> {
        self.state
            .deployed(contract.as_str())
            .expect("known contract")
            .storage
            .snapshot()
    }
}
