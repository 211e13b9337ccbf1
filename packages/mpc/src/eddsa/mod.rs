//! Threshold Ed25519 with FROST (RFC 9591, the `frost-ed25519` crate): distributed key generation
//! and signing over a [`SessionChannel`].
//!
//! Key generation is the FROST DKG with a real broadcast for round 1: after receiving every
//! round-1 package, each party sends a hash of all of them (its own included) to everyone and
//! checks that all hashes agree, so a party cannot show different commitments to different
//! parties. Round-2 packages are secret and go point to point (the transport encrypts them).
//!
//! Signing has no coordinator: each signer sends its commitments to the other signers, builds the
//! signing package, and sends its signature shares together with the hash of each signer's
//! commitments as it received them (an echo, the standard reliable-broadcast check). Before using
//! any share, a signer checks that all signers saw the same commitments: a mismatch names the party
//! that sent different commitments to different signers (see [`check_commitment_echoes`]), where
//! without the echo an honest signer's share would fail to verify and the honest signer would be
//! blamed. Then it aggregates, which checks every share and names a cheater. The echo rides on
//! the share message rather than costing a round of its own: a share computed over a package
//! that others do not share is within FROST's model (RFC 9591 lets an untrusted coordinator hand
//! each signer its package, and each nonce pair still signs once), it only must not be
//! aggregated or blamed on. Nonces are created per run and consumed by `round2::sign`, never
//! stored.

use std::collections::BTreeMap;
use std::time::Duration;

use frost::keys::dkg;
use frost::Identifier;
use frost_ed25519 as frost;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::MpcError;
use crate::signing::{Signature, SignerProtocol};
use crate::transport::{PartyIndex, SessionChannel};
use crate::wire::Inbox;

/// Length of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

const TAG_DKG_ROUND1: u8 = 1;
const TAG_DKG_ECHO: u8 = 2;
const TAG_DKG_ROUND2: u8 = 3;
/// Wire tags (the byte after the session id in every payload, see `wire`). Public so that tests
/// can play a misbehaving party.
pub const TAG_SIGN_COMMITMENTS: u8 = 11;
pub const TAG_SIGN_SHARES: u8 = 12;
const KEYGEN_TAGS: &[u8] = &[TAG_DKG_ROUND1, TAG_DKG_ECHO, TAG_DKG_ROUND2];
const SIGN_TAGS: &[u8] = &[TAG_SIGN_COMMITMENTS, TAG_SIGN_SHARES];

/// One party's share of a threshold Ed25519 key; secret, serializable for the store.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyShare {
    /// Keyring indices of the parties that made the key, sorted.
    parties: Vec<PartyIndex>,
    key_package: frost::keys::KeyPackage,
    public_key_package: frost::keys::PublicKeyPackage,
}

/// Shows only public parts: the secret share never reaches a log.
impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyShare")
            .field("parties", &self.parties)
            .field("threshold", &self.threshold())
            .field("public_key", &self.public_key().map(hex::encode).ok())
            .finish_non_exhaustive()
    }
}

impl KeyShare {
    /// The 32-byte group public key.
    pub fn public_key(&self) -> Result<[u8; PUBLIC_KEY_LEN], MpcError> {
        let bytes = self
            .public_key_package
            .verifying_key()
            .serialize()
            .map_err(|e| protocol_error(None, format!("serialize verifying key: {e}")))?;
        bytes
            .try_into()
            .map_err(|_| protocol_error(None, "verifying key is not 32 bytes".into()))
    }

    /// The key's parties (keyring indices, sorted).
    pub fn parties(&self) -> &[PartyIndex] {
        &self.parties
    }

    /// How many parties must sign.
    pub fn threshold(&self) -> u16 {
        *self.key_package.min_signers()
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` under the group key.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        frost::Signature::deserialize(signature).is_ok_and(|sig| {
            self.public_key_package
                .verifying_key()
                .verify(message, &sig)
                .is_ok()
        })
    }
}

/// FROST identifiers are non-zero: party `i` is identifier `i + 1`.
fn identifier(party: PartyIndex) -> Result<Identifier, MpcError> {
    Identifier::try_from(
        party
            .checked_add(1)
            .ok_or_else(|| MpcError::InvalidRequest(format!("party index {party} too large")))?,
    )
    .map_err(|e| MpcError::InvalidRequest(format!("party {party}: {e}")))
}

fn party_of(id: &Identifier, parties: &[PartyIndex]) -> Option<PartyIndex> {
    parties
        .iter()
        .copied()
        .find(|p| identifier(*p).is_ok_and(|i| i == *id))
}

fn protocol_error(party: Option<PartyIndex>, reason: String) -> MpcError {
    MpcError::Protocol { party, reason }
}

/// Maps a FROST error to ours, naming the culprit it reports.
fn frost_error(step: &str, e: frost::Error, parties: &[PartyIndex]) -> MpcError {
    let culprit = e.culprits().first().and_then(|id| party_of(id, parties));
    protocol_error(culprit, format!("{step}: {e}"))
}

fn malformed(party: PartyIndex, what: &str, e: impl std::fmt::Display) -> MpcError {
    MpcError::Malformed {
        party,
        reason: format!("bad {what}: {e}"),
    }
}

/// Runs the DKG among all of `channel.participants`; any `threshold` of them can sign afterwards.
/// Every step is bounded by `step_timeout`.
pub async fn keygen(
    channel: &mut SessionChannel,
    threshold: u16,
    step_timeout: Duration,
) -> Result<KeyShare, MpcError> {
    let parties = channel.participants.clone();
    let me = channel.me;
    let others: Vec<PartyIndex> = channel.others().collect();
    let n = u16::try_from(parties.len())
        .map_err(|_| MpcError::InvalidRequest("too many parties".into()))?;
    if threshold < 2 || threshold > n {
        return Err(MpcError::InvalidRequest(format!(
            "threshold {threshold} of {n} parties (FROST needs 2 ≤ t ≤ n)"
        )));
    }
    let mut inbox = Inbox::new(channel, KEYGEN_TAGS);

    // Round 1: commitments and proof of knowledge, broadcast.
    let (secret1, package1) = dkg::part1(identifier(me)?, n, threshold, OsRng)
        .map_err(|e| frost_error("dkg part 1", e, &parties))?;
    let own1 = package1
        .serialize()
        .map_err(|e| frost_error("serialize round 1", e, &parties))?;
    inbox.send(None, TAG_DKG_ROUND1, &own1).await?;
    let received1 = inbox
        .collect("dkg round 1", TAG_DKG_ROUND1, true, &others, step_timeout)
        .await?;
    let mut round1 = BTreeMap::new();
    for (party, bytes) in &received1 {
        let package = dkg::round1::Package::deserialize(bytes)
            .map_err(|e| malformed(*party, "dkg round-1 package", e))?;
        round1.insert(identifier(*party)?, package);
    }

    // Echo: everyone must have seen the same round-1 packages.
    let mut all1 = received1;
    all1.insert(me, own1);
    let digest = round1_digest(&all1);
    inbox.send(None, TAG_DKG_ECHO, &digest).await?;
    let echoes = inbox
        .collect("dkg echo", TAG_DKG_ECHO, true, &others, step_timeout)
        .await?;
    if let Some((party, _)) = echoes.iter().find(|(_, d)| d.as_slice() != digest) {
        return Err(protocol_error(
            Some(*party),
            "round-1 broadcast mismatch: this party saw different round-1 packages".into(),
        ));
    }

    // Round 2: one secret share per party, point to point.
    tracing::info!(me, "{}", crate::party::DKG_LAST_ROUND_LOG);
    let (secret2, packages2) =
        dkg::part2(secret1, &round1).map_err(|e| frost_error("dkg part 2", e, &parties))?;
    for party in &others {
        let package = packages2
            .get(&identifier(*party)?)
            .ok_or_else(|| protocol_error(None, format!("no round-2 package for {party}")))?;
        let bytes = package
            .serialize()
            .map_err(|e| frost_error("serialize round 2", e, &parties))?;
        inbox.send(Some(*party), TAG_DKG_ROUND2, &bytes).await?;
    }
    let received2 = inbox
        .collect("dkg round 2", TAG_DKG_ROUND2, false, &others, step_timeout)
        .await?;
    let mut round2 = BTreeMap::new();
    for (party, bytes) in &received2 {
        let package = dkg::round2::Package::deserialize(bytes)
            .map_err(|e| malformed(*party, "dkg round-2 package", e))?;
        round2.insert(identifier(*party)?, package);
    }
    let (key_package, public_key_package) = dkg::part3(&secret2, &round1, &round2)
        .map_err(|e| frost_error("dkg part 3", e, &parties))?;
    Ok(KeyShare {
        parties,
        key_package,
        public_key_package,
    })
}

/// Hash of every party's round-1 package, in party order, with lengths so boundaries are fixed.
fn round1_digest(packages: &BTreeMap<PartyIndex, Vec<u8>>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"mpc-party/frost-dkg-echo/v1");
    for (party, bytes) in packages {
        h.update(party.to_be_bytes());
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    h.finalize().into()
}

/// The hash of each signer's commitments message, in signer order.
fn commitment_hashes(received: &BTreeMap<PartyIndex, Vec<u8>>) -> Vec<[u8; 32]> {
    received
        .values()
        .map(|bytes| {
            Sha256::new()
                .chain_update(b"mpc-party/frost-sign-echo/v1")
                .chain_update(bytes)
                .finalize()
                .into()
        })
        .collect()
}

/// Compares what each other signer saw (`echoes`: per signer, the hashes of every signer's
/// commitments in signer order) with what I saw (`seen`):
/// - j's echo disagrees about j's own commitments, or about mine: j equivocated or lies, for
///   sure (I know what j sent me and what I sent everyone), so j is named;
/// - j's echo disagrees about a third signer s: either s sent j and me different commitments
///   or j lies about s. With authenticated but not signed messages no party can tell these
///   apart, so nobody is named: the attempt fails and the next window tries another set. Naming
///   s would let a lying j get honest signers excluded (it lies to me about s and to s about
///   me, and a majority of notices would name us both).
fn check_commitment_echoes(
    me: PartyIndex,
    seen: &[[u8; 32]],
    echoes: &BTreeMap<PartyIndex, Vec<u8>>,
) -> Result<(), MpcError> {
    let mut signers: Vec<PartyIndex> = echoes.keys().copied().collect();
    signers.push(me);
    signers.sort_unstable();
    let mut blamed = std::collections::BTreeSet::new();
    let mut disputed = std::collections::BTreeSet::new();
    for (from, echo) in echoes {
        if echo.len() != seen.len() * 32 {
            return Err(malformed(*from, "signing echo", "wrong length"));
        }
        for ((subject, theirs), mine) in signers.iter().zip(echo.chunks_exact(32)).zip(seen) {
            if theirs == mine {
                continue;
            }
            if subject == from || *subject == me {
                blamed.insert(*from);
            } else {
                disputed.insert(*subject);
            }
        }
    }
    if !blamed.is_empty() {
        return Err(MpcError::Misbehaved {
            parties: blamed.into_iter().collect(),
            reason: "a signer's echo contradicts what it or this party sent (equivocation)".into(),
        });
    }
    if !disputed.is_empty() {
        return Err(MpcError::Protocol {
            party: None,
            reason: format!(
                "signers saw different signing commitments of parties {disputed:?}: one of them \
                 equivocated or a signer lies about them (nobody is named on one signer's word)"
            ),
        });
    }
    Ok(())
}

/// FROST signing of some messages with one key share, for [`crate::signing::sign_with_retry`].
pub struct FrostSigner<'a> {
    pub share: &'a KeyShare,
    pub messages: &'a [Vec<u8>],
}

#[async_trait::async_trait]
impl SignerProtocol for FrostSigner<'_> {
    fn items(&self) -> usize {
        self.messages.len()
    }

    async fn run_signers(
        &self,
        channel: SessionChannel,
        step_timeout: Duration,
    ) -> Result<Vec<Signature>, MpcError> {
        sign(channel, self.share, self.messages, step_timeout).await
    }

    fn verify(&self, index: usize, signature: &Signature) -> bool {
        self.messages
            .get(index)
            .is_some_and(|m| self.share.verify(m, signature))
    }
}

/// Signs each of `messages` with the signers `channel.participants` (at least the threshold);
/// returns one 64-byte signature per message. One session signs all messages: one commitment pair
/// per message.
pub async fn sign(
    mut channel: SessionChannel,
    share: &KeyShare,
    messages: &[Vec<u8>],
    step_timeout: Duration,
) -> Result<Vec<Signature>, MpcError> {
    let me = channel.me;
    let signers = channel.participants.clone();
    if !signers.contains(&me) {
        return Err(MpcError::InvalidRequest(format!("{me} is not a signer")));
    }
    if signers.len() < share.threshold() as usize {
        return Err(MpcError::InvalidRequest(format!(
            "{} signers for threshold {}",
            signers.len(),
            share.threshold()
        )));
    }
    if let Some(p) = signers.iter().find(|p| !share.parties.contains(p)) {
        return Err(MpcError::InvalidRequest(format!(
            "party {p} does not hold the key"
        )));
    }
    if messages.is_empty() {
        return Err(MpcError::InvalidRequest("nothing to sign".into()));
    }
    let others: Vec<PartyIndex> = signers.iter().copied().filter(|p| *p != me).collect();
    let parties = &share.parties;
    let mut inbox = Inbox::new(&mut channel, SIGN_TAGS);

    // Round 1: fresh nonces per message; commitments to the other signers.
    let (nonces, commitments): (Vec<_>, Vec<_>) = messages
        .iter()
        .map(|_| frost::round1::commit(share.key_package.signing_share(), &mut OsRng))
        .unzip();
    let own = serde_json::to_vec(&commitments)
        .map_err(|e| protocol_error(None, format!("encode commitments: {e}")))?;
    for party in &others {
        inbox.send(Some(*party), TAG_SIGN_COMMITMENTS, &own).await?;
    }
    let mut received = inbox
        .collect(
            "sign commitments",
            TAG_SIGN_COMMITMENTS,
            false,
            &others,
            step_timeout,
        )
        .await?;

    // The echo: the hash of every signer's commitments as I received them, sent with my shares.
    received.insert(me, own);
    let seen = commitment_hashes(&received);
    received.remove(&me);
    let mut per_message: Vec<BTreeMap<Identifier, frost::round1::SigningCommitments>> = commitments
        .into_iter()
        .map(|c| BTreeMap::from([(identifier(me).expect("checked"), c)]))
        .collect();
    for (party, bytes) in &received {
        let theirs: Vec<frost::round1::SigningCommitments> = serde_json::from_slice(bytes)
            .map_err(|e| malformed(*party, "signing commitments", e))?;
        if theirs.len() != messages.len() {
            return Err(malformed(*party, "signing commitments", "wrong count"));
        }
        for (map, c) in per_message.iter_mut().zip(theirs) {
            map.insert(identifier(*party)?, c);
        }
    }

    // Round 2: one signature share per message, consuming the nonces.
    let packages: Vec<frost::SigningPackage> = per_message
        .into_iter()
        .zip(messages)
        .map(|(c, m)| frost::SigningPackage::new(c, m))
        .collect();
    let mut own_shares = Vec::with_capacity(messages.len());
    for (package, nonce) in packages.iter().zip(nonces) {
        let share = frost::round2::sign(package, &nonce, &share.key_package)
            .map_err(|e| frost_error("sign", e, parties))?;
        own_shares.push(share);
    }
    let mut own = seen.concat();
    serde_json::to_writer(&mut own, &own_shares)
        .map_err(|e| protocol_error(None, format!("encode shares: {e}")))?;
    for party in &others {
        inbox.send(Some(*party), TAG_SIGN_SHARES, &own).await?;
    }
    let received = inbox
        .collect("sign shares", TAG_SIGN_SHARES, false, &others, step_timeout)
        .await?;
    // Before any share is used, every signer must have seen the same commitments.
    let echo_len = seen.len() * 32;
    let mut echoes = BTreeMap::new();
    for (party, bytes) in &received {
        if bytes.len() < echo_len {
            return Err(malformed(*party, "signature shares", "no commitments echo"));
        }
        echoes.insert(*party, bytes[..echo_len].to_vec());
    }
    check_commitment_echoes(me, &seen, &echoes)?;
    let mut per_message: Vec<BTreeMap<Identifier, frost::round2::SignatureShare>> = own_shares
        .into_iter()
        .map(|s| BTreeMap::from([(identifier(me).expect("checked"), s)]))
        .collect();
    for (party, bytes) in &received {
        let theirs: Vec<frost::round2::SignatureShare> = serde_json::from_slice(&bytes[echo_len..])
            .map_err(|e| malformed(*party, "signature shares", e))?;
        if theirs.len() != messages.len() {
            return Err(malformed(*party, "signature shares", "wrong count"));
        }
        for (map, s) in per_message.iter_mut().zip(theirs) {
            map.insert(identifier(*party)?, s);
        }
    }

    // Aggregate: verifies every share and names a cheater.
    let mut signatures = Vec::with_capacity(messages.len());
    for (package, shares) in packages.iter().zip(&per_message) {
        let signature = frost::aggregate(package, shares, &share.public_key_package)
            .map_err(|e| frost_error("aggregate", e, parties))?;
        let bytes = signature
            .serialize()
            .map_err(|e| frost_error("serialize signature", e, parties))?;
        signatures.push(
            bytes
                .try_into()
                .map_err(|_| protocol_error(None, "signature is not 64 bytes".into()))?,
        );
    }
    Ok(signatures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::memory::MemoryNetwork;
    use crate::transport::{SessionId, Transport};
    use crate::wire::encode;

    const STEP: Duration = Duration::from_secs(2);

    #[tokio::test]
    async fn keygen_and_sign_in_memory() {
        let net = MemoryNetwork::new(3);
        let session = SessionId::new("c", "key", 1, 0);
        let mut runs = Vec::new();
        for p in 0..3 {
            let mut channel = net
                .party(p)
                .open_session(session, vec![0, 1, 2])
                .await
                .unwrap();
            runs.push(tokio::spawn(
                async move { keygen(&mut channel, 2, STEP).await },
            ));
        }
        let mut shares = Vec::new();
        for run in runs {
            shares.push(run.await.unwrap().unwrap());
        }
        let key = shares[0].public_key().unwrap();
        assert!(shares.iter().all(|s| s.public_key().unwrap() == key));
        assert_eq!(shares[0].threshold(), 2);

        // Parties 0 and 2 sign; each share works with any other.
        let session = SessionId::new("c", "sign", 1, 0);
        let messages = vec![b"hello".to_vec()];
        let mut runs = Vec::new();
        for p in [0u16, 2] {
            let channel = net
                .party(p)
                .open_session(session, vec![0, 2])
                .await
                .unwrap();
            let share = shares[p as usize].clone();
            let messages = messages.clone();
            runs.push(tokio::spawn(async move {
                sign(channel, &share, &messages, STEP).await
            }));
        }
        let a = runs.remove(0).await.unwrap().unwrap();
        let b = runs.remove(0).await.unwrap().unwrap();
        assert_eq!(a, b);
        assert!(shares[1].verify(b"hello", &a[0]));
        assert!(!shares[1].verify(b"other", &a[0]));
    }

    #[tokio::test]
    async fn different_round_one_packages_to_different_parties_abort_the_dkg() {
        let net = MemoryNetwork::new(3);
        let session = SessionId::new("c", "key", 2, 0);
        let mut runs = Vec::new();
        for p in 0..2 {
            let mut channel = net
                .party(p)
                .open_session(session, vec![0, 1, 2])
                .await
                .unwrap();
            runs.push(tokio::spawn(
                async move { keygen(&mut channel, 2, STEP).await },
            ));
        }
        // Party 2 equivocates: a different (each valid) round-1 package to each party.
        for to in 0..2 {
            let (_, package) = dkg::part1(identifier(2).unwrap(), 3, 2, OsRng).unwrap();
            let body = package.serialize().unwrap();
            net.inject(
                2,
                to,
                session,
                true,
                encode(&session, TAG_DKG_ROUND1, &body),
            );
            net.inject(
                2,
                to,
                session,
                true,
                encode(&session, TAG_DKG_ECHO, &[0u8; 32]),
            );
        }
        for run in runs {
            match run.await.unwrap() {
                Err(MpcError::Protocol {
                    party: Some(_),
                    reason,
                }) => assert!(reason.contains("mismatch"), "{reason}"),
                Err(e) => panic!("expected a broadcast mismatch, got {e}"),
                Ok(_) => panic!("the DKG must abort"),
            }
        }
    }

    #[tokio::test]
    async fn a_point_to_point_message_in_a_broadcast_round_is_refused() {
        let net = MemoryNetwork::new(2);
        let session = SessionId::new("c", "key", 3, 0);
        let mut channel = net
            .party(0)
            .open_session(session, vec![0, 1])
            .await
            .unwrap();
        let (_, package) = dkg::part1(identifier(1).unwrap(), 2, 2, OsRng).unwrap();
        let body = package.serialize().unwrap();
        net.inject(
            1,
            0,
            session,
            false,
            encode(&session, TAG_DKG_ROUND1, &body),
        );
        let err = keygen(&mut channel, 2, STEP).await.unwrap_err();
        assert!(matches!(err, MpcError::Malformed { party: 1, .. }), "{err}");
    }

    /// Echoes of signers 0 (me), 1 and 2 where signer `liar`'s echo names `wrong` for
    /// `subject`'s commitments.
    fn echoes_with(
        liar: PartyIndex,
        subject: usize,
    ) -> (Vec<[u8; 32]>, BTreeMap<PartyIndex, Vec<u8>>) {
        let seen = vec![[0u8; 32], [1u8; 32], [2u8; 32]];
        let honest: Vec<u8> = seen.concat();
        let mut echoes = BTreeMap::from([(1, honest.clone()), (2, honest)]);
        echoes.get_mut(&liar).unwrap()[subject * 32] ^= 0xFF;
        (seen, echoes)
    }

    #[test]
    fn an_echo_dispute_about_a_third_signer_names_nobody() {
        // Signer 1 says signer 2 sent it other commitments: 2 equivocated or 1 lies.
        let (seen, echoes) = echoes_with(1, 2);
        let err = check_commitment_echoes(0, &seen, &echoes).unwrap_err();
        assert!(err.blamed().is_empty(), "{err}");
        assert!(!err.is_local(), "another window may pass: {err}");
    }

    #[test]
    fn an_echo_that_contradicts_its_sender_or_me_names_the_sender() {
        for subject in [0, 1] {
            let (seen, echoes) = echoes_with(1, subject);
            let err = check_commitment_echoes(0, &seen, &echoes).unwrap_err();
            assert_eq!(err.blamed(), vec![1], "subject {subject}: {err}");
        }
        let (seen, mut echoes) = echoes_with(1, 2);
        echoes.insert(1, seen.concat());
        assert!(check_commitment_echoes(0, &seen, &echoes).is_ok());
    }
}
