//! A chaos run on the wasmd localnet, shared by the end-to-end test (a short run) and the
//! `localnet_chaos` bench (a long one): a seeded [`Schedule`] of faults, one party at a time
//! (never more than n − t down), while the owners request keys and signatures at a steady rate;
//! then every request is checked as its user would, every party signs with every key, and the
//! parties' transactions are counted on chain.
//!
//! A party is down from its fault's start until its process runs again and reaches its node:
//! killed (SIGKILL) or stopped (SIGTERM) and restarted, its data directory wiped and restored
//! from a backup, paused for 40 s (SIGSTOP), or its node's RPC or gRPC cut for it alone.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mpc_connector::worker::SHARE_LOST_LOG;
use mpc_devnet::{verified_signatures, DevnetKey};
use mpc_interfaces::keyring::{KeyRequestResponse, KeyRequestStatus, KeyResult};
use mpc_interfaces::signature_requests::{SignRequestStatus, SignatureRequestResponse};
use mpc_interfaces::KeyType;

use crate::federation::{
    check, check_answers_sent, Federation, Sent, TestResult, APPROVER, REQUESTER, REQUEST_TIMEOUT,
};

/// Replays a run: its seed (printed at the start of every run) instead of the default.
pub const SEED_ENV: &str = "CHAOS_SEED";

/// A paused party stays paused this long (longer than every MPC step timeout).
const PAUSE: Duration = Duration::from_secs(40);
/// A restarted party reaches its node within this (its primes and aux info are on disk).
const RECONNECT: Duration = Duration::from_secs(120);
/// SIGTERM lets key generations finish (30 s) and the submitter end a broadcast (5 s).
const STOP_WITHIN: Duration = Duration::from_secs(45);

/// The seed of this run: `CHAOS_SEED` when set, else `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

/// Where a federation of `parties` keeps its stores: one directory per size, so each keeps its
/// ECDSA primes and aux info across runs (a four-party run would otherwise drop the
/// three-party aux info the other tests reuse).
pub fn data_dir(parties: usize) -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    match parties {
        3 => tmp.join("localnet-federation"),
        n => tmp.join(format!("localnet-federation-{n}")),
    }
}

/// SplitMix64: the same sequence from a seed on every machine and toolchain.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Whole seconds in `from..=to`.
    fn seconds(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_secs(from + self.next() % (to - from + 1))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// SIGKILL, restarted after `down_for`.
    Kill,
    /// SIGTERM (a clean stop), restarted after `down_for`.
    Term,
    /// `connector backup` while it runs, SIGTERM, its store and shares deleted, `connector
    /// restore`, restarted.
    WipeRestore,
    /// SIGSTOP for 40 s, then SIGCONT.
    Pause,
    /// Its node's RPC (websocket and HTTP) cut for `down_for`.
    NodeCut,
    /// Its node's gRPC (queries, simulations, broadcasts) cut for `down_for`.
    GrpcCut,
}

pub const ALL_FAULTS: [Fault; 6] = [
    Fault::Kill,
    Fault::Term,
    Fault::WipeRestore,
    Fault::Pause,
    Fault::NodeCut,
    Fault::GrpcCut,
];

/// What the fault is timed against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Landing {
    /// Sent right after a key request lands: the party is in (or waiting for) the DKG.
    KeyGeneration,
    /// Sent as soon as the party runs MPC after an ECDSA signature request's approval.
    Signing,
    Anytime,
}

#[derive(Clone, Debug)]
pub struct Event {
    /// Steady load before the fault starts.
    pub after: Duration,
    pub fault: Fault,
    pub party: usize,
    pub landing: Landing,
    /// How long the party stays down (killed, stopped, cut) before it is brought back.
    pub down_for: Duration,
}

pub struct Schedule {
    pub seed: u64,
    pub events: Vec<Event>,
}

impl Schedule {
    /// `rounds` passes over `faults`, each in an order, on parties and with durations drawn
    /// from `seed`. In each round a SIGKILL lands on a key generation and a SIGTERM on a
    /// signing, or the other way round (alternating by round).
    pub fn new(seed: u64, parties: usize, faults: &[Fault], rounds: usize) -> Self {
        let mut rng = SplitMix(seed);
        let mut events = Vec::new();
        for round in 0..rounds {
            let mut order = faults.to_vec();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            for fault in order {
                let landing = match (fault, round % 2) {
                    (Fault::Kill, 0) | (Fault::Term, 1) => Landing::KeyGeneration,
                    (Fault::Kill, _) | (Fault::Term, _) => Landing::Signing,
                    _ => Landing::Anytime,
                };
                let down_for = match fault {
                    Fault::Pause => PAUSE,
                    Fault::WipeRestore => Duration::ZERO,
                    Fault::Kill | Fault::Term => rng.seconds(2, 10),
                    Fault::NodeCut | Fault::GrpcCut => rng.seconds(5, 20),
                };
                events.push(Event {
                    after: rng.seconds(2, 8),
                    fault,
                    party: rng.below(parties),
                    landing,
                    down_for,
                });
            }
        }
        Self { seed, events }
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(out, "chaos schedule, {SEED_ENV}={}:", self.seed)?;
        for (n, e) in self.events.iter().enumerate() {
            writeln!(
                out,
                "  {n:>2}. after {:>2} s: {:?} party-{} ({:?}), down {} s",
                e.after.as_secs(),
                e.fault,
                e.party,
                e.landing,
                e.down_for.as_secs()
            )?;
        }
        Ok(())
    }
}

/// A signature request of the run and how it ended.
struct Signing {
    id: u64,
    key: DevnetKey,
    approved_height: u64,
    done: Option<SignatureRequestResponse>,
}

/// A key request of the run and how it ended.
struct Keying {
    id: u64,
    /// Made while a party was down, or timed with a fault.
    under_fault: bool,
    done: Option<KeyRequestResponse>,
}

/// A party down between two heights (`to`: none while it still is).
struct Outage {
    party: usize,
    fault: Fault,
    from: u64,
    to: Option<u64>,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct Summary {
    pub signatures_requested: usize,
    pub signatures_fulfilled: usize,
    /// Expired while fewer than the threshold were up (allowed).
    pub signatures_expired_short: usize,
    pub keys_requested: usize,
    pub keys_fulfilled: usize,
    pub keys_under_faults: usize,
    /// Rejected because a crash in a DKG's last round lost a party's share (allowed: the others
    /// had finished, so no DKG of that request could meet again).
    pub keys_share_lost: usize,
    /// Faults timed against a key generation / a signing that landed before the party's answer.
    pub landed_mid_keygen: usize,
    pub landed_mid_signing: usize,
    /// Approval to the fulfilling answer, by block time: p50 and p99 in seconds, and in blocks.
    pub latency_p50: f64,
    pub latency_p99: f64,
    pub latency_max: f64,
    pub blocks_p50: u64,
    pub blocks_p99: u64,
    /// The three slowest signature requests and who was down meanwhile.
    pub slowest: Vec<String>,
    /// Per party, between the run's first and last settled account sequence.
    pub sent: Vec<Sent>,
    /// Signature requests made at the end, each party a signer with every key.
    pub final_signatures: usize,
    pub seconds: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sent: u64 = self.sent.iter().map(|s| s.sent).sum();
        let refused: u64 = self.sent.iter().map(|s| s.refused).sum();
        let gas: u64 = self.sent.iter().map(|s| s.gas_used).sum();
        writeln!(out, "chaos summary ({:.0} s):", self.seconds)?;
        writeln!(
            out,
            "  signature requests fulfilled {} / {} (expired while fewer than t were up: {})",
            self.signatures_fulfilled, self.signatures_requested, self.signatures_expired_short
        )?;
        writeln!(
            out,
            "  key requests fulfilled {} / {} ({} made under faults; rejected for a share lost \
             in a DKG's last round: {})",
            self.keys_fulfilled, self.keys_requested, self.keys_under_faults, self.keys_share_lost
        )?;
        writeln!(
            out,
            "  faults landing before the party's answer: {} in a key generation, {} in a signing",
            self.landed_mid_keygen, self.landed_mid_signing
        )?;
        writeln!(
            out,
            "  approval -> fulfilling answer: p50 {:.2} s ({} blocks), p99 {:.2} s ({} blocks), \
             max {:.2} s",
            self.latency_p50, self.blocks_p50, self.latency_p99, self.blocks_p99, self.latency_max
        )?;
        writeln!(
            out,
            "  answer transactions {sent}, refused {refused}, gas used per transaction {}",
            gas.checked_div(sent).unwrap_or(0)
        )?;
        for slow in &self.slowest {
            writeln!(out, "    slow: {slow}")?;
        }
        for (i, s) in self.sent.iter().enumerate() {
            writeln!(
                out,
                "    party-{i}: {} sent, {} refused, {} gas",
                s.sent, s.refused, s.gas_used
            )?;
        }
        write!(
            out,
            "  every party signed with every key at the end: {} requests",
            self.final_signatures
        )
    }
}

/// The run's state: the requests made and who is down.
struct Chaos<'a> {
    f: &'a mut Federation,
    threshold: usize,
    seed: u64,
    keys: Vec<DevnetKey>,
    next_key: usize,
    signings: Vec<Signing>,
    keyings: Vec<Keying>,
    outages: Vec<Outage>,
    messages: u64,
    landed_mid_keygen: usize,
    landed_mid_signing: usize,
}

/// Runs `schedule` on `f` (its keyring's threshold `threshold`) and checks everything; the
/// summary is printed and returned.
pub fn run(f: &mut Federation, threshold: u32, schedule: &Schedule) -> TestResult<Summary> {
    println!("{schedule}");
    let started = Instant::now();
    let mut chaos = Chaos {
        f,
        threshold: threshold as usize,
        seed: schedule.seed,
        keys: Vec::new(),
        next_key: 0,
        signings: Vec::new(),
        keyings: Vec::new(),
        outages: Vec::new(),
        messages: 0,
        landed_mid_keygen: 0,
        landed_mid_signing: 0,
    };
    for key_type in [KeyType::EcdsaSecp256k1, KeyType::EddsaEd25519] {
        let key = chaos.f.request_key(key_type)?;
        chaos.keys.push(key);
    }
    let before = chaos.f.settled_sequences()?;
    for (n, event) in schedule.events.iter().enumerate() {
        chaos.steady_for(event.after)?;
        println!(
            "[{:>4.0} s] {n}: {:?} party-{} ({:?})",
            started.elapsed().as_secs_f64(),
            event.fault,
            event.party,
            event.landing
        );
        chaos.fault(event)?;
    }
    chaos.settle()?;
    let mut summary = chaos.check_requests()?;
    summary.final_signatures = chaos.every_party_signs_with_every_key()?;
    let after = chaos.f.settled_sequences()?;
    summary.sent = check_answers_sent(chaos.f, &chaos.answered(), &before, &after, 0)?;
    summary.seconds = started.elapsed().as_secs_f64();
    println!("{summary}");
    Ok(summary)
}

impl Chaos<'_> {
    fn parties(&self) -> usize {
        self.f.parties.len()
    }

    /// Requests at a steady rate for `duration`: a signature request approved every round
    /// trip, rotating over the keys made so far.
    fn steady_for(&mut self, duration: Duration) -> TestResult<()> {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            self.sign_one(None)?;
            self.poll()?;
        }
        Ok(())
    }

    /// A signature request with the next key (or with `key`), approved; returns its index.
    fn sign_one(&mut self, key: Option<DevnetKey>) -> TestResult<usize> {
        let key = key.unwrap_or_else(|| {
            self.next_key += 1;
            self.keys[self.next_key % self.keys.len()].clone()
        });
        self.messages += 1;
        let message = format!("chaos {} message {}", self.seed, self.messages);
        let (id, _) = self.f.request_signature(&key, &[message.as_bytes()])?;
        let approved = self.f.approve(id)?;
        self.signings.push(Signing {
            id,
            key,
            approved_height: approved.height,
            done: None,
        });
        Ok(self.signings.len() - 1)
    }

    /// A key request, alternating the key types; returns its index.
    fn key_one(&mut self) -> TestResult<usize> {
        let key_type = self.next_key_type();
        let id = self.f.submit_key_request(self.f.workspace_id, key_type)?;
        self.keyings.push(Keying {
            id,
            under_fault: true,
            done: None,
        });
        Ok(self.keyings.len() - 1)
    }

    fn next_key_type(&self) -> KeyType {
        match self.keyings.len() % 2 {
            0 => KeyType::EddsaEd25519,
            _ => KeyType::EcdsaSecp256k1,
        }
    }

    /// Reads the requests not final yet; a fulfilled key joins the rotation.
    fn poll(&mut self) -> TestResult<()> {
        for signing in self.signings.iter_mut().filter(|s| s.done.is_none()) {
            let request = self.f.signature_request(signing.id, None)?;
            if request.status.is_final() {
                signing.done = Some(request);
            }
        }
        for keying in self.keyings.iter_mut().filter(|k| k.done.is_none()) {
            let request = self.f.key_request(keying.id)?;
            if request.status.is_final() {
                if request.status == KeyRequestStatus::Fulfilled {
                    self.keys.push(self.f.key_of(&request)?);
                }
                keying.done = Some(request);
            }
        }
        Ok(())
    }

    fn height(&self) -> TestResult<u64> {
        self.f.chain.height().map_err(|e| e.to_string())
    }

    fn down(&mut self, party: usize, fault: Fault) -> TestResult<()> {
        let already = self.outages.iter().filter(|o| o.to.is_none()).count();
        // The schedule's promise: never more than n − t parties down at once.
        check(
            already < self.parties() - self.threshold,
            "at most n - t parties down at once",
        )?;
        let from = self.height()?;
        self.outages.push(Outage {
            party,
            fault,
            from,
            to: None,
        });
        Ok(())
    }

    /// Party `party` is back: its process runs and it reaches its node.
    fn up(&mut self, party: usize) -> TestResult<()> {
        self.f.wait_connected(party, RECONNECT)?;
        let to = self.height()?;
        if let Some(outage) = self
            .outages
            .iter_mut()
            .find(|o| o.party == party && o.to.is_none())
        {
            outage.to = Some(to);
        }
        Ok(())
    }

    /// Fewest parties up at any height in `from..=to`.
    fn fewest_up(&self, from: u64, to: u64) -> usize {
        (from..=to)
            .map(|h| {
                let down = self
                    .outages
                    .iter()
                    .filter(|o| o.from <= h && o.to.is_none_or(|to| h <= to))
                    .count();
                self.parties() - down
            })
            .min()
            .unwrap_or(self.parties())
    }

    /// Runs one fault: the request it lands on, the fault, steady load while the party is
    /// down, and the party brought back.
    fn fault(&mut self, event: &Event) -> TestResult<()> {
        let p = event.party;
        if event.fault == Fault::WipeRestore {
            // The backup is taken with no key generation open: a key made after it is lost
            // with the disk by design (README, "Backup and restore"), not by the connector.
            let deadline = Instant::now() + REQUEST_TIMEOUT;
            while self.keyings.iter().any(|k| k.done.is_none()) && Instant::now() < deadline {
                self.sign_one(None)?;
                self.poll()?;
            }
        }
        let signal = match event.fault {
            Fault::Kill => "-KILL",
            _ => "-TERM",
        };
        let running = match event.landing {
            Landing::KeyGeneration => Some(self.key_with_signal(p, signal)?.1),
            Landing::Signing => Some(self.sign_with_signal(p, signal)?.1),
            Landing::Anytime => None,
        };
        self.down(p, event.fault)?;
        match event.fault {
            Fault::Kill | Fault::Term => {
                if running.is_none() {
                    self.f.signal_party(p, signal)?;
                }
                let exit = self.f.wait_exit(p, STOP_WITHIN)?;
                let clean = event.fault == Fault::Kill || exit.success();
                check(
                    clean,
                    &format!("party-{p} stops cleanly on SIGTERM ({exit})"),
                )?;
            }
            Fault::WipeRestore => self.wipe_and_restore(p)?,
            Fault::Pause => self.f.pause_party(p, true)?,
            Fault::NodeCut => {
                self.f.parties[p].rpc_relay.cut();
                // Up again only once it has seen the cut and reconnected.
                self.f.wait_disconnected(p, RECONNECT)?;
            }
            Fault::GrpcCut => self.f.parties[p].grpc_relay.cut(),
        }
        if let Some(running) = running {
            // Every party runs every DKG: a signal timed against one lands in it.
            match event.landing {
                Landing::KeyGeneration => {
                    check(running, &format!("the {signal} landed in party-{p}'s DKG"))?;
                    self.landed_mid_keygen += 1;
                }
                _ => self.landed_mid_signing += usize::from(running),
            }
            println!(
                "       {signal} {} party-{p} ran MPC",
                if running {
                    "while"
                } else {
                    "after the approval; not while"
                }
            );
        }
        // Every fault meets a key request while the party is down.
        self.key_one()?;
        self.steady_for(event.down_for)?;
        match event.fault {
            Fault::Kill | Fault::Term => self.f.start_party(p)?,
            Fault::WipeRestore => {}
            Fault::Pause => self.f.pause_party(p, false)?,
            Fault::NodeCut => self.f.parties[p].rpc_relay.restore(),
            Fault::GrpcCut => self.f.parties[p].grpc_relay.restore(),
        }
        self.up(p)
    }

    /// Makes `request` (a transaction) while party `p` is watched: `signal` goes to it as soon
    /// as it runs MPC (the request's event reaches it before the sender sees the block), or at
    /// the latest 2 s after the transaction is in. Returns the transaction's result and whether
    /// the party was running MPC when signalled.
    fn signal_while_running<T: Send>(
        &self,
        p: usize,
        signal: &str,
        request: impl FnOnce(&Federation) -> TestResult<T> + Send,
    ) -> TestResult<(T, bool)> {
        let f = &*self.f;
        std::thread::scope(|scope| {
            let sent = scope.spawn(|| request(f));
            let mut sent_at = None;
            let running = loop {
                if f.counter(p, "mpc_in_flight", "").unwrap_or(0) > 0 {
                    break true;
                }
                if sent_at.is_none() && sent.is_finished() {
                    sent_at = Some(Instant::now());
                }
                if sent_at.is_some_and(|at: Instant| at.elapsed() > Duration::from_secs(2)) {
                    break false;
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            let signalled = f.signal_party(p, signal);
            let outcome = sent.join().map_err(|_| "the request panicked")?;
            signalled.and(outcome).map(|outcome| (outcome, running))
        })
    }

    /// A key request, `signal` sent to `p` as soon as it runs the DKG; returns its index and
    /// whether it landed there.
    fn key_with_signal(&mut self, p: usize, signal: &str) -> TestResult<(usize, bool)> {
        // ECDSA: its DKG takes seconds, so the signal lands in it (an EdDSA DKG is over in
        // milliseconds, before the metric that times the signal is read).
        let key_type = KeyType::EcdsaSecp256k1;
        let workspace_id = self.f.workspace_id;
        let (id, running) =
            self.signal_while_running(p, signal, |f| f.submit_key_request(workspace_id, key_type))?;
        self.keyings.push(Keying {
            id,
            under_fault: true,
            done: None,
        });
        Ok((self.keyings.len() - 1, running))
    }

    /// An ECDSA signature request, `signal` sent to `p` as soon as it signs after the
    /// approval (if it is among the signers); returns its index and whether it landed there.
    fn sign_with_signal(&mut self, p: usize, signal: &str) -> TestResult<(usize, bool)> {
        let key = self
            .keys
            .iter()
            .find(|k| k.key_type == KeyType::EcdsaSecp256k1)
            .ok_or("an ECDSA key")?
            .clone();
        self.messages += 1;
        let message = format!("chaos {} message {}", self.seed, self.messages);
        let (id, _) = self.f.request_signature(&key, &[message.as_bytes()])?;
        let (approved, running) = self.signal_while_running(p, signal, |f| f.approve(id))?;
        self.signings.push(Signing {
            id,
            key,
            approved_height: approved.height,
            done: None,
        });
        Ok((self.signings.len() - 1, running))
    }

    /// A backup while it runs, a clean stop, its store and share folder deleted (a lost disk),
    /// the backup restored and the party started again.
    fn wipe_and_restore(&mut self, p: usize) -> TestResult<()> {
        let dir = self.f.parties[p]
            .config_path
            .parent()
            .ok_or("the party's directory")?
            .to_path_buf();
        let backup = dir.join("chaos-backup");
        // The data directory outlives a run; so would its backup.
        let _ = std::fs::remove_dir_all(&backup);
        let out = backup.to_string_lossy().into_owned();
        self.f.operator_command(p, &["backup", "--out", &out])?;
        let exit = self.f.terminate_party(p, STOP_WITHIN)?;
        check(exit.success(), &format!("party-{p} stops cleanly ({exit})"))?;
        for lost in [dir.join("connector.redb"), dir.join("shares")] {
            let gone = match lost.is_dir() {
                true => std::fs::remove_dir_all(&lost),
                false => std::fs::remove_file(&lost),
            };
            gone.map_err(|e| format!("{}: {e}", lost.display()))?;
        }
        self.f.operator_command(p, &["restore", "--from", &out])?;
        self.f.start_party(p)
    }

    /// Polls until every request of the run is final.
    fn settle(&mut self) -> TestResult<()> {
        let deadline = Instant::now() + REQUEST_TIMEOUT;
        loop {
            self.poll()?;
            let open = self.signings.iter().filter(|s| s.done.is_none()).count()
                + self.keyings.iter().filter(|k| k.done.is_none()).count();
            if open == 0 {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{open} requests still open after {REQUEST_TIMEOUT:?}"
                ));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Every request ended as its user expects; the latencies.
    fn check_requests(&self) -> TestResult<Summary> {
        let mut summary = Summary {
            signatures_requested: self.signings.len(),
            keys_requested: self.keyings.len(),
            landed_mid_keygen: self.landed_mid_keygen,
            landed_mid_signing: self.landed_mid_signing,
            ..Summary::default()
        };
        let mut seconds = Vec::new();
        let mut blocks = Vec::new();
        let mut slowest = Vec::new();
        for signing in &self.signings {
            let request = signing.done.as_ref().ok_or("an open request")?;
            match request.status {
                SignRequestStatus::Fulfilled => {
                    self.check_signed(&signing.key, request)?;
                    summary.signatures_fulfilled += 1;
                    let mut heights: Vec<u64> = request.answers.iter().map(|a| a.height).collect();
                    heights.sort();
                    let fulfilling = heights[request.party_threshold as usize - 1];
                    blocks.push(fulfilling - signing.approved_height);
                    let time = |h| self.f.chain.block_time(h).map_err(|e| e.to_string());
                    let took = time(fulfilling)? - time(signing.approved_height)?;
                    seconds.push(took);
                    slowest.push((took, signing, fulfilling));
                }
                SignRequestStatus::Expired => {
                    let deadline = request
                        .mpc_deadline_height
                        .unwrap_or(request.created_height);
                    let up = self.fewest_up(signing.approved_height, deadline);
                    check(
                        up < self.threshold,
                        &format!(
                            "signature request {} expired with at least {up} parties up",
                            request.id
                        ),
                    )?;
                    summary.signatures_expired_short += 1;
                }
                status => {
                    return Err(format!(
                        "signature request {} ended {status:?}: {:?}",
                        request.id, request.reject_reason
                    ))
                }
            }
        }
        for keying in &self.keyings {
            let request = keying.done.as_ref().ok_or("an open key request")?;
            let everyone_back =
                self.fewest_up(request.deadline_height, request.deadline_height) == self.parties();
            let share_lost = request.answers.iter().any(
                |a| matches!(&a.result, KeyResult::Failure { reason } if reason == SHARE_LOST_LOG),
            );
            if request.status == KeyRequestStatus::Fulfilled {
                summary.keys_fulfilled += 1;
                summary.keys_under_faults += usize::from(keying.under_fault);
            } else if share_lost && keying.under_fault {
                summary.keys_share_lost += 1;
            } else {
                check(
                    !everyone_back,
                    &format!(
                        "key request {} ended {:?} ({:?}) with every party up at its deadline",
                        request.id, request.status, request.reject_reason
                    ),
                )?;
            }
        }
        check(
            summary.keys_under_faults >= 2,
            "at least two keys made under faults",
        )?;
        slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
        summary.slowest = slowest
            .iter()
            .take(3)
            .map(|(took, signing, fulfilled)| {
                let down: Vec<String> = self
                    .outages
                    .iter()
                    .filter(|o| {
                        o.from <= *fulfilled && o.to.is_none_or(|to| to >= signing.approved_height)
                    })
                    .map(|o| {
                        let to = o.to.map_or("-".into(), |h| h.to_string());
                        format!("{:?} party-{} (heights {}..{to})", o.fault, o.party, o.from)
                    })
                    .collect();
                format!(
                    "{} request {} approved at height {}, fulfilled at {fulfilled}: {took:.1} s; \
                     down meanwhile: {down:?}",
                    signing.key.key_type.as_str(),
                    signing.id,
                    signing.approved_height
                )
            })
            .collect();
        seconds.sort_by(f64::total_cmp);
        blocks.sort();
        let at = |q: f64, n: usize| ((n as f64 * q).ceil() as usize).clamp(1, n.max(1)) - 1;
        if !seconds.is_empty() {
            summary.latency_p50 = seconds[at(0.5, seconds.len())];
            summary.latency_p99 = seconds[at(0.99, seconds.len())];
            summary.latency_max = seconds[seconds.len() - 1];
            summary.blocks_p50 = blocks[at(0.5, blocks.len())];
            summary.blocks_p99 = blocks[at(0.99, blocks.len())];
        }
        Ok(summary)
    }

    /// Fulfilled, the signatures verify against the key outside the chain, at least the
    /// threshold answered, each party once, all of the keyring.
    fn check_signed(&self, key: &DevnetKey, request: &SignatureRequestResponse) -> TestResult<()> {
        verified_signatures(key, request).map_err(|e| format!("request {}: {e}", request.id))?;
        let mut answering: Vec<&str> = request.answers.iter().map(|a| a.party.as_str()).collect();
        answering.sort();
        answering.dedup();
        check(
            answering.len() == request.answers.len() && answering.len() >= self.threshold,
            &format!("request {}: one answer per party, t at least", request.id),
        )?;
        check(
            answering
                .iter()
                .all(|a| self.f.parties.iter().any(|p| p.address == *a)),
            "answers come from the keyring's parties",
        )
    }

    /// No share was lost: the other n − t parties paused (a window of them, moving on each
    /// round), the remaining t sign one request per key, so each of them answered with its
    /// share of every key; rounds go on until every party has.
    fn every_party_signs_with_every_key(&mut self) -> TestResult<usize> {
        let n = self.parties();
        let spare = n - self.threshold;
        let mut signed = vec![false; n];
        let mut requests = 0;
        let mut round = 0;
        while signed.iter().any(|s| !s) {
            let paused: Vec<usize> = (0..spare).map(|k| (round * spare + k) % n).collect();
            round += 1;
            for &q in &paused {
                self.f.pause_party(q, true)?;
            }
            let signers: Vec<usize> = (0..n).filter(|i| !paused.contains(i)).collect();
            // The signers choose among the parties they hear: wait until none hears a paused
            // one, so no attempt waits for it.
            let label = |q: usize| format!("peer=\"{q}\"");
            self.f.wait(
                "the signers to stop hearing the paused parties",
                Duration::from_secs(30),
                |f| {
                    for &i in &signers {
                        for &q in &paused {
                            if f.counter(i, "peer_live", &label(q))? != 0 {
                                return Ok(None);
                            }
                        }
                    }
                    Ok(Some(()))
                },
            )?;
            let outcome = self.sign_with_every_key(&signers);
            for &q in &paused {
                self.f.pause_party(q, false)?;
            }
            requests += outcome?;
            for &i in &signers {
                signed[i] = true;
            }
        }
        Ok(requests)
    }

    /// One request per key, made in one transaction and approved in one; each fulfilled by
    /// exactly `signers`' answers.
    fn sign_with_every_key(&mut self, signers: &[usize]) -> TestResult<usize> {
        let mut calls = Vec::new();
        for key in &self.keys {
            self.messages += 1;
            let message = format!("chaos {} every share {}", self.seed, self.messages);
            calls.push(self.f.signature_request_call(key, message.as_bytes())?);
        }
        let requested = self.f.execute_batch(REQUESTER, calls)?;
        let ids = Federation::signature_request_ids(&requested);
        check(ids.len() == self.keys.len(), "one request per key")?;
        let approvals = ids
            .iter()
            .map(|id| self.f.approve_call(*id))
            .collect::<TestResult<Vec<_>>>()?;
        let approved = self.f.execute_batch(APPROVER, approvals)?;
        let mut want: Vec<String> = signers
            .iter()
            .map(|&i| self.f.parties[i].address.clone())
            .collect();
        want.sort();
        let seen = Instant::now();
        for id in &ids {
            let done = self.f.wait_final(*id, seen).map_err(|e| {
                format!("signed by parties {signers:?} (each must hold every key's share): {e}")
            })?;
            let key = self
                .keys
                .iter()
                .find(|k| k.key_id == done.request.key_id)
                .ok_or("the request's key")?
                .clone();
            self.check_signed(&key, &done.request)?;
            let mut answering: Vec<String> = done
                .request
                .answers
                .iter()
                .map(|a| a.party.to_string())
                .collect();
            answering.sort();
            check(
                answering == want,
                &format!(
                    "request {id} with key {} signed by {signers:?}: answers from {answering:?}",
                    key.key_id
                ),
            )?;
            self.signings.push(Signing {
                id: *id,
                key,
                approved_height: approved.height,
                done: Some(done.request),
            });
        }
        Ok(ids.len())
    }

    /// Each request's answering parties, for counting their transactions.
    fn answered(&self) -> Vec<Vec<String>> {
        let signatures = self
            .signings
            .iter()
            .filter_map(|s| s.done.as_ref())
            .map(|r| {
                let answers = r.answers.iter();
                answers.map(|a| a.party.to_string()).collect()
            });
        let keys = self
            .keyings
            .iter()
            .filter_map(|k| k.done.as_ref())
            .map(|r| {
                let answers = r.answers.iter();
                answers.map(|a| a.party.to_string()).collect()
            });
        signatures.chain(keys).collect()
    }
}
