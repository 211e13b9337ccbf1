//! The ECDSA aux info a party holds for one party set, and the one the parties use.
//!
//! Key generation needs the same aux info at every party. An aux run can end at some parties
//! and not at others (its window ends, a crash), and two key generations can each make aux
//! info at once; with one record per party set each party kept whichever run ended last there,
//! the parties' records differed, and every later key generation made aux info again (seen as
//! key requests failing for minutes on a loaded machine). So each party keeps the last
//! [`MAX_HELD`] aux infos of a set, the parties tell each other which they hold, and all use
//! the one with the smallest digest that every party holds; only when there is none do they
//! make another, which joins the held ones.

use serde::{Deserialize, Serialize};

use super::AuxInfo;

/// Aux infos kept per party set; the oldest goes when another is added. Aux runs that end at
/// only some parties are rare, so a few cover every disagreement seen between two runs.
pub const MAX_HELD: usize = 4;

/// Length of one aux-info digest ([`AuxInfo::public_digest`]).
pub const DIGEST_LEN: usize = 32;

/// The aux infos one party holds for one party set, oldest first.
#[derive(Clone, Default)]
pub struct HeldAux {
    held: Vec<AuxInfo>,
}

/// How a party set's aux info is stored: a list, or one aux info (stores written before the
/// list, read as a list of one).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub enum StoredAux {
    Held(Vec<AuxInfo>),
    One(Box<AuxInfo>),
}

impl From<StoredAux> for HeldAux {
    fn from(stored: StoredAux) -> Self {
        let held = match stored {
            StoredAux::Held(held) => held,
            StoredAux::One(one) => vec![*one],
        };
        let mut set = HeldAux::default();
        for aux in held {
            set.add(aux);
        }
        set
    }
}

impl HeldAux {
    /// What is written to the store.
    pub fn to_stored(&self) -> StoredAux {
        StoredAux::Held(self.held.clone())
    }

    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The digests of the held aux infos, oldest first.
    pub fn digests(&self) -> Vec<[u8; DIGEST_LEN]> {
        self.held.iter().map(AuxInfo::public_digest).collect()
    }

    /// The held aux info with `digest`.
    pub fn get(&self, digest: &[u8; DIGEST_LEN]) -> Option<&AuxInfo> {
        self.held.iter().find(|a| a.public_digest() == *digest)
    }

    /// Adds `aux` (nothing if it is held already), dropping the oldest beyond [`MAX_HELD`].
    pub fn add(&mut self, aux: AuxInfo) {
        if self.get(&aux.public_digest()).is_some() {
            return;
        }
        self.held.push(aux);
        let excess = self.held.len().saturating_sub(MAX_HELD);
        self.held.drain(..excess);
    }
}

/// The digests as one message body (empty when none are held).
pub fn encode_digests(digests: &[[u8; DIGEST_LEN]]) -> Vec<u8> {
    digests.concat()
}

/// The digests of a body from [`encode_digests`]; `None` when it is not one (a length that is
/// no multiple of a digest, or more than [`MAX_HELD`] of them).
pub fn decode_digests(body: &[u8]) -> Option<Vec<[u8; DIGEST_LEN]>> {
    if !body.len().is_multiple_of(DIGEST_LEN) || body.len() / DIGEST_LEN > MAX_HELD {
        return None;
    }
    Some(
        body.chunks_exact(DIGEST_LEN)
            .map(|c| c.try_into().expect("chunks are digest-long"))
            .collect(),
    )
}

/// The aux info every party uses: the smallest digest in `mine` that every list in `theirs`
/// holds too; `None` when no digest is held by all. Every party computes it from the same
/// lists, so all choose the same one.
pub fn common(
    mine: &[[u8; DIGEST_LEN]],
    theirs: &[Vec<[u8; DIGEST_LEN]>],
) -> Option<[u8; DIGEST_LEN]> {
    mine.iter()
        .filter(|d| theirs.iter().all(|list| list.contains(d)))
        .min()
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(byte: u8) -> [u8; DIGEST_LEN] {
        [byte; DIGEST_LEN]
    }

    #[test]
    fn the_smallest_digest_held_by_every_party_is_chosen_whatever_the_order() {
        let mine = [d(9), d(3), d(5)];
        let theirs = vec![vec![d(5), d(9)], vec![d(1), d(9), d(5)]];
        assert_eq!(common(&mine, &theirs), Some(d(5)));
        // Another party computes from its own list and the others': the same choice.
        let at_other = common(&[d(1), d(9), d(5)], &[vec![d(5), d(9)], mine.to_vec()]);
        assert_eq!(at_other, Some(d(5)));
    }

    #[test]
    fn no_choice_when_one_party_holds_none_of_the_others() {
        assert_eq!(common(&[d(1), d(2)], &[vec![d(1)], vec![]]), None);
        assert_eq!(common(&[], &[vec![d(1)]]), None);
    }

    #[test]
    fn digest_bodies_round_trip_and_malformed_ones_are_refused() {
        let digests = vec![d(1), d(2), d(3)];
        assert_eq!(
            decode_digests(&encode_digests(&digests)),
            Some(digests.clone())
        );
        assert_eq!(decode_digests(&[]), Some(vec![]));
        assert_eq!(decode_digests(&[0; DIGEST_LEN + 1]), None);
        assert_eq!(decode_digests(&[0; DIGEST_LEN * (MAX_HELD + 1)]), None);
    }
}
