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
use crate::eddsa;
use crate::error::MpcError;
use crate::session::{agree_run, ChainRequest, SessionInputs};
use crate::signing::{sign_with_retry, SignPlan, Signature};
use crate::store::ShareStore;
use crate::transport::{PartyIndex, SessionChannel, SessionId, Transport};
use crate::wire;

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

/// Timeouts and retry bounds.
#[derive(Clone, Debug)]
pub struct PartyConfig {
    /// Bound on one FROST step (one round of messages) and on one signing attempt's steps.
    pub step_timeout: Duration,
    /// How long a non-signer waits for the signers' result in one attempt.
    pub result_timeout: Duration,
    /// Signer sets tried before a signing request fails (and key generation runs); `None`:
    /// every set when a small federation has at most
    /// [`crate::signing::SMALL_FEDERATION_SETS`], else [`crate::signing::DEFAULT_ATTEMPTS`].
    pub max_attempts: Option<u32>,
    /// Bound on a whole ECDSA protocol run (aux info, key generation, signing).
    pub ecdsa_timeout: Duration,
}

impl Default for PartyConfig {
    fn default() -> Self {
        Self {
            step_timeout: Duration::from_secs(10),
            result_timeout: Duration::from_secs(30),
            max_attempts: None,
            ecdsa_timeout: Duration::from_secs(120),
        }
    }
}

/// One MPC party: its index in the keyring's party list, its transport and its share store.
pub struct Party {
    transport: Arc<dyn Transport>,
    store: Arc<ShareStore>,
    config: PartyConfig,
    /// Held while Paillier primes are made: an aux run that needs them joins a generation in
    /// progress (the spare set made in the background) instead of starting a second one.
    making_primes: tokio::sync::Mutex<()>,
}

impl Party {
    pub fn new(transport: Arc<dyn Transport>, store: Arc<ShareStore>, config: PartyConfig) -> Self {
        Self {
            transport,
            store,
            config,
            making_primes: tokio::sync::Mutex::new(()),
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
        // As signing does: a run that times out (a party was unreachable, a message was lost)
        // is tried again on a new session, in windows of the same length at every party, so
        // the parties meet in the same attempt. Other failures name their culprit and end it.
        // Each window holds the run id agreement (`step_timeout`) and the run itself.
        let window = match scheme {
            Scheme::EddsaEd25519 => self.config.step_timeout * (EDDSA_KEYGEN_ROUNDS + 1),
            // Aux info (when missing) and key generation, each bounded by `ecdsa_timeout`.
            Scheme::EcdsaSecp256k1 => self.config.ecdsa_timeout * 2 + self.config.step_timeout,
        };
        let attempts = self
            .config
            .max_attempts
            .unwrap_or(crate::signing::DEFAULT_ATTEMPTS)
            .max(1);
        let mut last = None;
        let mut public_key = None;
        for attempt in 0..attempts {
            let window_ends = tokio::time::Instant::now() + window;
            match self.keygen_attempt(&inputs, attempt).await {
                Ok(key) => {
                    public_key = Some(key);
                    break;
                }
                Err(e @ MpcError::Timeout { .. }) => {
                    tracing::info!(me = self.me(), attempt, error = %e, "key generation timed out, trying again");
                    last = Some(e);
                    if attempt + 1 < attempts {
                        tokio::time::sleep_until(window_ends).await;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let Some(public_key) = public_key else {
            return Err(MpcError::AttemptsExhausted {
                attempts,
                last: Box::new(last.expect("at least one attempt ran")),
            });
        };
        tracing::info!(me = self.me(), scheme = scheme.as_str(), public_key = %hex::encode(&public_key), "key generated");
        Ok(public_key)
    }

    /// One key generation run in attempt `attempt`, on a run id all parties agree on first;
    /// stores the share.
    async fn keygen_attempt(
        &self,
        inputs: &SessionInputs,
        attempt: u32,
    ) -> Result<Vec<u8>, MpcError> {
        let parties = &inputs.parties;
        let t = inputs.threshold;
        let run = agree_run(
            self.transport.as_ref(),
            inputs.session("key", attempt),
            parties,
            self.config.step_timeout,
        )
        .await?;
        let scheme = inputs.scheme;
        let public_key = match scheme {
            Scheme::EddsaEd25519 => {
                let mut channel = self.open(run, parties).await?;
                let share = eddsa::keygen(&mut channel, t, self.config.step_timeout).await?;
                let public_key = share.public_key()?.to_vec();
                self.store.put(
                    &key_record(scheme, &public_key),
                    &StoredShare::Eddsa(Box::new(share)),
                )?;
                public_key
            }
            Scheme::EcdsaSecp256k1 => {
                let aux = self.ecdsa_aux(run, parties).await?;
                let channel = self.open(run.derive("key"), parties).await?;
                let share = ecdsa::keygen(channel, t, &aux, self.config.ecdsa_timeout).await?;
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
            step_timeout: self.config.step_timeout,
            result_timeout: self.config.result_timeout,
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
                let mut plan = plan(share.parties(), share.threshold());
                // One ECDSA run is a single step from this layer's point of view.
                plan.step_timeout = self.config.ecdsa_timeout;
                plan.result_timeout = self.config.ecdsa_timeout + self.config.result_timeout;
                sign_with_retry(self.transport.as_ref(), &protocol, &plan).await
            }
            _ => Err(MpcError::Store(format!(
                "record {record} holds another scheme"
            ))),
        }
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

    /// The stored Paillier primes, made (tens of seconds) and stored if there are none; kept
    /// until an aux run succeeds, so a retry does not make them again.
    async fn primes(&self) -> Result<ecdsa::PaillierPrimes, MpcError> {
        let _one_at_a_time = self.making_primes.lock().await;
        if let Some(primes) = self.store.get(PRIMES_RECORD)? {
            return Ok(primes);
        }
        let primes = ecdsa::generate_primes().await?;
        self.store.put(PRIMES_RECORD, &primes)?;
        Ok(primes)
    }

    /// The aux info of this party set, running the aux protocol (all parties) when it is not
    /// stored yet, on sessions derived from the key generation's run id `run`.
    async fn ecdsa_aux(
        &self,
        run: SessionId,
        parties: &[PartyIndex],
    ) -> Result<ecdsa::AuxInfo, MpcError> {
        let record = aux_record(parties);
        let stored: Option<ecdsa::AuxInfo> = self.store.get(&record)?;
        // Every party says which aux info it holds. If one lost it (a crash before the write, a
        // restored backup, a replaced party) or holds another run's, all run aux again: key
        // generation needs the same aux info at every party.
        let mine = stored.as_ref().map(ecdsa::AuxInfo::public_digest);
        let same = self
            .same_aux(run.derive("aux-digest"), parties, mine)
            .await?;
        if let (Some(aux), true) = (stored, same) {
            return Ok(aux);
        }
        if mine.is_some() {
            tracing::warn!(
                me = self.me(),
                "the parties hold different ECDSA aux info; making it again"
            );
        }
        let primes = self.primes().await?;
        let channel = self.open(run.derive("aux"), parties).await?;
        let aux = ecdsa::aux_info(channel, primes, self.config.ecdsa_timeout).await?;
        self.store.put(&record, &aux)?;
        // Primes are used up by one aux run.
        self.store.delete(PRIMES_RECORD)?;
        Ok(aux)
    }

    /// Sends this party's aux-info digest (empty when it has none) to the others and reads
    /// theirs: whether every party holds the same aux info.
    async fn same_aux(
        &self,
        session: SessionId,
        parties: &[PartyIndex],
        mine: Option<[u8; 32]>,
    ) -> Result<bool, MpcError> {
        let mut channel = self.open(session, parties).await?;
        let body = mine.map(|d| d.to_vec()).unwrap_or_default();
        channel
            .send(None, wire::encode(&channel.session, TAG_AUX_DIGEST, &body))
            .await?;
        let mut waiting_for: Vec<PartyIndex> = channel.others().collect();
        let mut same = mine.is_some();
        // As long as a whole ECDSA run: another party may still be busy with an earlier one.
        let deadline = tokio::time::Instant::now() + self.config.ecdsa_timeout;
        while !waiting_for.is_empty() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let msg = channel
                .recv_timeout("aux info digests", left, &waiting_for)
                .await?;
            if !waiting_for.contains(&msg.from) {
                continue;
            }
            let (tag, theirs) = wire::decode(&channel.session, &msg)?;
            if tag != TAG_AUX_DIGEST || !(theirs.is_empty() || theirs.len() == 32) {
                return Err(MpcError::Malformed {
                    party: msg.from,
                    reason: "not an aux info digest".into(),
                });
            }
            same &= mine.is_some_and(|d| theirs == d);
            waiting_for.retain(|p| *p != msg.from);
        }
        Ok(same)
    }

    async fn open(
        &self,
        session: SessionId,
        parties: &[PartyIndex],
    ) -> Result<SessionChannel, MpcError> {
        self.transport.open_session(session, parties.to_vec()).await
    }
}

const PRIMES_RECORD: &str = "ecdsa/primes";

/// Tag of the message carrying a party's aux-info digest before ECDSA key generation.
const TAG_AUX_DIGEST: u8 = 0xF2;

/// Message rounds of FROST key generation (each bounded by `step_timeout`), with one to spare.
const EDDSA_KEYGEN_ROUNDS: u32 = 3;

#[derive(Serialize, Deserialize)]
enum StoredShare {
    Eddsa(Box<eddsa::KeyShare>),
    Ecdsa(Box<ecdsa::KeyShare>),
}

/// Share-store id of a key share.
pub fn key_record(scheme: Scheme, public_key: &[u8]) -> String {
    format!("{}/key/{}", scheme.as_str(), hex::encode(public_key))
}

/// Share-store id of a party set's ECDSA aux info.
fn aux_record(parties: &[PartyIndex]) -> String {
    let mut h = Sha256::new();
    for p in parties {
        h.update(p.to_be_bytes());
    }
    format!("ecdsa/aux/{}", hex::encode(&h.finalize()[..16]))
}
