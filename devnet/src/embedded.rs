//! The embedded devnet chain: the three contracts in a cw-multi-test `App`, producing blocks on a
//! timer. Transactions wait in a mempool and are executed when the next block is produced (each
//! one atomic, as on a real chain); the block's custom events then go to subscribers.
//!
//! cw-multi-test's `App` is not `Send` (its contracts are plain trait objects), so it lives on one
//! dedicated thread that owns it; every [`EmbeddedHandle`] talks to that thread over a channel.
//! A handle is one account's view of the chain and implements [`Chain`]; handles can simulate a
//! dropped connection for tests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cosmwasm_std::{
    to_json_vec, Addr, Binary, Coin, ContractResult, CosmosMsg, Empty, Querier, QueryRequest,
    SystemResult, WasmMsg, WasmQuery,
};
use cw_multi_test::App;
use futures::stream::BoxStream;
use futures::StreamExt;
use mpc_testing::deploy::DeployConfig;
use sha2::{Digest, Sha256};
use tokio::sync::{broadcast, oneshot, watch};

use mpc_connector::chain::{Chain, ChainError, ChainEvent, ContractCall, TxOutcome};

/// ABCI code a wasmd chain gives a transaction whose contract call failed.
const CONTRACT_ERROR_CODE: u32 = 5;
/// Subscriber buffer: a subscriber that falls this far behind is disconnected (and catches up by
/// paging, as after any reconnect).
const EVENT_BUFFER: usize = 4096;

/// Settings of the embedded chain.
#[derive(Clone, Debug)]
pub struct EmbeddedConfig {
    /// Time between blocks.
    pub block_time: Duration,
    /// Key requests wait this many blocks for the parties.
    pub key_request_timeout_blocks: u64,
    /// Signature requests wait this many blocks for approvals, and again for the parties.
    pub approval_timeout_blocks: u64,
    pub mpc_timeout_blocks: u64,
}

impl Default for EmbeddedConfig {
    fn default() -> Self {
        Self {
            block_time: Duration::from_millis(100),
            key_request_timeout_blocks: 10_000,
            approval_timeout_blocks: 10_000,
            mpc_timeout_blocks: 10_000,
        }
    }
}

/// Addresses of the three contracts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContractAddresses {
    pub workspace: String,
    pub keyring: String,
    pub signature_requests: String,
}

enum Command {
    Query {
        contract: String,
        msg: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, ChainError>>,
    },
    Execute {
        sender: String,
        calls: Vec<ContractCall>,
        reply: oneshot::Sender<Result<Committed, ChainError>>,
    },
    MessageCounts {
        reply: oneshot::Sender<Vec<MessageCount>>,
    },
    AddressOf {
        name: String,
        reply: oneshot::Sender<String>,
    },
    Fund {
        address: String,
        coins: Vec<Coin>,
        reply: oneshot::Sender<Result<(), ChainError>>,
    },

    Stop,
}

struct Shared {
    commands: std_mpsc::Sender<Command>,
    events: broadcast::Sender<ChainEvent>,
    /// Latest block height, written by the chain thread.
    height: Arc<AtomicU64>,
    contracts: ContractAddresses,
}

/// The running devnet chain. Dropping it (or [`EmbeddedChain::stop`]) stops block production.
pub struct EmbeddedChain {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedChain {
    /// Instantiates the three contracts and starts producing blocks.
    pub fn start(config: EmbeddedConfig) -> Result<Self, ChainError> {
        let (commands, inbox) = std_mpsc::channel();
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let height = Arc::new(AtomicU64::new(0));
        let (thread_events, thread_height) = (events.clone(), height.clone());
        let thread = std::thread::Builder::new()
            .name("devnet-chain".into())
            .spawn(move || {
                let mut node = match Node::genesis(&config, thread_events, thread_height) {
                    Ok(node) => node,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(node.contracts.clone()));
                node.run(inbox, config.block_time);
            })
            .map_err(|e| ChainError::Config(format!("cannot start the chain thread: {e}")))?;
        let contracts = ready_rx
            .recv()
            .map_err(|_| ChainError::Config("chain thread died at genesis".into()))??;
        let shared = Arc::new(Shared {
            commands,
            events,
            height,
            contracts,
        });
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    pub fn contracts(&self) -> &ContractAddresses {
        &self.shared.contracts
    }

    /// The devnet address of a named account (deterministic: `addr_make(name)`).
    pub async fn address_of(&self, name: &str) -> Result<String, ChainError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::AddressOf {
            name: name.to_string(),
            reply,
        })?;
        answer.await.map_err(|_| stopped())
    }

    /// A handle acting as the named account.
    pub async fn handle(&self, name: &str) -> Result<EmbeddedHandle, ChainError> {
        let account = self.address_of(name).await?;
        Ok(EmbeddedHandle::new(self.shared.clone(), account))
    }

    /// Gives an account tokens (genesis-style, outside any transaction).
    pub async fn fund(&self, address: &str, coins: Vec<Coin>) -> Result<(), ChainError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Fund {
            address: address.to_string(),
            coins,
            reply,
        })?;
        answer.await.map_err(|_| stopped())?
    }

    /// Messages sent per account and kind, committed and refused.
    pub async fn message_counts(&self) -> Result<Vec<MessageCount>, ChainError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::MessageCounts { reply })?;
        answer.await.map_err(|_| stopped())
    }

    pub fn height(&self) -> u64 {
        self.shared.height.load(Ordering::SeqCst)
    }

    /// Stops block production and waits for the chain thread.
    pub fn stop(&mut self) {
        let _ = self.shared.commands.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn send(&self, command: Command) -> Result<(), ChainError> {
        self.shared.commands.send(command).map_err(|_| stopped())
    }
}

impl Drop for EmbeddedChain {
    fn drop(&mut self) {
        self.stop();
    }
}

fn stopped() -> ChainError {
    ChainError::Transport("the devnet chain has stopped".into())
}

/// One account's connection to the devnet chain.
#[derive(Clone)]
pub struct EmbeddedHandle {
    shared: Arc<Shared>,
    account: String,
    /// While set, every call fails with a transport error (the node is unreachable).
    offline: Arc<AtomicBool>,
    /// Bumped by [`EmbeddedHandle::disconnect`]; open subscriptions end when it changes.
    generation: Arc<watch::Sender<u64>>,
}

impl EmbeddedHandle {
    fn new(shared: Arc<Shared>, account: String) -> Self {
        Self {
            shared,
            account,
            offline: Arc::new(AtomicBool::new(false)),
            generation: Arc::new(watch::channel(0).0),
        }
    }

    pub fn contracts(&self) -> &ContractAddresses {
        &self.shared.contracts
    }

    /// Drops this handle's open event subscriptions, as a lost websocket would.
    pub fn disconnect(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    /// Makes the node unreachable for this handle (`true`) or reachable again (`false`).
    /// Going offline also drops open subscriptions.
    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::SeqCst);
        if offline {
            self.disconnect();
        }
    }

    /// Like [`Chain::execute`], also returning the transaction's custom events (the devnet
    /// script reads new request ids from them).
    pub async fn execute_with_events(
        &self,
        calls: Vec<ContractCall>,
    ) -> Result<Committed, ChainError> {
        if calls.is_empty() {
            return Err(ChainError::Config(
                "a transaction needs at least one message".into(),
            ));
        }
        let sender = self.account.clone();
        self.call(|reply| Command::Execute {
            sender,
            calls,
            reply,
        })
        .await
    }

    fn check_online(&self) -> Result<(), ChainError> {
        if self.offline.load(Ordering::SeqCst) {
            Err(ChainError::Transport(
                "devnet node unreachable (simulated)".into(),
            ))
        } else {
            Ok(())
        }
    }

    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, ChainError>>) -> Command,
    ) -> Result<T, ChainError> {
        self.check_online()?;
        let (reply, answer) = oneshot::channel();
        self.shared
            .commands
            .send(make(reply))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

#[async_trait::async_trait]
impl Chain for EmbeddedHandle {
    fn account(&self) -> &str {
        &self.account
    }

    async fn latest_height(&self) -> Result<u64, ChainError> {
        self.check_online()?;
        Ok(self.shared.height.load(Ordering::SeqCst))
    }

    /// The devnet answers from its latest block, which every event it emitted is in.
    async fn query_smart_at_least(
        &self,
        contract: &str,
        msg: &[u8],
        _min_height: u64,
    ) -> Result<Vec<u8>, ChainError> {
        let contract = contract.to_string();
        let msg = msg.to_vec();
        self.call(|reply| Command::Query {
            contract,
            msg,
            reply,
        })
        .await
    }

    /// The devnet charges no fees.
    async fn fee_balance(&self) -> Result<Option<Coin>, ChainError> {
        Ok(None)
    }

    async fn execute(&self, calls: Vec<ContractCall>) -> Result<TxOutcome, ChainError> {
        Ok(self.execute_with_events(calls).await?.outcome)
    }

    async fn subscribe(
        &self,
        contracts: Vec<String>,
    ) -> Result<BoxStream<'static, ChainEvent>, ChainError> {
        self.check_online()?;
        let events = self.shared.events.subscribe();
        let mut generation = self.generation.subscribe();
        generation.mark_unchanged();
        let stream = futures::stream::unfold(
            (events, generation, contracts),
            |(mut events, mut generation, contracts)| async move {
                loop {
                    tokio::select! {
                        // A simulated disconnect ends the stream.
                        _ = generation.changed() => return None,
                        received = events.recv() => match received {
                            Ok(event) if contracts.contains(&event.contract) => {
                                return Some((event, (events, generation, contracts)));
                            }
                            Ok(_) => continue,
                            // Lagging or a stopped chain: end the stream like a dropped
                            // connection; the event source re-pages what it missed.
                            Err(_) => return None,
                        }
                    }
                }
            },
        );
        Ok(stream.boxed())
    }
}

/// Which calls a count is of: (sender, contract, message variant, request id).
type CallKey = (String, String, String, Option<u64>);

/// The chain thread's state: the `App`, the mempool and the block clock.
struct Node {
    app: App,
    contracts: ContractAddresses,
    mempool: Vec<PendingTx>,
    events: broadcast::Sender<ChainEvent>,
    height: Arc<AtomicU64>,
    /// (sender, contract, variant, request id) → (committed, refused).
    counts: BTreeMap<CallKey, (u64, u64)>,
}

struct PendingTx {
    sender: String,
    calls: Vec<ContractCall>,
    reply: oneshot::Sender<Result<Committed, ChainError>>,
}

/// A committed transaction and the custom events it emitted.
#[derive(Clone, Debug)]
pub struct Committed {
    pub outcome: TxOutcome,
    pub events: Vec<ChainEvent>,
}

/// How many messages of one kind one account sent, over the chain's life: what tests count to
/// prove that no party answered twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageCount {
    pub sender: String,
    pub contract: String,
    /// The execute message's variant, e.g. `submit_signature_result`.
    pub message: String,
    /// Its `request_id` field, for messages about one request.
    pub request_id: Option<u64>,
    /// In transactions that were committed.
    pub committed: u64,
    /// In transactions that were refused.
    pub refused: u64,
}

impl Node {
    fn genesis(
        config: &EmbeddedConfig,
        events: broadcast::Sender<ChainEvent>,
        height: Arc<AtomicU64>,
    ) -> Result<Self, ChainError> {
        let mut app = App::default();
        let admin = app.api().addr_make("devnet-admin");
        // The same deployment the contracts' own tests use (the shared test kit).
        let deployment = mpc_testing::deploy(
            &mut app,
            &DeployConfig {
                key_request_timeout_blocks: Some(config.key_request_timeout_blocks),
                approval_timeout_blocks: Some(config.approval_timeout_blocks),
                mpc_timeout_blocks: Some(config.mpc_timeout_blocks),
                ..DeployConfig::new(admin)
            },
        )
        .map_err(|e| ChainError::Config(format!("devnet genesis: the contracts: {e}")))?;

        height.store(app.block_info().height, Ordering::SeqCst);
        Ok(Self {
            app,
            contracts: ContractAddresses {
                workspace: deployment.workspace.to_string(),
                keyring: deployment.keyring.to_string(),
                signature_requests: deployment.signature_requests.to_string(),
            },
            mempool: Vec::new(),
            events,
            height,
            counts: BTreeMap::new(),
        })
    }

    /// Serves commands until `Stop` (or every sender is gone), producing a block every
    /// `block_time`.
    fn run(&mut self, inbox: std_mpsc::Receiver<Command>, block_time: Duration) {
        let mut next_block = Instant::now() + block_time;
        loop {
            let wait = next_block.saturating_duration_since(Instant::now());
            match inbox.recv_timeout(wait) {
                Ok(Command::Stop) | Err(std_mpsc::RecvTimeoutError::Disconnected) => return,
                Ok(command) => self.serve(command),
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    self.produce_block(block_time);
                    next_block += block_time;
                    // After a long stall, do not produce a burst of catch-up blocks.
                    let now = Instant::now();
                    if next_block < now {
                        next_block = now + block_time;
                    }
                }
            }
        }
    }

    fn serve(&mut self, command: Command) {
        match command {
            Command::Query {
                contract,
                msg,
                reply,
            } => {
                let _ = reply.send(self.query(contract, msg));
            }
            Command::Execute {
                sender,
                calls,
                reply,
            } => self.mempool.push(PendingTx {
                sender,
                calls,
                reply,
            }),
            Command::AddressOf { name, reply } => {
                let _ = reply.send(self.app.api().addr_make(&name).to_string());
            }
            Command::Fund {
                address,
                coins,
                reply,
            } => {
                let result = self
                    .app
                    .init_modules(|router, _, storage| {
                        router
                            .bank
                            .init_balance(storage, &Addr::unchecked(address), coins)
                    })
                    .map_err(|e| ChainError::Config(format!("fund: {e}")));
                let _ = reply.send(result);
            }
            Command::MessageCounts { reply } => {
                let counts = self
                    .counts
                    .iter()
                    .map(
                        |((sender, contract, message, request_id), (committed, refused))| {
                            MessageCount {
                                sender: sender.clone(),
                                contract: contract.clone(),
                                message: message.clone(),
                                request_id: *request_id,
                                committed: *committed,
                                refused: *refused,
                            }
                        },
                    )
                    .collect();
                let _ = reply.send(counts);
            }
            Command::Stop => {}
        }
    }

    fn query(&self, contract: String, msg: Vec<u8>) -> Result<Vec<u8>, ChainError> {
        let request: QueryRequest<Empty> = QueryRequest::Wasm(WasmQuery::Smart {
            contract_addr: contract,
            msg: Binary::new(msg),
        });
        let raw = to_json_vec(&request).map_err(|e| ChainError::Decode(e.to_string()))?;
        match self.app.raw_query(&raw) {
            SystemResult::Ok(ContractResult::Ok(answer)) => Ok(answer.to_vec()),
            SystemResult::Ok(ContractResult::Err(log)) => Err(ChainError::Rejected {
                code: CONTRACT_ERROR_CODE,
                log,
            }),
            SystemResult::Err(e) => Err(ChainError::Rejected {
                code: CONTRACT_ERROR_CODE,
                log: e.to_string(),
            }),
        }
    }

    /// Advances height and time, executes the mempool in order (each transaction atomic),
    /// answers the senders and publishes the block's events.
    fn produce_block(&mut self, block_time: Duration) {
        self.app.update_block(|block| {
            block.height += 1;
            block.time = block.time.plus_nanos(block_time.as_nanos() as u64);
        });
        let height = self.app.block_info().height;
        for (index, tx) in std::mem::take(&mut self.mempool).into_iter().enumerate() {
            let tx_hash = tx_hash(height, index, &tx);
            let msgs: Vec<CosmosMsg> = tx
                .calls
                .iter()
                .map(|call| {
                    CosmosMsg::Wasm(WasmMsg::Execute {
                        contract_addr: call.contract.clone(),
                        msg: Binary::new(call.msg.clone()),
                        funds: call.funds.clone(),
                    })
                })
                .collect();
            let result = self.app.execute_multi(Addr::unchecked(&tx.sender), msgs);
            self.count(&tx, result.is_ok());
            let outcome = match result {
                Ok(responses) => {
                    let events: Vec<ChainEvent> = responses
                        .iter()
                        .flat_map(|r| r.events.iter())
                        .filter_map(|event| custom_event(height, event))
                        .collect();
                    for event in &events {
                        // No subscriber is fine: everything is also in contract state.
                        let _ = self.events.send(event.clone());
                    }
                    Ok(Committed {
                        outcome: TxOutcome {
                            tx_hash,
                            height,
                            // cw-multi-test does not meter gas.
                            gas_used: 0,
                        },
                        events,
                    })
                }
                Err(e) => Err(ChainError::Rejected {
                    code: CONTRACT_ERROR_CODE,
                    log: e.to_string(),
                }),
            };
            let _ = tx.reply.send(outcome);
        }
        self.height.store(height, Ordering::SeqCst);
    }
}

impl Node {
    fn count(&mut self, tx: &PendingTx, committed: bool) {
        for call in &tx.calls {
            let json = serde_json::from_slice::<serde_json::Value>(&call.msg).unwrap_or_default();
            let (message, body) = json
                .as_object()
                .and_then(|o| o.iter().next())
                .map(|(k, v)| (k.clone(), v.clone()))
                .unwrap_or_default();
            let request_id = body.get("request_id").and_then(|v| v.as_u64());
            let entry = self
                .counts
                .entry((
                    tx.sender.clone(),
                    call.contract.clone(),
                    message,
                    request_id,
                ))
                .or_default();
            if committed {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
}

fn tx_hash(height: u64, index: usize, tx: &PendingTx) -> String {
    let mut h = Sha256::new();
    h.update(height.to_be_bytes());
    h.update((index as u64).to_be_bytes());
    h.update(tx.sender.as_bytes());
    for call in &tx.calls {
        h.update(call.contract.as_bytes());
        h.update(&call.msg);
    }
    hex::encode_upper(h.finalize())
}

/// A `wasm-<kind>` event as a [`ChainEvent`]; other events (the generic `wasm`, bank...) are not
/// what subscribers watch.
fn custom_event(height: u64, event: &cosmwasm_std::Event) -> Option<ChainEvent> {
    let kind = event.ty.strip_prefix("wasm-")?;
    let contract = event
        .attributes
        .iter()
        .find(|a| a.key == "_contract_address")?
        .value
        .clone();
    Some(ChainEvent {
        height,
        contract,
        kind: kind.to_string(),
        attributes: event
            .attributes
            .iter()
            .filter(|a| a.key != "_contract_address")
            .map(|a| (a.key.clone(), a.value.clone()))
            .collect(),
    })
}
