//! The high-level API the connector calls: key generation and signing for a request, with the
//! party's shares kept in its [`ShareStore`].
//!
//! Sessions come from the request's public inputs ([`SessionInputs`]: chain, contract, request,
//! scheme, key, parties, threshold, items), so every party starts the same session from the same
//! chain event; each key generation run agrees on a fresh run id ([`agree_run`]). Shares are stored under the scheme and public key
//! (`eddsa/key/<hex>`, `ecdsa/key/<hex>`); `sign` finds them by the key's public key, which the
//! connector reads from the chain.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ecdsa;
use crate::ecdsa::aux_set::{self, HeldAux};
use crate::eddsa;
use crate::error::MpcError;
use crate::session::{agree_run, ChainRequest, SessionInputs};
use crate::signing::{sign_with_retry, SignPlan, Signature};
use crate::store::ShareStore;
use crate::transport::{PartyIndex, SessionChannel, SessionId, Transport};
use crate::windows::{Window, Windows};
use crate::wire;
use tokio::time::Instant;

/// A threshold signature scheme.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum Scheme {
    /// CGGMP21 threshold ECDSA over secp256k1: 33-byte compressed keys, items are 32-byte hashes.
    EcdsaSecp256k1,
    /// FROST over Ed25519: 32-byte keys, items are messages.
    EddsaEd25519,
}

impl Scheme {
    pub fn as_str(&self) -> &'static str {
        match self {
            Scheme::EcdsaSecp256k1 => "ecdsa",
            Scheme::EddsaEd25519 => "eddsa",
        }
    }
}

/// Timeouts, attempt windows and retry bounds.
#[derive(Clone, Debug)]
pub struct PartyConfig {
    /// Bound on one step of key generation (one round of messages).
    pub step_timeout: Duration,
    /// The attempt window of EdDSA signing ([`crate::windows`]); EdDSA key generation's is
    /// twice as long. A FROST run takes milliseconds: the window is what a party that is late
    /// or silent can cost.
    pub eddsa_window: Duration,
    /// The attempt window of ECDSA signing; ECDSA key generation's (aux info and the key) is
    /// twice as long.
    pub ecdsa_window: Duration,
    /// Windows tried per call before it returns the last failure (the caller may call again);
    /// `None`: every signer set when a small federation has at most
    /// [`crate::signing::SMALL_FEDERATION_SETS`], else [`crate::signing::DEFAULT_ATTEMPTS`].
    pub max_attempts: Option<u32>,
    /// Bound on a whole ECDSA protocol run (aux info, key generation, signing). A key
    /// generation attempt that must make aux info first may run this long past its window's
    /// work (the next attempt is in the first window after that).
    pub ecdsa_timeout: Duration,
    /// After an aux info run uses up this party's Paillier primes, make the next set in the
    /// background (minutes of CPU), so that the next aux run does not wait for them.
    pub refill_primes: bool,
}

impl Default for PartyConfig {
    fn default() -> Self {
        Self {
            step_timeout: Duration::from_secs(10),
            eddsa_window: Duration::from_secs(10),
            ecdsa_window: Duration::from_secs(30),
            max_attempts: None,
            ecdsa_timeout: Duration::from_secs(120),
            refill_primes: true,
        }
    }
}

impl PartyConfig {
    /// The attempt windows of signing with `scheme`. A party joins the window in progress
    /// while a tenth (EdDSA: a FROST run takes milliseconds) or a sixth (ECDSA: about a second
    /// of CPU per signer, more under load) of it is left for the work.
    pub fn sign_windows(&self, scheme: Scheme) -> Windows {
        match scheme {
            Scheme::EddsaEd25519 => Windows::new(self.eddsa_window, self.eddsa_window / 10),
            Scheme::EcdsaSecp256k1 => Windows::new(self.ecdsa_window, self.ecdsa_window / 6),
        }
    }

    /// The attempt windows of key generation with `scheme`: twice the signing windows, joined
    /// while a tenth (EdDSA) or a twelfth (ECDSA, as signing: with aux info held, key generation
    /// takes about as long; an attempt that must make aux info first runs on past its window,
    /// see `ecdsa_timeout`) of the window is left.
    pub fn keygen_windows(&self, scheme: Scheme) -> Windows {
        match scheme {
            Scheme::EddsaEd25519 => Windows::new(self.eddsa_window * 2, self.eddsa_window / 5),
            Scheme::EcdsaSecp256k1 => Windows::new(self.ecdsa_window * 2, self.ecdsa_window / 6),
        }
    }
}

/// One MPC party: its index in the keyring's party list, its transport and its share store.
pub struct Party {
    transport: Arc<dyn Transport>,
    store: Arc<ShareStore>,
    config: PartyConfig,
    /// Held while Paillier primes are made for an aux run waiting for them (by the task that
    /// makes them, so an attempt that ends first leaves them to the next): another aux run
    /// that needs them joins that generation instead of starting a second one.
    making_primes: Arc<tokio::sync::Mutex<()>>,
    /// Held while a spare set is made at a lower CPU priority. An aux run never waits for that
    /// one: on a busy machine it can take many times longer (the other parties' attempts
    /// ended, window after window, while one party waited for its spare set).
    making_spare_primes: Arc<tokio::sync::Mutex<()>>,
    /// Held while a party set's held aux infos are read and written back.
    adding_aux: std::sync::Mutex<()>,
}

impl Party {
    pub fn new(transport: Arc<dyn Transport>, store: Arc<ShareStore>, config: PartyConfig) -> Self {
        Self {
            transport,
            store,
            config,
            making_primes: Arc::default(),
            making_spare_primes: Arc::default(),
            adding_aux: std::sync::Mutex::default(),
        }
    }

    /// This party's index in the keyring's party list.
    pub fn me(&self) -> PartyIndex {
        self.transport.me()
    }

    pub fn store(&self) -> &ShareStore {
        &self.store
    }

    /// Runs distributed key generation with parties `0..n` (all must take part) for `request`;
    /// any `t` of them can sign afterwards. Stores this party's share and returns the public key
    /// (32 bytes for EdDSA, 33-byte compressed for ECDSA).
    ///
    /// One attempt per window ([`PartyConfig::keygen_windows`]), on a run id the parties agree
    /// on first: a party that arrives late joins the window in progress or the next one. A
    /// window in which a party is not live is skipped (key generation needs every party).
    /// After `max_attempts` windows the last failure is returned; only a failure of this party
    /// itself ([`MpcError::is_local`]) ends it at once.
    pub async fn keygen(
        &self,
        scheme: Scheme,
        request: &ChainRequest,
        n: u16,
        t: u16,
    ) -> Result<Vec<u8>, MpcError> {
        if t == 0 || t > n {
            return Err(MpcError::InvalidRequest(format!(
                "threshold {t} of {n} parties"
            )));
        }
        let parties: Vec<PartyIndex> = (0..n).collect();
        let inputs = SessionInputs::keygen(request, scheme, &parties, t);
        if !parties.contains(&self.me()) {
            return Err(MpcError::InvalidRequest(format!(
                "party {} is not among the {n} parties",
                self.me()
            )));
        }
        let windows = self.config.keygen_windows(scheme);
        let attempts = self
            .config
            .max_attempts
            .unwrap_or(crate::signing::DEFAULT_ATTEMPTS)
            .max(1);
        let mut window = windows.to_join();
        let mut last = None;
        for _ in 0..attempts {
            tokio::time::sleep_until(window.starts).await;
            let live = self.transport.live();
            let silent: Vec<PartyIndex> = parties
                .iter()
                .copied()
                .filter(|p| !live.contains(p))
                .collect();
            // Where this attempt's steps end: with its window's work, or later when the
            // parties make ECDSA aux info first (each decides that from the same facts).
            let mut ends = window.work_ends();
            let outcome = if !silent.is_empty() {
                Err(MpcError::Timeout {
                    step: "live parties".into(),
                    after_ms: window.length().as_millis() as u64,
                    waiting_for: silent,
                })
            } else {
                self.keygen_attempt(&inputs, &window, &mut ends).await
            };
            match outcome {
                Ok(public_key) => {
                    tracing::info!(me = self.me(), scheme = scheme.as_str(), public_key = %hex::encode(&public_key), "{KEY_GENERATED_LOG}");
                    return Ok(public_key);
                }
                Err(e) if e.is_local() => return Err(e),
                Err(e) => {
                    tracing::info!(me = self.me(), window = window.number, error = %e, "key generation attempt failed; the next window tries again");
                    last = Some(e);
                    window = windows.first_from(&window, ends);
                }
            }
        }
        Err(MpcError::AttemptsExhausted {
            attempts,
            last: Box::new(last.expect("at least one attempt ran")),
        })
    }

    /// One key generation run in `window`, on a run id all parties agree on first; stores the
    /// share. Every step ends by `ends`: the window's work, moved later by [`Party::ecdsa_aux`]
    /// when the parties must make aux info first.
    async fn keygen_attempt(
        &self,
        inputs: &SessionInputs,
        window: &Window,
        ends: &mut Instant,
    ) -> Result<Vec<u8>, MpcError> {
        let parties = &inputs.parties;
        let t = inputs.threshold;
        let session = inputs.session("key", window.number);
        let agreement = agree_run(
            self.transport.as_ref(),
            session,
            parties,
            window.work_left(),
        );
        let run = by(*ends, window, agreement).await?;
        let scheme = inputs.scheme;
        let public_key = match scheme {
            Scheme::EddsaEd25519 => {
                let keygen = async {
                    let mut channel = self.open(run, parties).await?;
                    let step = self.config.step_timeout.min(window.work_left());
                    eddsa::keygen(&mut channel, t, step).await
                };
                let share = by(*ends, window, keygen).await?;
                let public_key = share.public_key()?.to_vec();
                self.store.put(
                    &key_record(scheme, &public_key),
                    &StoredShare::Eddsa(Box::new(share)),
                )?;
                public_key
            }
            Scheme::EcdsaSecp256k1 => {
                let aux = self.ecdsa_aux(run, parties, window, ends).await?;
                let until = *ends;
                let keygen = async {
                    let channel = self.open(run.derive("key"), parties).await?;
                    let left = until.saturating_duration_since(Instant::now());
                    ecdsa::keygen(channel, t, &aux, self.config.ecdsa_timeout.min(left)).await
                };
                let share = by(until, window, keygen).await?;
                let public_key = ecdsa::public_key(&share).to_vec();
                self.store.put(
                    &key_record(scheme, &public_key),
                    &StoredShare::Ecdsa(Box::new(share)),
                )?;
                public_key
            }
        };
        Ok(public_key)
    }

    /// Signs `items` with the stored key `public_key` for `request`, with any threshold of the
    /// key's parties; every party, signer or not, returns the same verified signatures.
    /// ECDSA items are 32-byte hashes; EdDSA items are messages.
    pub async fn sign(
        &self,
        scheme: Scheme,
        public_key: &[u8],
        request: &ChainRequest,
        items: &[Vec<u8>],
    ) -> Result<Vec<Signature>, MpcError> {
        if items.is_empty() {
            return Err(MpcError::InvalidRequest("nothing to sign".into()));
        }
        let record = key_record(scheme, public_key);
        let share: StoredShare = self
            .store
            .get(&record)?
            .ok_or_else(|| MpcError::UnknownKey(record.clone()))?;
        let plan = |parties: &[PartyIndex], threshold| SignPlan {
            inputs: SessionInputs::signing(request, scheme, public_key, parties, threshold, items),
            windows: self.config.sign_windows(scheme),
            max_attempts: self.config.max_attempts,
        };
        match (scheme, share) {
            (Scheme::EddsaEd25519, StoredShare::Eddsa(share)) => {
                let protocol = eddsa::FrostSigner {
                    share: &share,
                    messages: items,
                };
                let plan = plan(share.parties(), share.threshold());
                sign_with_retry(self.transport.as_ref(), &protocol, &plan).await
            }
            (Scheme::EcdsaSecp256k1, StoredShare::Ecdsa(share)) => {
                let protocol = ecdsa::EcdsaSigner::new(&share, items, self.config.ecdsa_timeout)?;
                let plan = plan(share.parties(), share.threshold());
                sign_with_retry(self.transport.as_ref(), &protocol, &plan).await
            }
            _ => Err(MpcError::Store(format!(
                "record {record} holds another scheme"
            ))),
        }
    }

    /// Whether this party holds a share of the key `public_key`.
    pub fn holds_key(&self, scheme: Scheme, public_key: &[u8]) -> Result<bool, MpcError> {
        self.store.contains(&key_record(scheme, public_key))
    }

    /// Whether Paillier primes are stored, ready for the next aux info run.
    pub fn has_ecdsa_primes(&self) -> Result<bool, MpcError> {
        self.store.contains(PRIMES_RECORD)
    }

    /// Generates this party's Paillier primes ahead of time (tens of seconds) and stores them, so
    /// the first ECDSA key request does not wait for them. Does nothing if primes are stored.
    pub async fn prepare_ecdsa(&self) -> Result<(), MpcError> {
        self.primes().await.map(drop)
    }

    /// The stored Paillier primes, made (tens of seconds to minutes) and stored if there are
    /// none; kept until an aux run succeeds, so a retry does not make them again. They are
    /// made by a task of their own that holds the lock until they are stored: an attempt that
    /// gives up meanwhile leaves them to the next one.
    async fn primes(&self) -> Result<ecdsa::PaillierPrimes, MpcError> {
        let one_at_a_time = self.making_primes.clone().lock_owned().await;
        if let Some(primes) = self.store.get(PRIMES_RECORD)? {
            return Ok(primes);
        }
        let store = self.store.clone();
        let task = tokio::spawn(async move {
            let primes = ecdsa::generate_primes().await?;
            store.put(PRIMES_RECORD, &primes)?;
            drop(one_at_a_time);
            Ok(primes)
        });
        task.await.map_err(|e| MpcError::Protocol {
            party: None,
            reason: format!("making Paillier primes: {e}"),
        })?
    }

    /// Makes the next set of Paillier primes at a lower CPU priority, unless a set is stored
    /// or a spare one is being made; logs [`SPARE_PRIMES_LOG`] when it starts. A set made
    /// meanwhile for an aux run that could not wait is kept, and this one dropped.
    pub fn make_spare_primes(
        &self,
    ) -> impl std::future::Future<Output = Result<(), MpcError>> + Send + 'static {
        let store = self.store.clone();
        let (spare_lock, lock) = (self.making_spare_primes.clone(), self.making_primes.clone());
        async move {
            let _one_spare_at_a_time = spare_lock.lock_owned().await;
            if store.contains(PRIMES_RECORD)? {
                return Ok(());
            }
            tracing::info!("{SPARE_PRIMES_LOG}");
            let primes = ecdsa::generate_spare_primes().await?;
            let _no_other_writer = lock.lock().await;
            if !store.contains(PRIMES_RECORD)? {
                store.put(PRIMES_RECORD, &primes)?;
            }
            Ok(())
        }
    }

    /// The aux info of this party set that every party holds, or one made now (all parties
    /// run the aux protocol) when there is none, on sessions derived from the key generation's
    /// run id `run` ([`ecdsa::aux_set`] says why a party keeps several).
    ///
    /// Making aux info takes tens of seconds of CPU per party, more than a key generation
    /// window on a busy machine, where it failed in window after window. So when it must be
    /// made, the attempt's end (`ends`) moves to [`PartyConfig::ecdsa_timeout`] after the
    /// window's work: every party learns that it must from the same digest lists, at the
    /// window's start, and moves it alike, so all meet again in the same later window.
    async fn ecdsa_aux(
        &self,
        run: SessionId,
        parties: &[PartyIndex],
        window: &Window,
        ends: &mut Instant,
    ) -> Result<ecdsa::AuxInfo, MpcError> {
        let record = aux_record(parties);
        let held = self.held_aux(&record)?;
        let mine = held.digests();
        let theirs = self
            .aux_digests(run.derive("aux-digest"), parties, &mine, window)
            .await?;
        if let Some(chosen) = aux_set::common(&mine, &theirs) {
            return Ok(held
                .get(&chosen)
                .expect("a common digest is one this party holds")
                .clone());
        }
        if !held.is_empty() {
            tracing::warn!(me = self.me(), "{AUX_DIFFERS_LOG}");
        }
        *ends = (*ends).max(window.work_ends() + self.config.ecdsa_timeout);
        let until = *ends;
        let made = async {
            let primes = self.primes().await?;
            let channel = self.open(run.derive("aux"), parties).await?;
            let left = until.saturating_duration_since(Instant::now());
            ecdsa::aux_info(channel, primes, left).await
        };
        let aux = by(until, window, made).await?;
        {
            // Read again under the lock: another key generation may have added one meanwhile.
            let _one_writer = self.adding_aux.lock().expect("no writer panics");
            let mut held = self.held_aux(&record)?;
            held.add(aux.clone());
            self.store.put(&record, &held.to_stored())?;
        }
        // Primes are used up by one aux run; the next set is made ahead of the next run.
        self.store.delete(PRIMES_RECORD)?;
        if self.config.refill_primes {
            let spare = self.make_spare_primes();
            tokio::spawn(async move {
                if let Err(e) = spare.await {
                    tracing::warn!(error = %e, "cannot make spare ECDSA Paillier primes");
                }
            });
        }
        Ok(aux)
    }

    /// The aux infos this party holds for the party set stored under `record`.
    pub fn held_aux(&self, record: &str) -> Result<HeldAux, MpcError> {
        Ok(self
            .store
            .get::<aux_set::StoredAux>(record)?
            .map(HeldAux::from)
            .unwrap_or_default())
    }

    /// Sends the digests of the aux infos this party holds (`mine`) to the others and reads
    /// theirs, one list per other party.
    async fn aux_digests(
        &self,
        session: SessionId,
        parties: &[PartyIndex],
        mine: &[[u8; aux_set::DIGEST_LEN]],
        window: &Window,
    ) -> Result<Vec<Vec<[u8; aux_set::DIGEST_LEN]>>, MpcError> {
        let mut channel = self.open(session, parties).await?;
        let body = aux_set::encode_digests(mine);
        channel
            .send(None, wire::encode(&channel.session, TAG_AUX_DIGEST, &body))
            .await?;
        let mut waiting_for: Vec<PartyIndex> = channel.others().collect();
        let mut theirs = Vec::with_capacity(waiting_for.len());
        // As long as the window's work: another party may still be busy with an earlier run.
        let deadline = window.work_ends();
        while !waiting_for.is_empty() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let msg = channel
                .recv_timeout("aux info digests", left, &waiting_for)
                .await?;
            if !waiting_for.contains(&msg.from) {
                continue;
            }
            let (tag, body) = wire::decode(&channel.session, &msg)?;
            let digests = (tag == TAG_AUX_DIGEST)
                .then(|| aux_set::decode_digests(&body))
                .flatten()
                .ok_or_else(|| MpcError::Malformed {
                    party: msg.from,
                    reason: "not a list of aux info digests".into(),
                })?;
            theirs.push(digests);
            waiting_for.retain(|p| *p != msg.from);
        }
        Ok(theirs)
    }

    async fn open(
        &self,
        session: SessionId,
        parties: &[PartyIndex],
    ) -> Result<SessionChannel, MpcError> {
        self.transport.open_session(session, parties.to_vec()).await
    }
}

/// `step`, ended at `deadline` (a key generation attempt's end) if it is not done by then.
async fn by<T>(
    deadline: Instant,
    window: &Window,
    step: impl std::future::Future<Output = Result<T, MpcError>>,
) -> Result<T, MpcError> {
    tokio::time::timeout_at(deadline, step)
        .await
        .unwrap_or_else(|_| {
            Err(MpcError::Timeout {
                step: "key generation".into(),
                after_ms: deadline
                    .saturating_duration_since(window.starts)
                    .as_millis() as u64,
                waiting_for: Vec::new(),
            })
        })
}

/// Share-store id of the Paillier primes for the next aux run.
pub const PRIMES_RECORD: &str = "ecdsa/primes";

/// Logged when a key generation succeeded at this party (its share stored).
pub const KEY_GENERATED_LOG: &str = "key generated";

/// Logged when an EdDSA key generation enters its last round (each party's secret share sent
/// point to point): past it, the others may hold the key before this party stored its share.
pub const DKG_LAST_ROUND_LOG: &str = "key generation: last round";

/// Logged when the parties hold different ECDSA aux info for their set and make it again.
pub const AUX_DIFFERS_LOG: &str = "the parties hold different ECDSA aux info; making it again";

/// Logged when a party starts making a spare set of Paillier primes.
pub const SPARE_PRIMES_LOG: &str = "making spare ECDSA Paillier primes in the background";

/// Tag of the message listing the aux infos a party holds before ECDSA key generation.
const TAG_AUX_DIGEST: u8 = 0xF2;

#[derive(Serialize, Deserialize)]
enum StoredShare {
    Eddsa(Box<eddsa::KeyShare>),
    Ecdsa(Box<ecdsa::KeyShare>),
}

/// Share-store id of a key share.
pub fn key_record(scheme: Scheme, public_key: &[u8]) -> String {
    format!("{}/key/{}", scheme.as_str(), hex::encode(public_key))
}

/// Share-store id of the ECDSA aux infos held for a party set ([`HeldAux`]).
pub fn aux_record(parties: &[PartyIndex]) -> String {
    let mut h = Sha256::new();
    for p in parties {
        h.update(p.to_be_bytes());
    }
    format!("ecdsa/aux/{}", hex::encode(&h.finalize()[..16]))
}
