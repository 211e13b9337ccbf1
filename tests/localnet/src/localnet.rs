//! One wasmd validator on 127.0.0.1, set up from scratch in a temporary home directory.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{io_error, parse_json, LocalnetError, Result};
use crate::toml_edit::{set_values, Setting};
use crate::tx::TxOutcome;
use crate::{rpc, wasmd};

pub const CHAIN_ID: &str = "mpc-localnet";
/// The staking, fee and only funded denomination.
pub const DENOM: &str = "stake";
pub const BECH32_PREFIX: &str = "wasm";
/// Key name of the validator's account, which also deploys contracts.
pub const VALIDATOR: &str = "validator";
/// What every named account starts with, in `DENOM`.
pub const ACCOUNT_BALANCE: u128 = 1_000_000_000_000;
/// Environment variable: when set, the home directory (config, data, node.log) is kept on drop.
pub const KEEP_HOME_ENV: &str = "MPC_LOCALNET_KEEP";

const VALIDATOR_BALANCE: u128 = 10_000_000_000_000;
const SELF_DELEGATION: u128 = 1_000_000_000;
/// `--gas auto` simulates; this margin covers the difference to the real run.
const GAS_ADJUSTMENT: &str = "1.4";
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(90);
const TX_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// A funded account whose key the harness holds (test keyring backend).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    /// Key name in the keyring; what `from` arguments take.
    pub name: String,
    /// Bech32 address with prefix `wasm`.
    pub address: String,
    /// secp256k1 private key, 32 bytes, as `wasmd keys export --unarmored-hex` prints it.
    pub private_key_hex: String,
    /// The 24 words `wasmd keys add` made the key from (coin type 118, account 0, index 0), for
    /// wallets and cosmjs.
    pub mnemonic: String,
}

impl Account {
    /// The private key's 32 bytes, for Rust code that signs transactions itself.
    pub fn private_key(&self) -> [u8; 32] {
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&self.private_key_hex[2 * i..2 * i + 2], 16)
                .expect("checked as 64 hex digits when exported");
        }
        key
    }
}

/// A running single-validator chain. Dropping it kills the node and deletes its home directory.
pub struct Localnet {
    pub(crate) wasmd: PathBuf,
    pub(crate) home: PathBuf,
    /// Behind a mutex so every method takes `&self` and the harness can be shared across threads.
    pub(crate) node: Mutex<Child>,
    pub(crate) rpc: SocketAddr,
    pub(crate) grpc: SocketAddr,
    pub(crate) p2p: SocketAddr,
    /// The REST API server, on a chain set up for dApps ([`Localnet::open`]).
    pub(crate) api: Option<SocketAddr>,
    /// Whether the home is kept: then dropping stops the node with SIGTERM instead of killing it.
    pub(crate) kept: bool,
    pub(crate) accounts: BTreeMap<String, Account>,
}

impl Localnet {
    /// Sets up a fresh chain with [`VALIDATOR`] and the named accounts (each funded with
    /// [`ACCOUNT_BALANCE`]), starts it and returns once it has produced blocks.
    pub fn start(accounts: &[&str]) -> Result<Self> {
        let mut names = vec![VALIDATOR];
        for name in accounts {
            if names.contains(name) {
                return Err(LocalnetError::Unexpected(format!(
                    "account name {name:?} given twice (or is the validator's)"
                )));
            }
            names.push(name);
        }
        let wasmd = wasmd::wasmd_binary()?;
        let (rpc, grpc, p2p) = free_ports()?;
        let home = fresh_home()?;

        let setup = Setup {
            wasmd: &wasmd,
            home: &home,
        };
        let prepared = setup
            .prepare(&names, rpc, grpc, p2p)
            .and_then(|accounts| setup.spawn_node().map(|node| (accounts, node)));
        let (accounts, node) = prepared.inspect_err(|_| remove_home(&home))?;
        // From here on Drop cleans up, also when the node does not come up.
        let localnet = Localnet {
            wasmd,
            home,
            node: Mutex::new(node),
            rpc,
            grpc,
            p2p,
            api: None,
            kept: false,
            accounts,
        };
        localnet.wait_for_blocks(2, START_TIMEOUT)?;
        Ok(localnet)
    }

    pub fn chain_id(&self) -> &str {
        CHAIN_ID
    }

    pub fn denom(&self) -> &str {
        DENOM
    }

    /// CometBFT RPC, e.g. `http://127.0.0.1:40123`.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc)
    }

    /// The RPC's socket address (e.g. to put a [`crate::TcpRelay`] in front of it).
    pub fn rpc_address(&self) -> SocketAddr {
        self.rpc
    }

    /// CometBFT websocket for event subscriptions.
    pub fn websocket_url(&self) -> String {
        format!("ws://{}/websocket", self.rpc)
    }

    /// Cosmos SDK gRPC (queries, simulate, broadcast).
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    pub fn wasmd_path(&self) -> &Path {
        &self.wasmd
    }

    /// The node's log (stdout and stderr of `wasmd start`).
    pub fn node_log(&self) -> PathBuf {
        self.home.join("node.log")
    }

    /// The validator as a p2p peer: `<node id>@<p2p address>`.
    /// The REST API (Cosmos SDK API server), on a chain set up with [`Localnet::open`].
    pub fn api_url(&self) -> Option<String> {
        self.api.map(|api| format!("http://{api}"))
    }

    /// The node's process id (e.g. to check that it is gone after a stop).
    pub fn node_pid(&self) -> u32 {
        self.node
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .id()
    }

    /// The node's listening addresses: RPC, gRPC, p2p and, if enabled, the REST API.
    pub fn listen_addresses(&self) -> Vec<SocketAddr> {
        [Some(self.rpc), Some(self.grpc), Some(self.p2p), self.api]
            .into_iter()
            .flatten()
            .collect()
    }

    pub(crate) fn peer_address(&self) -> Result<String> {
        let status = rpc::get(self.rpc, "/status")?
            .ok_or_else(|| LocalnetError::Unexpected("the node's /status failed".into()))?;
        let id = status["node_info"]["id"]
            .as_str()
            .ok_or_else(|| LocalnetError::Unexpected(format!("no node id in /status: {status}")))?;
        Ok(format!("{id}@{}", self.p2p))
    }

    pub fn account(&self, name: &str) -> Result<&Account> {
        self.accounts
            .get(name)
            .ok_or_else(|| LocalnetError::UnknownAccount(name.to_string()))
    }

    /// All accounts, the validator's included, by name.
    pub fn accounts(&self) -> &BTreeMap<String, Account> {
        &self.accounts
    }

    /// Height of the latest block.
    pub fn height(&self) -> Result<u64> {
        rpc::latest_height(self.rpc)
            .ok_or_else(|| LocalnetError::Unexpected("the node's RPC does not answer".into()))
    }

    /// Waits until the chain has reached `height`.
    pub fn wait_for_height(&self, height: u64) -> Result<()> {
        self.wait_for_blocks(height, TX_TIMEOUT)
    }

    /// Stops the node (SIGKILL, as a crash), keeps it down for `down_for`, starts it again on the
    /// same home and ports, and returns once it produces blocks again. Clients' connections
    /// (websocket subscriptions, gRPC) break and must be re-established.
    pub fn restart_node(&self, down_for: Duration) -> Result<()> {
        let height = self.height()?;
        {
            let mut node = self
                .node
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            node.kill().map_err(io_error("stopping the node"))?;
            node.wait()
                .map_err(io_error("waiting for the node to stop"))?;
            std::thread::sleep(down_for);
            *node = Setup {
                wasmd: &self.wasmd,
                home: &self.home,
            }
            .spawn_node()?;
        }
        self.wait_for_blocks(height + 1, START_TIMEOUT)
    }

    /// The account's sequence: how many transactions it has had included in blocks (whether
    /// they succeeded or not).
    pub fn account_sequence(&self, address: &str) -> Result<u64> {
        let out = self.query(&["auth", "account", address])?;
        let answer: Value = parse_json("auth account", &out)?;
        find_key(&answer, "sequence")
            .and_then(|v| match v {
                Value::String(s) => s.parse().ok(),
                Value::Number(n) => n.as_u64(),
                _ => None,
            })
            // A fresh account's sequence 0 is omitted from the JSON.
            .or_else(|| find_key(&answer, "address").map(|_| 0))
            .ok_or_else(|| LocalnetError::Unexpected(format!("no sequence in {out}")))
    }

    /// Uploads a wasm file from `from`; returns its code id.
    pub fn store_code(&self, from: &str, wasm: &Path) -> Result<u64> {
        let path = wasm.to_str().ok_or_else(|| {
            LocalnetError::Unexpected(format!("{} is not valid UTF-8", wasm.display()))
        })?;
        let outcome = self.submit_tx(from, &["wasm", "store", path])?;
        let code_id = outcome.require_attribute("store_code", "code_id")?;
        code_id
            .parse()
            .map_err(|_| LocalnetError::Unexpected(format!("code_id {code_id:?} is not a number")))
    }

    /// Instantiates `code_id` from `from`, with `admin` able to migrate (none if `None`); returns
    /// the contract's address.
    pub fn instantiate(
        &self,
        from: &str,
        code_id: u64,
        init_msg: &impl Serialize,
        label: &str,
        admin: Option<&str>,
    ) -> Result<String> {
        let code_id = code_id.to_string();
        let msg = to_json(init_msg)?;
        let mut args = vec!["wasm", "instantiate", &code_id, &msg, "--label", label];
        match admin {
            Some(admin) => args.extend(["--admin", admin]),
            None => args.push("--no-admin"),
        }
        let outcome = self.submit_tx(from, &args)?;
        Ok(outcome
            .require_attribute("instantiate", "_contract_address")?
            .to_string())
    }

    /// Uploads and instantiates a contract as [`VALIDATOR`] (also its admin); returns the
    /// contract's address.
    pub fn store_and_instantiate(
        &self,
        wasm: &Path,
        init_msg: &impl Serialize,
        label: &str,
    ) -> Result<String> {
        let code_id = self.store_code(VALIDATOR, wasm)?;
        let admin = self.account(VALIDATOR)?.address.clone();
        self.instantiate(VALIDATOR, code_id, init_msg, label, Some(&admin))
    }

    /// Executes `msg` on `contract` as `from`, sending `funds` (e.g. `"100stake"`) if given.
    pub fn execute(
        &self,
        from: &str,
        contract: &str,
        msg: &impl Serialize,
        funds: Option<&str>,
    ) -> Result<TxOutcome> {
        let msg = to_json(msg)?;
        let mut args = vec!["wasm", "execute", contract, &msg];
        if let Some(funds) = funds {
            args.extend(["--amount", funds]);
        }
        self.submit_tx(from, &args)
    }

    /// A smart query, its answer parsed as `T`.
    pub fn query_smart<T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl Serialize,
    ) -> Result<T> {
        self.smart_query(contract, msg, None)
    }

    /// A smart query against the state as of block `height` (after its transactions): what a
    /// client saw then, whatever has happened since.
    pub fn query_smart_at<T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl Serialize,
        height: u64,
    ) -> Result<T> {
        self.smart_query(contract, msg, Some(height))
    }

    fn smart_query<T: DeserializeOwned>(
        &self,
        contract: &str,
        msg: &impl Serialize,
        height: Option<u64>,
    ) -> Result<T> {
        #[derive(Deserialize)]
        struct Answer<T> {
            data: T,
        }
        let msg = to_json(msg)?;
        let height = height.map(|h| h.to_string());
        let mut args = vec!["wasm", "contract-state", "smart", contract, &msg];
        if let Some(height) = &height {
            args.extend(["--height", height]);
        }
        let out = self.query(&args)?;
        parse_json::<Answer<T>>("smart query answer", &out).map(|a| a.data)
    }

    /// Sends `amount` (e.g. `"5stake"`) from account `from` to address `to`.
    pub fn bank_send(&self, from: &str, to: &str, amount: &str) -> Result<TxOutcome> {
        let from_address = self.account(from)?.address.clone();
        self.submit_tx(from, &["bank", "send", &from_address, to, amount])
    }

    /// Balance of `address` in `denom`.
    pub fn balance(&self, address: &str, denom: &str) -> Result<u128> {
        #[derive(Deserialize)]
        struct Coin {
            denom: String,
            amount: String,
        }
        #[derive(Deserialize)]
        struct Balances {
            balances: Vec<Coin>,
        }
        let out = self.query(&["bank", "balances", address])?;
        let balances: Balances = parse_json("bank balances", &out)?;
        balances
            .balances
            .iter()
            .find(|c| c.denom == denom)
            .map_or(Ok(0), |c| {
                c.amount
                    .parse()
                    .map_err(|_| LocalnetError::Unexpected(format!("amount {:?}", c.amount)))
            })
    }

    /// Signs and broadcasts `wasmd tx <args>` as `from` (`--gas auto`, sync mode), then waits for
    /// the transaction to be in a block. Refusals at any stage are [`LocalnetError::TxRefused`].
    fn submit_tx(&self, from: &str, args: &[&str]) -> Result<TxOutcome> {
        let from = self.account(from)?.name.clone();
        let node = format!("tcp://{}", self.rpc);
        let home = self.home_arg();
        let mut full = vec!["tx"];
        full.extend_from_slice(args);
        full.extend([
            "--from",
            &from,
            "--home",
            &home,
            "--keyring-backend",
            "test",
            "--chain-id",
            CHAIN_ID,
            "--node",
            &node,
            "--gas",
            "auto",
            "--gas-adjustment",
            GAS_ADJUSTMENT,
            "--broadcast-mode",
            "sync",
            "--output",
            "json",
            "--yes",
        ]);
        let out = match wasmd::run(&self.wasmd, &full, None) {
            Ok(out) => out,
            // Refused before broadcast, mostly by the simulation of `--gas auto`.
            Err(LocalnetError::Command { stderr, .. }) => {
                return Err(LocalnetError::TxRefused {
                    txhash: None,
                    log: stderr,
                })
            }
            Err(e) => return Err(e),
        };
        let checked: Value = parse_json("broadcast answer", last_json_line(&out))?;
        let txhash = checked["txhash"].as_str().unwrap_or_default().to_string();
        if checked["code"].as_u64().unwrap_or(0) != 0 || txhash.is_empty() {
            return Err(LocalnetError::TxRefused {
                txhash: Some(txhash).filter(|h| !h.is_empty()),
                log: checked["raw_log"].as_str().unwrap_or(&out).to_string(),
            });
        }
        self.wait_for_tx(&txhash)
    }

    /// The result code of the transaction `address` signed with account sequence `sequence`
    /// (0: executed; other: refused in its block, which still used up the sequence), if that
    /// transaction is in a block.
    pub fn transaction_code(&self, address: &str, sequence: u64) -> Result<Option<u64>> {
        Ok(self
            .transaction_result(address, sequence)?
            .map(|result| result.code))
    }

    /// The result code and gas used of the transaction `address` signed with account sequence
    /// `sequence`, if that transaction is in a block (see [`Localnet::transaction_code`]).
    pub fn transaction_result(&self, address: &str, sequence: u64) -> Result<Option<TxResult>> {
        // "tx.acc_seq='<address>/<sequence>'", URL-encoded.
        let path = format!("/tx_search?query=%22tx.acc_seq%3D%27{address}%2F{sequence}%27%22");
        let Some(result) = rpc::get(self.rpc, &path)? else {
            return Ok(None);
        };
        // CometBFT writes 64-bit numbers as strings.
        let number = |v: &Value| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .unwrap_or(0)
        };
        Ok(result["txs"]
            .as_array()
            .and_then(|txs| txs.first())
            .map(|tx| TxResult {
                code: number(&tx["tx_result"]["code"]),
                gas_wanted: number(&tx["tx_result"]["gas_wanted"]),
                gas_used: number(&tx["tx_result"]["gas_used"]),
            }))
    }

    /// The time of block `height` (its header's), as seconds since the Unix epoch.
    pub fn block_time(&self, height: u64) -> Result<f64> {
        let result = rpc::get(self.rpc, &format!("/block?height={height}"))?
            .ok_or_else(|| LocalnetError::Unexpected(format!("no block {height}")))?;
        let time = result["block"]["header"]["time"]
            .as_str()
            .unwrap_or_default();
        unix_seconds(time)
            .ok_or_else(|| LocalnetError::Unexpected(format!("block {height}'s time {time:?}")))
    }

    /// The transaction with this hash (sent by anyone, e.g. by a Rust client), once it is in a
    /// block; a failed one is [`LocalnetError::TxRefused`].
    pub fn tx(&self, txhash: &str) -> Result<TxOutcome> {
        self.wait_for_tx(txhash.trim_start_matches("0x"))
    }

    /// Polls CometBFT's `/tx` (kv indexer) until the transaction is in a block.
    fn wait_for_tx(&self, txhash: &str) -> Result<TxOutcome> {
        let deadline = Instant::now() + TX_TIMEOUT;
        loop {
            if let Some(result) = rpc::get(self.rpc, &format!("/tx?hash=0x{txhash}"))? {
                return TxOutcome::from_rpc(txhash, &result);
            }
            self.check_node_alive()?;
            if Instant::now() > deadline {
                return Err(LocalnetError::Timeout {
                    what: format!("tx {txhash} to be in a block"),
                    seconds: TX_TIMEOUT.as_secs(),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    fn query(&self, args: &[&str]) -> Result<String> {
        let node = format!("tcp://{}", self.rpc);
        let home = self.home_arg();
        let mut full = vec!["query"];
        full.extend_from_slice(args);
        full.extend(["--home", &home, "--node", &node, "--output", "json"]);
        wasmd::run(&self.wasmd, &full, None)
    }

    pub(crate) fn wait_for_blocks(&self, height: u64, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            if rpc::latest_height(self.rpc).is_some_and(|h| h >= height) {
                return Ok(());
            }
            self.check_node_alive()?;
            if Instant::now() > deadline {
                return Err(LocalnetError::Timeout {
                    what: format!("block {height} (node log: {})", self.node_log().display()),
                    seconds: timeout.as_secs(),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    fn check_node_alive(&self) -> Result<()> {
        let status = self
            .node
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .try_wait();
        match status {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(LocalnetError::NodeExited {
                status: status.to_string(),
                log: self.node_log(),
                tail: log_tail(&self.node_log(), 30),
            }),
            Err(e) => Err(io_error("checking the node process")(e)),
        }
    }

    fn home_arg(&self) -> String {
        self.home.to_string_lossy().into_owned()
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        if self.kept {
            crate::persistent::terminate(&mut self.node);
        } else {
            stop_node(&mut self.node, &self.home, "localnet");
        }
    }
}

/// Kills a node and deletes its home, unless [`KEEP_HOME_ENV`] asks to keep it (`what` names it
/// in the message saying so).
pub(crate) fn stop_node(node: &mut Mutex<Child>, home: &Path, what: &str) {
    let node = node
        .get_mut()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let _ = node.kill();
    let _ = node.wait();
    if std::env::var_os(KEEP_HOME_ENV).is_some() {
        eprintln!("{what}: kept {}", home.display());
    } else {
        remove_home(home);
    }
}

/// The steps before the node runs: genesis, keys, config.
pub(crate) struct Setup<'a> {
    pub wasmd: &'a Path,
    pub home: &'a Path,
}

impl Setup<'_> {
    pub(crate) fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<String> {
        let home = self.home.to_string_lossy();
        let mut full = args.to_vec();
        full.extend(["--home", &home]);
        wasmd::run(self.wasmd, &full, stdin)
    }

    pub(crate) fn prepare(
        &self,
        names: &[&str],
        rpc: SocketAddr,
        grpc: SocketAddr,
        p2p: SocketAddr,
    ) -> Result<BTreeMap<String, Account>> {
        self.run(
            &[
                "init",
                "mpc-localnet-node",
                "--chain-id",
                CHAIN_ID,
                "--default-denom",
                DENOM,
            ],
            None,
        )?;
        let mut accounts = BTreeMap::new();
        for name in names {
            accounts.insert(name.to_string(), self.add_key(name)?);
        }
        self.fund(&accounts)?;
        let self_delegation = format!("{SELF_DELEGATION}{DENOM}");
        self.run(
            &[
                "genesis",
                "gentx",
                VALIDATOR,
                &self_delegation,
                "--chain-id",
                CHAIN_ID,
                "--keyring-backend",
                "test",
            ],
            None,
        )?;
        self.run(&["genesis", "collect-gentxs"], None)?;
        self.configure(rpc, grpc, p2p)?;
        Ok(accounts)
    }

    fn add_key(&self, name: &str) -> Result<Account> {
        #[derive(Deserialize)]
        struct Added {
            address: String,
            mnemonic: String,
        }
        let added = self.run(
            &[
                "keys",
                "add",
                name,
                "--keyring-backend",
                "test",
                "--output",
                "json",
            ],
            None,
        )?;
        let Added { address, mnemonic } = parse_json("keys add", last_json_line(&added))?;
        // The export asks for confirmation on stdin.
        let exported = self.run(
            &[
                "keys",
                "export",
                name,
                "--unarmored-hex",
                "--unsafe",
                "--keyring-backend",
                "test",
            ],
            Some("y\n"),
        )?;
        let private_key_hex = exported
            .split_whitespace()
            .find(|word| word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                LocalnetError::Unexpected(format!("no 32-byte hex key in `keys export {name}`"))
            })?
            .to_ascii_lowercase();
        Ok(Account {
            name: name.to_string(),
            address,
            private_key_hex,
            mnemonic,
        })
    }

    /// All genesis balances in one call.
    fn fund(&self, accounts: &BTreeMap<String, Account>) -> Result<()> {
        let balances: Vec<Value> = accounts
            .values()
            .map(|account| {
                let amount = if account.name == VALIDATOR {
                    VALIDATOR_BALANCE
                } else {
                    ACCOUNT_BALANCE
                };
                serde_json::json!({
                    "address": account.address,
                    "coins": [{"denom": DENOM, "amount": amount.to_string()}],
                })
            })
            .collect();
        let file = self.home.join("genesis-balances.json");
        std::fs::write(&file, Value::Array(balances).to_string())
            .map_err(io_error(format!("writing {}", file.display())))?;
        self.run(
            &[
                "genesis",
                "bulk-add-genesis-account",
                &file.to_string_lossy(),
            ],
            None,
        )
        .map(drop)
    }

    /// Loopback-only ports, fast blocks, the kv tx indexer (which `/tx` polling needs), no REST
    /// API, no gRPC-web, no pprof (its fixed port would clash between localnets).
    pub(crate) fn configure(
        &self,
        rpc: SocketAddr,
        grpc: SocketAddr,
        p2p: SocketAddr,
    ) -> Result<()> {
        let quoted = |s: String| format!("\"{s}\"");
        let config = self.home.join("config");
        set_values(
            &config.join("config.toml"),
            &[
                setting("rpc", "laddr", quoted(format!("tcp://{rpc}"))),
                setting("rpc", "pprof_laddr", quoted(String::new())),
                // Contract uploads are several hundred KB.
                setting("rpc", "max_body_bytes", "10000000".into()),
                setting("mempool", "max_tx_bytes", "5000000".into()),
                setting("p2p", "laddr", quoted(format!("tcp://{p2p}"))),
                setting("p2p", "allow_duplicate_ip", "true".into()),
                setting("consensus", "timeout_propose", quoted("1s".into())),
                setting("consensus", "timeout_commit", quoted("300ms".into())),
                setting("tx_index", "indexer", quoted("kv".into())),
            ],
        )?;
        set_values(
            &config.join("app.toml"),
            &[
                setting("", "minimum-gas-prices", quoted(format!("0{DENOM}"))),
                setting("api", "enable", "false".into()),
                setting("grpc", "enable", "true".into()),
                setting("grpc", "address", quoted(grpc.to_string())),
                setting("grpc-web", "enable", "false".into()),
            ],
        )
    }

    /// Starts `wasmd start`, appending to `node.log` (a restarted node keeps the earlier log).
    pub(crate) fn spawn_node(&self) -> Result<Child> {
        self.spawn_node_in_group(false)
    }

    /// [`Self::spawn_node`]; `own_group`: in a process group of its own, so that a terminal's
    /// Ctrl-C reaches only the program that started it, which then stops it in order.
    pub(crate) fn spawn_node_in_group(&self, own_group: bool) -> Result<Child> {
        use std::os::unix::process::CommandExt;
        let log_path = self.home.join("node.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(io_error(format!("creating {}", log_path.display())))?;
        let log_err = log
            .try_clone()
            .map_err(io_error(format!("opening {}", log_path.display())))?;
        let mut command = Command::new(self.wasmd);
        if own_group {
            command.process_group(0);
        }
        command
            .arg("start")
            .arg("--home")
            .arg(self.home)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(io_error("starting `wasmd start`"))
    }
}

pub(crate) fn setting(section: &'static str, key: &'static str, value: String) -> Setting<'static> {
    Setting {
        section,
        key,
        value,
    }
}

fn to_json(msg: &impl Serialize) -> Result<String> {
    serde_json::to_string(msg)
        .map_err(|e| LocalnetError::Unexpected(format!("message does not serialise: {e}")))
}

/// The CLI prints its JSON answer last (warnings such as a gas estimate may come before).
fn last_json_line(out: &str) -> &str {
    out.lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or(out)
}

/// A new, empty directory under the system's temp dir, unique across processes and localnets.
pub(crate) fn fresh_home() -> Result<PathBuf> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let home = std::env::temp_dir().join(format!(
        "mpc-localnet-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&home).map_err(io_error(format!("creating {}", home.display())))?;
    Ok(home)
}

pub(crate) fn remove_home(home: &Path) {
    let _ = std::fs::remove_dir_all(home);
}

/// A free port on 127.0.0.1, outside the kernel's ephemeral range
/// ([`mpc_party::transport::ports::free_loopback_address`] says why).
pub fn free_address() -> Result<SocketAddr> {
    mpc_party::transport::ports::free_loopback_address().map_err(io_error("finding a free port"))
}

/// Three distinct free ports on 127.0.0.1 for a node (see [`free_address`]).
pub(crate) fn free_ports() -> Result<(SocketAddr, SocketAddr, SocketAddr)> {
    Ok((free_address()?, free_address()?, free_address()?))
}

/// The first value under `key` anywhere in `value` (the CLI's JSON nests accounts differently
/// across account types and SDK versions).
fn find_key<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// What a transaction found by account sequence did: its result code (0: executed), its gas
/// limit (what the SDK charges for, executed or refused) and the gas it used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxResult {
    pub code: u64,
    pub gas_wanted: u64,
    pub gas_used: u64,
}

/// An RFC 3339 UTC time as CometBFT writes it (`2026-12-06T20:04:05.123456789Z`), as seconds
/// since the Unix epoch.
fn unix_seconds(time: &str) -> Option<f64> {
    let (date, clock) = time.strip_suffix('Z')?.split_once('T')?;
    let mut ymd = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let mut hms = clock.split(':');
    let (h, min) = (
        hms.next()?.parse::<i64>().ok()?,
        hms.next()?.parse::<i64>().ok()?,
    );
    let seconds: f64 = hms.next()?.parse().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3_600 + min * 60) as f64 + seconds)
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn a_cometbft_time_is_read_as_unix_seconds() {
        assert_eq!(super::unix_seconds("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            super::unix_seconds("2024-03-01T01:02:03.5Z"),
            Some(1_709_254_923.5)
        );
    }
}
