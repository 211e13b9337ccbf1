//! Threshold ECDSA over secp256k1 (CGGMP21, the audited `cggmp21` crate).
//!
//! The costly, key-independent work is done ahead of time, so that a key request does not wait
//! for it:
//! 1. [`generate_primes`]: a party's Paillier primes (tens of seconds of CPU, on a blocking thread);
//! 2. [`aux_info`]: one run per party set, with all parties of the set, consuming fresh primes
//!    (seconds of CPU per party). The result is reused for every key of that party set.
//!
//! Then [`keygen`] (milliseconds) makes a [`KeyShare`] and [`sign`] signs hashes with any
//! `threshold` of the key's parties. [`PaillierPrimes`], [`AuxInfo`] and [`KeyShare`] serialize with
//! serde so the store can keep them (they are secret: encrypt them at rest).
//!
//! Every run goes over a [`SessionChannel`] and is bounded by a timeout. The protocol's execution
//! id is derived from the session id, so it is equal on all parties and unique per session.

pub mod aux_set;
mod delivery;

use std::sync::Arc;
use std::time::Duration;

use cggmp21::generic_ec::Scalar;
use cggmp21::key_share::AnyKeyShare;
use cggmp21::security_level::SecurityLevel128;
use cggmp21::supported_curves::Secp256k1;
use cggmp21::{DataToSign, ExecutionId};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::MpcError;
use crate::signing::{Signature, SignerProtocol, SIGNATURE_LEN};
use crate::transport::{PartyIndex, SessionChannel, SessionId};
use delivery::{run_protocol, Protocol};

/// Length of a compressed SEC1 public key.
pub const PUBLIC_KEY_LEN: usize = 33;

type Level = SecurityLevel128;
type AuxMsg = cggmp21::key_refresh::msg::aux_only::Msg<Sha256, Level>;
type KeygenMsg = cggmp21::keygen::ThresholdMsg<Secp256k1, Level, Sha256>;
type SigningMsg = cggmp21::signing::msg::Msg<Secp256k1, Sha256>;

/// A party's pregenerated Paillier primes; used up by one [`aux_info`] run.
#[derive(Clone, Serialize, Deserialize)]
pub struct PaillierPrimes(cggmp21::PregeneratedPrimes<Level>);

/// Generates a party's Paillier primes (two safe primes: tens of seconds of CPU) on a blocking
/// thread, so it can run in the background while the party serves requests.
pub async fn generate_primes() -> Result<PaillierPrimes, MpcError> {
    tokio::task::spawn_blocking(|| {
        PaillierPrimes(cggmp21::PregeneratedPrimes::generate(&mut OsRng))
    })
    .await
    .map_err(|e| MpcError::Protocol {
        party: None,
        reason: format!("prime generation task died: {e}"),
    })
}

/// [`generate_primes`] for a spare set, on a thread of its own at a lower CPU priority (nice
/// 10): minutes of CPU that must not slow the MPC runs the party serves meanwhile.
pub async fn generate_spare_primes() -> Result<PaillierPrimes, MpcError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("spare-primes".into())
        .spawn(move || {
            // Only this thread's priority (Linux keeps one per thread); the thread ends after.
            // SAFETY: plain system calls on the calling thread, no memory passed.
            #[cfg(target_os = "linux")]
            unsafe {
                let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
                libc::setpriority(libc::PRIO_PROCESS, tid, 10);
            }
            let _ = tx.send(PaillierPrimes(cggmp21::PregeneratedPrimes::generate(
                &mut OsRng,
            )));
        })
        .map_err(|e| MpcError::Protocol {
            party: None,
            reason: format!("cannot start the prime generation thread: {e}"),
        })?;
    rx.await.map_err(|_| MpcError::Protocol {
        party: None,
        reason: "the prime generation thread died".into(),
    })
}

/// Auxiliary info (Paillier keys and ring-Pedersen parameters of every party) of one party set.
/// Reusable for every key of that set (the cggmp21 authors show reuse across keys is sound).
#[derive(Clone, Serialize, Deserialize)]
pub struct AuxInfo {
    /// Keyring indices of the party set, sorted; the protocol index of a party is its position.
    parties: Vec<PartyIndex>,
    aux: cggmp21::key_share::AuxInfo<Level>,
}

impl AuxInfo {
    /// A digest of the public part (the party set, and every party's Paillier modulus and
    /// ring-Pedersen parameters): two parties hold aux info of the same run exactly when their
    /// digests are equal.
    pub fn public_digest(&self) -> [u8; 32] {
        let mut h = sha2::Sha256::new();
        sha2::Digest::update(&mut h, b"mpc-party/aux-digest/v1");
        for p in &self.parties {
            sha2::Digest::update(&mut h, p.to_be_bytes());
        }
        // Only N, s and t: each party's own entry also holds its private CRT data and
        // precomputed tables, which differ between parties.
        for party in &self.aux.parties {
            let public = serde_json::to_vec(&(&party.N, &party.s, &party.t))
                .expect("public aux info serializes");
            sha2::Digest::update(&mut h, &public);
        }
        sha2::Digest::finalize(h).into()
    }

    /// The party set (keyring indices, sorted) this aux info belongs to.
    pub fn parties(&self) -> &[PartyIndex] {
        &self.parties
    }
}

/// One party's share of a threshold ECDSA key.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyShare {
    /// Keyring indices of the parties that made the key, sorted; the position of a party here is
    /// its index at key generation, which signing needs.
    parties: Vec<PartyIndex>,
    share: cggmp21::KeyShare<Secp256k1, Level>,
}

impl KeyShare {
    /// The parties sharing the key (keyring indices, sorted).
    pub fn parties(&self) -> &[PartyIndex] {
        &self.parties
    }

    /// How many parties must take part in signing.
    pub fn threshold(&self) -> u16 {
        self.share.min_signers()
    }
}

/// The protocol execution id of one step of a session: equal on all parties (they share the
/// session id), unique per session and step.
fn execution_id(session: &SessionId, step: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"mpc-party/ecdsa/execution-id/v1");
    h.update(session.0);
    h.update((step.len() as u64).to_be_bytes());
    h.update(step.as_bytes());
    h.finalize().into()
}

/// ECDSA takes a hash as an integer reduced modulo the group order.
fn data_to_sign(hash: &[u8; 32]) -> DataToSign<Secp256k1> {
    DataToSign::from_scalar(Scalar::<Secp256k1>::from_be_bytes_mod_order(hash))
}

fn single<T>(mut outputs: Vec<T>) -> T {
    outputs.pop().expect("one protocol instance, one output")
}

/// Runs auxiliary info generation with every party of `channel.participants` (the whole party
/// set: all must be online). Costs seconds of CPU per party; run once per party set and store.
pub async fn aux_info(
    channel: SessionChannel,
    primes: PaillierPrimes,
    timeout: Duration,
) -> Result<AuxInfo, MpcError> {
    let mut parties = channel.participants.clone();
    parties.sort_unstable();
    let n = parties.len() as u16;
    let eid = execution_id(&channel.session, "aux-info");
    let aux = run_protocol::<AuxMsg, _, _, _, _>(
        channel,
        Protocol::AuxInfo,
        1,
        timeout,
        move |_, i, party| {
            let primes = primes.0.clone();
            async move {
                cggmp21::aux_info_gen(ExecutionId::new(&eid), i, n, primes)
                    // CRT parameters make the proofs of every later signing faster at no
                    // noticeable size cost.
                    .precompute_crt(true)
                    .start(&mut OsRng, party)
                    .await
            }
        },
    )
    .await
    .map(single)?;
    Ok(AuxInfo { parties, aux })
}

/// Distributed key generation among all of `channel.participants` (the party set of `aux`):
/// any `threshold` of them can sign with the key. The number of parties `n` is the number of
/// participants.
pub async fn keygen(
    channel: SessionChannel,
    threshold: u16,
    aux: &AuxInfo,
    timeout: Duration,
) -> Result<KeyShare, MpcError> {
    let mut parties = channel.participants.clone();
    parties.sort_unstable();
    if parties != aux.parties {
        return Err(MpcError::InvalidRequest(format!(
            "key generation with parties {parties:?} needs their aux info, not that of {:?}",
            aux.parties
        )));
    }
    let n = parties.len() as u16;
    if threshold < 2 || threshold > n {
        return Err(MpcError::InvalidRequest(format!(
            "threshold {threshold} must be between 2 and the number of parties ({n})"
        )));
    }
    let eid = execution_id(&channel.session, "keygen");
    let incomplete = run_protocol::<KeygenMsg, _, _, _, _>(
        channel,
        Protocol::Keygen,
        1,
        timeout,
        move |_, i, party| async move {
            cggmp21::keygen::<Secp256k1>(ExecutionId::new(&eid), i, n)
                .set_threshold(threshold)
                .start(&mut OsRng, party)
                .await
        },
    )
    .await
    .map(single)?;
    let share = cggmp21::KeyShare::from_parts((incomplete, aux.aux.clone())).map_err(|e| {
        MpcError::Protocol {
            party: None,
            reason: format!("key share does not match the aux info: {e}"),
        }
    })?;
    Ok(KeyShare { parties, share })
}

/// Whether `signature` (`r || s`, low-s) is a valid signature of `hash` under the key: what the
/// contracts' `secp256k1_verify` will check.
pub fn verify(share: &KeyShare, hash: &[u8; 32], signature: &Signature) -> bool {
    cggmp21::Signature::<Secp256k1>::read_from_slice(signature).is_some_and(|sig| {
        sig == sig.normalize_s()
            && sig
                .verify(&share.share.shared_public_key, &data_to_sign(hash))
                .is_ok()
    })
}

/// ECDSA signing of 32-byte hashes with one key share, for [`crate::signing::sign_with_retry`].
/// One run signs every hash and is bounded by `timeout` as a whole: to the retry layer it is a
/// single step.
pub struct EcdsaSigner<'a> {
    pub share: &'a KeyShare,
    pub hashes: Vec<[u8; 32]>,
    pub timeout: Duration,
}

impl<'a> EcdsaSigner<'a> {
    /// Signs `items`, each of which must be a 32-byte hash.
    pub fn new(
        share: &'a KeyShare,
        items: &[Vec<u8>],
        timeout: Duration,
    ) -> Result<Self, MpcError> {
        let hashes = items
            .iter()
            .map(|item| {
                <[u8; 32]>::try_from(item.as_slice()).map_err(|_| {
                    MpcError::InvalidRequest("ECDSA items must be 32-byte hashes".into())
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            share,
            hashes,
            timeout,
        })
    }
}

#[async_trait::async_trait]
impl SignerProtocol for EcdsaSigner<'_> {
    fn items(&self) -> usize {
        self.hashes.len()
    }

    async fn run_signers(
        &self,
        channel: SessionChannel,
        step_timeout: Duration,
    ) -> Result<Vec<Signature>, MpcError> {
        sign(
            channel,
            self.share,
            &self.hashes,
            self.timeout.min(step_timeout),
        )
        .await
    }

    fn needs_fresh_run_id(&self) -> bool {
        true
    }

    /// Low-s (as the chain's `secp256k1_verify` requires) and valid for the key.
    fn verify(&self, index: usize, signature: &Signature) -> bool {
        self.hashes
            .get(index)
            .is_some_and(|hash| verify(self.share, hash, signature))
    }
}

/// The key's public key, compressed SEC1 (33 bytes), as the contracts store it.
pub fn public_key(share: &KeyShare) -> [u8; PUBLIC_KEY_LEN] {
    let mut out = [0u8; PUBLIC_KEY_LEN];
    out.copy_from_slice(&share.share.shared_public_key.to_bytes(true));
    out
}

/// Signs each of `hashes` (32-byte prehashes) with the signers `channel.participants`, exactly
/// `threshold` parties of the key, all bounded by `timeout`. Returns one 64-byte `r || s` low-s
/// signature per hash, in order. [`EcdsaSigner`] runs this under the signer-set retry logic.
///
/// Each hash gets its own full interactive signing (up to a few run concurrently). Presignatures
/// would make the online step nearly free, but they must never sign a raw hash handed in from
/// outside: with a presignature fixed before the hash is chosen, an attacker who picks the hash
/// can forge signatures on other messages (the known attack on ECDSA presignatures over
/// attacker-chosen prehashes). Our hashes come from request senders, so no presignatures.
pub async fn sign(
    channel: SessionChannel,
    share: &KeyShare,
    hashes: &[[u8; 32]],
    timeout: Duration,
) -> Result<Vec<Signature>, MpcError> {
    if hashes.is_empty() {
        return Err(MpcError::InvalidRequest("nothing to sign".into()));
    }
    let mut signers = channel.participants.clone();
    signers.sort_unstable();
    if signers.len() != usize::from(share.threshold()) {
        return Err(MpcError::InvalidRequest(format!(
            "signing needs exactly {} signers, got {signers:?}",
            share.threshold()
        )));
    }
    // Index of each signer at key generation.
    let at_keygen = signers
        .iter()
        .map(|p| {
            share
                .parties
                .binary_search(p)
                .map(|i| i as u16)
                .map_err(|_| {
                    MpcError::InvalidRequest(format!(
                        "signer {p} is not a party of the key ({:?})",
                        share.parties
                    ))
                })
        })
        .collect::<Result<Vec<u16>, _>>()?;
    let session = channel.session;
    let key = Arc::new(share.share.clone());
    let hashes: Arc<Vec<[u8; 32]>> = Arc::new(hashes.to_vec());
    let signatures = run_protocol::<SigningMsg, _, _, _, _>(
        channel,
        Protocol::Signing,
        hashes.len(),
        timeout,
        move |lane, i, party| {
            let key = key.clone();
            let at_keygen = at_keygen.clone();
            let eid = execution_id(&session, &format!("sign/{lane}"));
            let data = data_to_sign(&hashes[lane]);
            async move {
                cggmp21::signing(ExecutionId::new(&eid), i, &at_keygen, &key)
                    .sign(&mut OsRng, party, data)
                    .await
            }
        },
    )
    .await?;
    Ok(signatures
        .into_iter()
        .map(|signature| {
            let mut out = [0u8; SIGNATURE_LEN];
            signature.normalize_s().write_to_slice(&mut out);
            out
        })
        .collect())
}
