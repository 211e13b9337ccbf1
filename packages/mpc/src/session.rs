//! What a protocol run is about, and the session ids derived from it.
//!
//! A run's session id binds every public input the parties read from the chain (chain id,
//! contract, request kind and id, scheme, key, participants, threshold, a digest of the items)
//! and, for the protocols that need a fresh execution id (CGGMP21's key generation, aux info and
//! signing; FROST's key generation), a value the participants agree on for that run
//! ([`agree_run`]): each sends a random contribution and the run's id hashes all of them. So no
//! two runs share an id, not for two requests that differ in any input, and not for two runs of
//! one request (a retry, a restart, a request driven again), which CGGMP21 requires of its
//! execution ids. FROST signing needs no agreed value: each run's commitments are fresh, and the
//! signers echo a hash of them, which binds the second round to the run.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::MpcError;
use crate::party::Scheme;
use crate::transport::{PartyIndex, SessionId, Transport};
use crate::wire::Inbox;

/// Domain tag of [`SessionInputs::digest`].
const INPUTS_DOMAIN: &[u8] = b"mpc-party/session-inputs/v1";

/// Tag of a participant's random contribution to a run's id.
const TAG_RUN_CONTRIBUTION: u8 = 0xF3;

/// The chain request a run answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainRequest {
    /// The chain's id (`cosmoshub-4`): the same contract address and request id on another
    /// chain is another request.
    pub chain_id: String,
    /// Address of the contract holding the request.
    pub contract: String,
    pub request_id: u64,
}

impl ChainRequest {
    /// What orders a request's signer sets ([`crate::signing::SignerSchedule`]): the request
    /// alone, so requests spread over the parties and every party derives the same order.
    pub fn signer_seed(&self) -> SessionId {
        let chain_and_contract = format!("{}/{}", self.chain_id, self.contract);
        SessionId::new(&chain_and_contract, "signer-order", self.request_id, 0)
    }
}

/// Which kind of request a run answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// A key request: distributed key generation (and the aux info it needs).
    Key,
    /// A signature request.
    Sign,
}

impl RunKind {
    fn as_str(&self) -> &'static str {
        match self {
            RunKind::Key => "key",
            RunKind::Sign => "sign",
        }
    }
}

/// Every public input of a run, as each participant reads it from the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInputs {
    pub request: ChainRequest,
    pub kind: RunKind,
    pub scheme: Scheme,
    /// The key's public key (empty for key generation: there is none yet).
    pub key: Vec<u8>,
    /// The key's parties (keyring indices), sorted.
    pub parties: Vec<PartyIndex>,
    pub threshold: u16,
    /// sha256 over the length-prefixed items to sign (zero for key generation).
    pub items_digest: [u8; 32],
}

impl SessionInputs {
    /// The inputs of key generation among `parties`.
    pub fn keygen(
        request: &ChainRequest,
        scheme: Scheme,
        parties: &[PartyIndex],
        threshold: u16,
    ) -> Self {
        Self {
            request: request.clone(),
            kind: RunKind::Key,
            scheme,
            key: Vec::new(),
            parties: sorted(parties),
            threshold,
            items_digest: [0; 32],
        }
    }

    /// The inputs of signing `items` with the key `key` held by `parties`.
    pub fn signing(
        request: &ChainRequest,
        scheme: Scheme,
        key: &[u8],
        parties: &[PartyIndex],
        threshold: u16,
        items: &[Vec<u8>],
    ) -> Self {
        let mut items_digest = Sha256::new();
        for item in items {
            items_digest.update((item.len() as u64).to_be_bytes());
            items_digest.update(item);
        }
        Self {
            request: request.clone(),
            kind: RunKind::Sign,
            scheme,
            key: key.to_vec(),
            parties: sorted(parties),
            threshold,
            items_digest: items_digest.finalize().into(),
        }
    }

    /// sha256 over a domain tag and every input; variable-length fields are length-prefixed,
    /// so no two different inputs give the same digest.
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(INPUTS_DOMAIN);
        for field in [
            self.request.chain_id.as_bytes(),
            self.request.contract.as_bytes(),
            self.kind.as_str().as_bytes(),
            self.scheme.as_str().as_bytes(),
            &self.key,
        ] {
            h.update((field.len() as u64).to_be_bytes());
            h.update(field);
        }
        h.update(self.request.request_id.to_be_bytes());
        h.update((self.parties.len() as u64).to_be_bytes());
        for party in &self.parties {
            h.update(party.to_be_bytes());
        }
        h.update(self.threshold.to_be_bytes());
        h.update(self.items_digest);
        h.finalize().into()
    }

    /// The session of step `step` (`"key"`, `"sign"`, `"aux"`, ...) in attempt `attempt`: the
    /// same at every party that read the same inputs, without talking. It names the run on the
    /// network; the protocols that need a fresh execution id run on [`agree_run`]'s id.
    pub fn session(&self, step: &str, attempt: u64) -> SessionId {
        SessionId(self.digest()).derive(&format!("{step}/{attempt}"))
    }
}

fn sorted(parties: &[PartyIndex]) -> Vec<PartyIndex> {
    let mut parties = parties.to_vec();
    parties.sort_unstable();
    parties
}

/// Agrees with `participants` on a fresh id for the run named `base`: each sends 32 random bytes
/// and the id hashes `base` with every participant's contribution, by index. Every participant
/// that completes gets the same id, and no run gets an id an earlier one had. Fails (naming the
/// silent parties) after `timeout`, or naming a party that sent something else.
pub async fn agree_run(
    transport: &dyn Transport,
    base: SessionId,
    participants: &[PartyIndex],
    timeout: Duration,
) -> Result<SessionId, MpcError> {
    let mut channel = transport
        .open_session(agreement_session(&base), participants.to_vec())
        .await?;
    let me = channel.me;
    let others: Vec<PartyIndex> = channel.others().collect();
    let mut mine = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut mine);
    let mut inbox = Inbox::new(&mut channel, &[TAG_RUN_CONTRIBUTION]);
    inbox.send(None, TAG_RUN_CONTRIBUTION, &mine).await?;
    let mut contributions = inbox
        .collect(
            "run id agreement",
            TAG_RUN_CONTRIBUTION,
            true,
            &others,
            timeout,
        )
        .await?;
    if let Some((party, _)) = contributions.iter().find(|(_, c)| c.len() != 32) {
        return Err(MpcError::Malformed {
            party: *party,
            reason: "a run contribution is not 32 bytes".into(),
        });
    }
    contributions.insert(me, mine.to_vec());
    Ok(run_id(&base, &contributions))
}

/// The session on which the participants of the run named `base` send their contributions.
pub fn agreement_session(base: &SessionId) -> SessionId {
    base.derive("run-contributions")
}

/// The id of the run named `base` with these contributions (index → 32 bytes).
fn run_id(base: &SessionId, contributions: &BTreeMap<PartyIndex, Vec<u8>>) -> SessionId {
    let mut h = Sha256::new();
    h.update(b"mpc-party/run-id/v1");
    h.update(base.0);
    for (party, contribution) in contributions {
        h.update(party.to_be_bytes());
        h.update(contribution);
    }
    SessionId(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::memory::MemoryNetwork;

    fn request() -> ChainRequest {
        ChainRequest {
            chain_id: "chain-1".into(),
            contract: "wasm1contract".into(),
            request_id: 7,
        }
    }

    fn signing() -> SessionInputs {
        signing_of(&[vec![1; 32]])
    }

    fn signing_of(items: &[Vec<u8>]) -> SessionInputs {
        SessionInputs::signing(
            &request(),
            Scheme::EcdsaSecp256k1,
            &[2; 33],
            &[0, 1, 2],
            2,
            items,
        )
    }

    #[test]
    fn every_public_input_changes_the_session() {
        let base = signing();
        let with = |change: fn(&mut SessionInputs)| {
            let mut inputs = base.clone();
            change(&mut inputs);
            inputs
        };
        let changed: Vec<(&str, SessionInputs)> = vec![
            ("chain id", with(|i| i.request.chain_id = "chain-2".into())),
            (
                "contract",
                with(|i| i.request.contract = "wasm1other".into()),
            ),
            ("request id", with(|i| i.request.request_id = 8)),
            ("kind", with(|i| i.kind = RunKind::Key)),
            ("scheme", with(|i| i.scheme = Scheme::EddsaEd25519)),
            ("key", with(|i| i.key = vec![3; 33])),
            ("participants", with(|i| i.parties = vec![0, 1, 3])),
            ("threshold", with(|i| i.threshold = 3)),
            // The items are bound through their digest, made when the inputs are.
            ("items", signing_of(&[vec![9; 32]])),
        ];
        for (what, inputs) in changed {
            assert_ne!(inputs.digest(), base.digest(), "{what} is not bound");
            assert_ne!(
                inputs.session("sign", 0),
                base.session("sign", 0),
                "{what} is not bound"
            );
        }
        assert_ne!(base.session("sign", 0), base.session("sign", 1), "attempt");
        assert_ne!(base.session("sign", 0), base.session("aux", 0), "step");
    }

    #[test]
    fn equal_inputs_read_by_different_parties_give_equal_sessions() {
        // Parties may list the key's parties in any order; items are hashed the same everywhere.
        let a = SessionInputs::keygen(&request(), Scheme::EddsaEd25519, &[2, 0, 1], 2);
        let b = SessionInputs::keygen(&request(), Scheme::EddsaEd25519, &[0, 1, 2], 2);
        assert_eq!(a.session("key", 3), b.session("key", 3));
        assert_eq!(signing().digest(), signing().digest());
    }

    #[test]
    fn item_boundaries_are_bound() {
        let one = |items: &[Vec<u8>]| {
            SessionInputs::signing(
                &request(),
                Scheme::EddsaEd25519,
                &[1; 32],
                &[0, 1],
                2,
                items,
            )
            .digest()
        };
        assert_ne!(
            one(&[b"ab".to_vec(), b"c".to_vec()]),
            one(&[b"a".to_vec(), b"bc".to_vec()])
        );
        assert_ne!(one(&[b"abc".to_vec()]), one(&[b"abc".to_vec(), Vec::new()]));
    }

    #[tokio::test]
    async fn participants_agree_on_a_run_id_and_no_run_repeats_one() {
        let net = MemoryNetwork::new(3);
        let base = signing().session("sign", 0);
        let mut seen = std::collections::HashSet::new();
        for _run in 0..3 {
            let runs = futures::future::join_all((0..3).map(|p| {
                let transport = net.party(p);
                async move {
                    agree_run(&transport, base, &[0, 1, 2], Duration::from_secs(5))
                        .await
                        .expect("agreement")
                }
            }))
            .await;
            assert!(
                runs.iter().all(|r| *r == runs[0]),
                "parties disagree: {runs:?}"
            );
            assert_ne!(runs[0], base);
            assert!(seen.insert(runs[0]), "a run id repeated");
        }
    }

    #[tokio::test]
    async fn a_silent_participant_is_named() {
        let net = MemoryNetwork::new(3);
        let base = signing().session("sign", 0);
        let err = agree_run(&net.party(0), base, &[0, 1, 2], Duration::from_millis(200))
            .await
            .expect_err("nobody else answers");
        assert!(
            matches!(&err, MpcError::Timeout { waiting_for, .. } if *waiting_for == vec![1, 2]),
            "{err:?}"
        );
    }
}
