//! Sending one transaction from this party's account: sequence bookkeeping, gas simulation,
//! signing, sync broadcast and waiting for inclusion. Written against [`TxNode`] so that the
//! retry and sequence rules are tested without a chain.

use std::time::Duration;

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tendermint::chain;
use cosmrs::{AccountId, Any};
use cosmwasm_std::Decimal;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::{debug, info};

use crate::chain::cosmos::classify;
use crate::chain::cosmos::fees::{fee_amount, gas_limit};
use crate::chain::cosmos::tx::{execute_messages, sign_tx, AccountSequence, TxFee};
use crate::chain::{ChainError, ContractCall, TxOutcome};

/// `ErrInvalidRequest`: what the SDK answers to a transaction without messages.
const CODE_INVALID_REQUEST: u32 = 18;

/// Logged (debug) when a transaction met a sequence mismatch and is signed and sent again.
pub const SEQUENCE_MISMATCH_RETRY: &str = "account sequence mismatch; refreshing and retrying once";

/// A transaction's result as the node reports it (CheckTx after a broadcast, DeliverTx once
/// included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeTxResult {
    pub tx_hash: String,
    /// 0 until included.
    pub height: u64,
    pub code: u32,
    pub codespace: String,
    pub log: String,
    /// The transaction's gas limit.
    pub gas_wanted: u64,
    pub gas_used: u64,
}

/// What submitting needs from a node (gRPC in production).
#[async_trait::async_trait]
pub trait TxNode: Send + Sync + 'static {
    /// Account number and next sequence of `address`.
    async fn account(&self, address: &str) -> Result<AccountSequence, ChainError>;
    /// Gas the signed transaction uses when simulated.
    async fn simulate(&self, tx_bytes: Vec<u8>) -> Result<u64, ChainError>;
    /// Broadcast in SYNC mode: returns once CheckTx ran.
    async fn broadcast_sync(&self, tx_bytes: Vec<u8>) -> Result<NodeTxResult, ChainError>;
    /// The included transaction with this hash, `None` while it is not in a block.
    async fn find_tx(&self, tx_hash: &str) -> Result<Option<NodeTxResult>, ChainError>;
}

/// Gas settings of the party.
#[derive(Clone, Debug, PartialEq)]
pub struct GasSettings {
    pub price: Decimal,
    pub denom: String,
    pub multiplier: f64,
    pub cap: u64,
}

/// Sends this party's transactions; one per account, since it owns the account's sequence.
pub struct TxSender<N> {
    node: N,
    key: SigningKey,
    sender: AccountId,
    chain_id: chain::Id,
    gas: GasSettings,
    confirm_timeout: Duration,
    confirm_poll: Duration,
    /// The next sequence to use, `None` when it must be read from the chain. Held from signing
    /// to broadcast so that concurrent calls take consecutive sequences.
    account: Mutex<Option<AccountSequence>>,
}

impl<N: TxNode> TxSender<N> {
    pub fn new(
        node: N,
        key: SigningKey,
        sender: AccountId,
        chain_id: chain::Id,
        gas: GasSettings,
        confirm_timeout: Duration,
        confirm_poll: Duration,
    ) -> Self {
        Self {
            node,
            key,
            sender,
            chain_id,
            gas,
            confirm_timeout,
            confirm_poll,
            account: Mutex::new(None),
        }
    }

    pub fn node(&self) -> &N {
        &self.node
    }

    /// One transaction carrying all `calls`. On a sequence mismatch (at simulation, CheckTx or
    /// DeliverTx) the sequence is read again from the chain and the transaction re-signed and
    /// sent once more; a second mismatch is returned.
    pub async fn execute(&self, calls: &[ContractCall]) -> Result<TxOutcome, ChainError> {
        if calls.is_empty() {
            return Err(ChainError::Rejected {
                code: CODE_INVALID_REQUEST,
                log: "a transaction needs at least one message".into(),
            });
        }
        let messages = execute_messages(&self.sender, calls)?;
        let reserve = calls
            .iter()
            .fold(0u64, |total, call| total.saturating_add(call.gas_reserve));
        match self.send_once(&messages, reserve).await {
            Err(ChainError::SequenceMismatch { expected, got }) => {
                debug!(expected, got, "{SEQUENCE_MISMATCH_RETRY}");
                self.send_once(&messages, reserve).await
            }
            outcome => outcome,
        }
    }

    /// Signs `messages` with the cached account's sequence (read from the chain when none is
    /// cached) and broadcasts them once.
    async fn send_once(&self, messages: &[Any], reserve: u64) -> Result<TxOutcome, ChainError> {
        let tx_hash = {
            let mut cached = self.account.lock().await;
            let account = match *cached {
                Some(account) => account,
                None => self.node.account(self.sender.as_ref()).await?,
            };
            let broadcast = self.sign_and_broadcast(account, messages, reserve).await;
            *cached = match &broadcast {
                // CheckTx passed: the sequence is spent whatever DeliverTx says.
                Ok(_) => Some(AccountSequence {
                    sequence: account.sequence + 1,
                    ..account
                }),
                // Refused before reaching the mempool: the sequence is still free.
                Err(ChainError::Rejected { .. } | ChainError::GasCap { .. }) => Some(account),
                // Mismatch, or unknown whether the node took it: ask the chain next time.
                Err(_) => None,
            };
            broadcast?
        };
        self.confirm(&tx_hash).await
    }

    /// Simulates to learn the gas, then signs with the real fee and broadcasts; returns the hash.
    /// `reserve`: gas the messages may need beyond the simulation (see [`gas_limit`]).
    async fn sign_and_broadcast(
        &self,
        account: AccountSequence,
        messages: &[Any],
        reserve: u64,
    ) -> Result<String, ChainError> {
        // Simulation runs on an unlimited gas meter and skips the minimum-fee check, so it is
        // signed with the cap. Its fee is one unit, not none: a non-zero fee takes the fee
        // transfer's gas, as the real transaction will (a free probe under-counts it).
        let probe = TxFee {
            gas_limit: self.gas.cap,
            amount: u128::from(!self.gas.price.is_zero()),
            denom: self.gas.denom.clone(),
        };
        let probe_bytes = sign_tx(
            &self.key,
            &self.chain_id,
            account,
            messages.to_vec(),
            &probe,
        )?;
        let simulated = self.node.simulate(probe_bytes).await?;
        let gas_limit = gas_limit(simulated, reserve, self.gas.multiplier, self.gas.cap)?;
        let fee = TxFee {
            gas_limit,
            amount: fee_amount(gas_limit, self.gas.price),
            denom: self.gas.denom.clone(),
        };
        let tx_bytes = sign_tx(&self.key, &self.chain_id, account, messages.to_vec(), &fee)?;
        let checked = self.node.broadcast_sync(tx_bytes).await?;
        classify::tx_result(&checked)?;
        debug!(tx_hash = %checked.tx_hash, sequence = account.sequence, simulated, gas_limit, "broadcast");
        Ok(checked.tx_hash)
    }

    /// Polls until the transaction is in a block or the confirmation timeout passes.
    async fn confirm(&self, tx_hash: &str) -> Result<TxOutcome, ChainError> {
        let deadline = Instant::now() + self.confirm_timeout;
        loop {
            match self.node.find_tx(tx_hash).await {
                Ok(Some(included)) => {
                    if let Err(error) = classify::tx_result(&included) {
                        if matches!(error, ChainError::SequenceMismatch { .. }) {
                            // DeliverTx refused the sequence, so it was not spent after all.
                            *self.account.lock().await = None;
                        }
                        return Err(error);
                    }
                    info!(
                        tx_hash,
                        height = included.height,
                        gas_wanted = included.gas_wanted,
                        gas_used = included.gas_used,
                        "included"
                    );
                    return Ok(TxOutcome {
                        tx_hash: tx_hash.to_string(),
                        height: included.height,
                        gas_used: included.gas_used,
                    });
                }
                Ok(None) => {}
                // A node that is briefly unreachable may still include the transaction.
                Err(error) => debug!(tx_hash, %error, "waiting for inclusion"),
            }
            if Instant::now() >= deadline {
                return Err(ChainError::Timeout);
            }
            tokio::time::sleep(self.confirm_poll).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::cosmos::tx::tests::{contract, KEY};
    use crate::chain::cosmos::tx::tx_hash;
    use cosmrs::tx::Tx;
    use std::collections::{HashMap, VecDeque};
    use std::str::FromStr;
    use std::sync::{Arc, Mutex as StdMutex};

    /// What the fake chain saw of one transaction.
    #[derive(Clone, Debug, PartialEq)]
    struct Seen {
        sequence: u64,
        gas_limit: u64,
        fee: u128,
        messages: usize,
    }

    /// A chain that checks sequences like the SDK's ante handler and includes transactions
    /// after a number of polls.
    #[derive(Default)]
    struct ChainState {
        account_number: u64,
        sequence: u64,
        gas_used: u64,
        account_queries: usize,
        simulated: Vec<Seen>,
        broadcast: Vec<Seen>,
        /// Errors the next simulations return instead of gas (front first).
        simulate_errors: VecDeque<ChainError>,
        /// Simulation answered by a node that lags behind (does not check the sequence).
        simulate_ignores_sequence: bool,
        /// DeliverTx (code, codespace, log) of the next included transactions (front first).
        deliver_results: VecDeque<(u32, &'static str, &'static str)>,
        /// Polls before a broadcast transaction shows up; `None`: never.
        polls_until_included: Option<usize>,
        pending: HashMap<String, (usize, NodeTxResult)>,
        height: u64,
    }

    #[derive(Clone, Default)]
    struct FakeNode(Arc<StdMutex<ChainState>>);

    impl FakeNode {
        fn state(&self) -> std::sync::MutexGuard<'_, ChainState> {
            self.0.lock().unwrap()
        }
    }

    fn seen(tx_bytes: &[u8]) -> Seen {
        let tx = Tx::from_bytes(tx_bytes).unwrap();
        Seen {
            sequence: tx.auth_info.signer_infos[0].sequence,
            gas_limit: tx.auth_info.fee.gas_limit,
            fee: tx.auth_info.fee.amount.first().map_or(0, |c| c.amount),
            messages: tx.body.messages.len(),
        }
    }

    fn mismatch_log(expected: u64, got: u64) -> String {
        format!(
            "account sequence mismatch, expected {expected}, got {got}: incorrect account sequence"
        )
    }

    #[async_trait::async_trait]
    impl TxNode for FakeNode {
        async fn account(&self, _address: &str) -> Result<AccountSequence, ChainError> {
            let mut state = self.state();
            state.account_queries += 1;
            Ok(AccountSequence {
                account_number: state.account_number,
                sequence: state.sequence,
            })
        }

        async fn simulate(&self, tx_bytes: Vec<u8>) -> Result<u64, ChainError> {
            let mut state = self.state();
            let tx = seen(&tx_bytes);
            state.simulated.push(tx.clone());
            if let Some(error) = state.simulate_errors.pop_front() {
                return Err(error);
            }
            if tx.sequence != state.sequence && !state.simulate_ignores_sequence {
                let status = tonic::Status::unknown(mismatch_log(state.sequence, tx.sequence));
                return Err(classify::status(&status));
            }
            Ok(state.gas_used)
        }

        async fn broadcast_sync(&self, tx_bytes: Vec<u8>) -> Result<NodeTxResult, ChainError> {
            let mut state = self.state();
            let tx = seen(&tx_bytes);
            state.broadcast.push(tx.clone());
            let hash = tx_hash(&tx_bytes);
            let mut result = NodeTxResult {
                tx_hash: hash.clone(),
                height: 0,
                code: 0,
                codespace: String::new(),
                log: String::new(),
                gas_wanted: tx.gas_limit,
                gas_used: 0,
            };
            if tx.sequence != state.sequence {
                result.code = 32;
                result.codespace = "sdk".into();
                result.log = mismatch_log(state.sequence, tx.sequence);
                return Ok(result);
            }
            state.sequence += 1;
            let (code, codespace, log) = state.deliver_results.pop_front().unwrap_or((0, "", ""));
            state.height += 1;
            let gas_used = if code == classify::CODE_OUT_OF_GAS {
                tx.gas_limit + 1
            } else {
                state.gas_used
            };
            let included = NodeTxResult {
                height: state.height,
                code,
                codespace: codespace.into(),
                log: log.into(),
                gas_used,
                ..result.clone()
            };
            let polls = state.polls_until_included.unwrap_or(usize::MAX);
            state.pending.insert(hash, (polls, included));
            Ok(result)
        }

        async fn find_tx(&self, tx_hash: &str) -> Result<Option<NodeTxResult>, ChainError> {
            let mut state = self.state();
            let Some((polls, included)) = state.pending.get_mut(tx_hash) else {
                return Ok(None);
            };
            if *polls == 0 {
                return Ok(Some(included.clone()));
            }
            *polls -= 1;
            // A flaky connection on the way must not fail the confirmation.
            Err(ChainError::Transport("connection reset".into()))
        }
    }

    /// The sequences of the transactions `seen`, in order.
    fn sequences(seen: &[Seen]) -> Vec<u64> {
        seen.iter().map(|s| s.sequence).collect()
    }

    /// A fake node at account 9, sequence 5, and a sender on it.
    fn fixture() -> (FakeNode, TxSender<FakeNode>) {
        let node = FakeNode::default();
        let key = SigningKey::from_slice(&KEY).unwrap();
        let sender = key.public_key().account_id("wasm").unwrap();
        {
            let mut state = node.state();
            state.account_number = 9;
            state.sequence = 5;
            state.gas_used = 100_000;
            state.polls_until_included = Some(2);
        }
        let tx_sender = TxSender::new(
            node.clone(),
            key,
            sender,
            "localwasm-1".parse().unwrap(),
            GasSettings {
                price: Decimal::from_str("0.025").unwrap(),
                denom: "ustake".into(),
                multiplier: 1.5,
                cap: 1_000_000,
            },
            Duration::from_millis(200),
            Duration::from_millis(1),
        );
        (node, tx_sender)
    }

    fn calls(n: u8) -> Vec<ContractCall> {
        (1..=n)
            .map(|i| ContractCall {
                contract: contract(i),
                msg: b"{}".to_vec(),
                funds: vec![],
                gas_reserve: 0,
            })
            .collect()
    }

    #[tokio::test]
    async fn executes_with_simulated_gas_and_keeps_the_sequence() {
        let (node, sender) = fixture();

        let first = sender.execute(&calls(3)).await.unwrap();
        let second = sender.execute(&calls(1)).await.unwrap();

        assert_eq!((first.height, first.gas_used), (1, 100_000));
        assert_eq!(second.height, 2);
        assert_ne!(first.tx_hash, second.tx_hash);
        let state = node.state();
        // Read from the chain once, then counted locally.
        assert_eq!(state.account_queries, 1);
        assert_eq!(
            state.broadcast,
            vec![
                Seen {
                    sequence: 5,
                    gas_limit: 150_000,
                    fee: 3_750,
                    messages: 3
                },
                Seen {
                    sequence: 6,
                    gas_limit: 150_000,
                    fee: 3_750,
                    messages: 1
                },
            ]
        );
        // Simulated with the cap and a one-unit fee (so the fee transfer is simulated too).
        assert_eq!(
            state.simulated[0],
            Seen {
                sequence: 5,
                gas_limit: 1_000_000,
                fee: 1,
                messages: 3
            }
        );
        assert_eq!(state.sequence, 7);
    }

    #[tokio::test]
    async fn stale_sequence_is_refreshed_and_retried_once() {
        let (node, sender) = fixture();
        sender.execute(&calls(1)).await.unwrap();
        // Someone else used the account (another process with the same key).
        node.state().sequence += 2;

        let outcome = sender.execute(&calls(1)).await.unwrap();

        assert_eq!(outcome.height, 2);
        let state = node.state();
        assert_eq!(state.account_queries, 2);
        let simulated = sequences(&state.simulated);
        assert_eq!(simulated, vec![5, 6, 8]); // 6 refused at simulation, 8 after the refresh
        let broadcast = sequences(&state.broadcast);
        assert_eq!(broadcast, vec![5, 8]);
    }

    #[tokio::test]
    async fn mismatch_at_check_tx_is_retried_once() {
        let (node, sender) = fixture();
        sender.execute(&calls(1)).await.unwrap();
        // The account moved, but simulation was answered by a node that has not seen it yet.
        node.state().sequence += 1;
        node.state().simulate_ignores_sequence = true;

        let outcome = sender.execute(&calls(1)).await;

        assert!(outcome.is_ok(), "{outcome:?}");
        let state = node.state();
        assert_eq!(state.account_queries, 2);
        let broadcast = sequences(&state.broadcast);
        assert_eq!(broadcast, vec![5, 6, 7]); // 6 refused by CheckTx (code 32), 7 after refresh
    }

    #[tokio::test]
    async fn a_second_mismatch_is_returned() {
        let (node, sender) = fixture();
        let mismatch = ChainError::SequenceMismatch {
            expected: 9,
            got: 5,
        };
        node.state()
            .simulate_errors
            .extend([mismatch.clone(), mismatch.clone()]);

        let err = sender.execute(&calls(1)).await.unwrap_err();

        assert_eq!(err, mismatch);
        assert!(err.is_retryable());
        let state = node.state();
        assert_eq!(state.simulated.len(), 2, "tried exactly twice");
        assert!(state.broadcast.is_empty());
        assert_eq!(state.account_queries, 2);
    }

    #[tokio::test]
    async fn contract_rejection_is_not_retried_and_keeps_the_sequence() {
        let (node, sender) = fixture();
        let rejected = ChainError::Rejected {
            code: 5,
            log: "execute wasm contract failed".into(),
        };
        node.state().simulate_errors.push_back(rejected.clone());

        assert_eq!(sender.execute(&calls(1)).await.unwrap_err(), rejected);
        sender.execute(&calls(1)).await.unwrap();

        let state = node.state();
        assert_eq!(state.simulated.len(), 2);
        assert_eq!(
            state.account_queries, 1,
            "sequence still known after a rejection"
        );
        assert_eq!(sequences(&state.broadcast), vec![5]);
    }

    #[tokio::test]
    async fn failure_in_the_block_is_a_rejection_and_spends_the_sequence() {
        let (node, sender) = fixture();
        node.state().deliver_results.push_back((
            5,
            "wasm",
            "out of funds: execute wasm contract failed",
        ));

        let err = sender.execute(&calls(1)).await.unwrap_err();
        assert_eq!(
            err,
            ChainError::Rejected {
                code: 5,
                log: "out of funds: execute wasm contract failed".into()
            }
        );
        sender.execute(&calls(1)).await.unwrap();

        let state = node.state();
        assert_eq!(state.account_queries, 1);
        assert_eq!(sequences(&state.broadcast), vec![5, 6]);
    }

    #[tokio::test]
    async fn the_calls_reserves_raise_the_gas_limit() {
        let (node, sender) = fixture();
        let mut calls = calls(2);
        calls[0].gas_reserve = 200_000;
        calls[1].gas_reserve = 50_000;

        sender.execute(&calls).await.unwrap();

        let state = node.state();
        // 100,000 simulated + 250,000 reserved, above the multiplier's 150,000; paid for in full.
        assert_eq!(state.broadcast[0].gas_limit, 350_000);
        assert_eq!(state.broadcast[0].fee, 8_750);
        // The simulation itself is not padded.
        assert_eq!(state.simulated[0].gas_limit, 1_000_000);
    }

    #[tokio::test]
    async fn out_of_gas_in_the_block_is_retryable_and_spends_the_sequence() {
        let (node, sender) = fixture();
        node.state().deliver_results.push_back((
            classify::CODE_OUT_OF_GAS,
            "sdk",
            "out of gas in location: wasm contract; gasWanted: 150000, gasUsed: 150001: out of gas",
        ));

        let err = sender.execute(&calls(1)).await.unwrap_err();
        assert_eq!(
            err,
            ChainError::OutOfGas {
                wanted: 150_000,
                used: 150_001
            }
        );
        assert!(err.is_retryable());
        // Included (and failed), so the next transaction takes the next sequence.
        sender.execute(&calls(1)).await.unwrap();
        let state = node.state();
        assert_eq!(state.account_queries, 1);
        let broadcast = sequences(&state.broadcast);
        assert_eq!(broadcast, vec![5, 6]);
    }

    #[tokio::test]
    async fn not_included_in_time_is_a_timeout() {
        let (node, sender) = fixture();
        node.state().polls_until_included = None;

        assert_eq!(
            sender.execute(&calls(1)).await.unwrap_err(),
            ChainError::Timeout
        );
        // It reached the mempool, so the next transaction takes the next sequence.
        node.state().polls_until_included = Some(0);
        sender.execute(&calls(1)).await.unwrap();
        assert_eq!(sequences(&node.state().broadcast), vec![5, 6]);
    }

    #[tokio::test]
    async fn gas_above_the_cap_is_refused_before_broadcast() {
        let (node, sender) = fixture();
        node.state().gas_used = 1_000_001;

        assert_eq!(
            sender.execute(&calls(1)).await.unwrap_err(),
            ChainError::GasCap {
                wanted: 1_000_001,
                cap: 1_000_000
            }
        );
        assert!(node.state().broadcast.is_empty());
    }

    #[tokio::test]
    async fn an_empty_transaction_is_refused_without_asking_the_node() {
        let (node, sender) = fixture();
        let err = sender.execute(&[]).await.unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::Rejected {
                    code: CODE_INVALID_REQUEST,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(node.state().account_queries, 0);
    }
}
