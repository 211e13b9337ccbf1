//! Keys made from a one-byte seed, so that every run signs with the same keys.

use cosmwasm_std::Binary;

/// secp256k1 signing key whose secret is 32 bytes of `seed` (`seed` 0 is not a valid secret).
pub fn ecdsa_signing_key(seed: u8) -> k256::ecdsa::SigningKey {
    k256::ecdsa::SigningKey::from_bytes(&[seed; 32].into()).expect("a valid secret scalar")
}

/// Ed25519 signing key whose secret is 32 bytes of `seed`.
pub fn eddsa_signing_key(seed: u8) -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
}

/// The compressed SEC1 (33 bytes) public key of [`ecdsa_signing_key`].
pub fn ecdsa_public_key(seed: u8) -> Binary {
    ecdsa_public_key_of(&ecdsa_signing_key(seed))
}

pub fn ecdsa_public_key_of(key: &k256::ecdsa::SigningKey) -> Binary {
    Binary::from(key.verifying_key().to_encoded_point(true).as_bytes().to_vec())
}

/// The public key (32 bytes) of [`eddsa_signing_key`].
pub fn eddsa_public_key(seed: u8) -> Binary {
    Binary::from(eddsa_signing_key(seed).verifying_key().to_bytes().to_vec())
}

/// A low-S secp256k1 signature (64 bytes) over a 32-byte prehash, as the contracts accept.
pub fn ecdsa_sign(key: &k256::ecdsa::SigningKey, prehash: &[u8]) -> Binary {
    use k256::ecdsa::signature::hazmat::PrehashSigner;
    let signature: k256::ecdsa::Signature = key.sign_prehash(prehash).expect("a 32-byte prehash");
    let signature = signature.normalize_s().unwrap_or(signature);
    Binary::from(signature.to_bytes().to_vec())
}

/// The recovery id (0 or 1) of a low-S `signature` of `prehash` under the compressed
/// `public_key`, by trial recovery (k256); 0 when no id recovers the key (a wrong signature, or
/// a high-S one, whose id is the low-S twin's flipped).
pub fn ecdsa_recovery_id(public_key: &[u8], prehash: &[u8], signature: &[u8]) -> u8 {
    let key = k256::ecdsa::VerifyingKey::from_sec1_bytes(public_key).expect("a valid key");
    k256::ecdsa::Signature::from_slice(signature)
        .ok()
        .and_then(|signature| {
            k256::ecdsa::RecoveryId::trial_recovery_from_prehash(&key, prehash, &signature).ok()
        })
        .map_or(0, |id| id.to_byte())
}

/// An Ed25519 signature (64 bytes) over `message`.
pub fn eddsa_sign(key: &ed25519_dalek::SigningKey, message: &[u8]) -> Binary {
    use ed25519_dalek::Signer;
    Binary::from(key.sign(message).to_bytes().to_vec())
}

/// 32 bytes that do not decompress to an Ed25519 point (ed25519-dalek says so).
pub fn non_point_eddsa_key() -> [u8; 32] {
    (0u8..=255)
        .map(|b| {
            let mut bytes = [0u8; 32];
            bytes[0] = b;
            bytes[31] = 0x7f;
            bytes
        })
        .find(|bytes| ed25519_dalek::VerifyingKey::from_bytes(bytes).is_err())
        .expect("some y does not decompress")
}

/// A 33-byte 0x02-prefixed value whose x coordinate is not on secp256k1 (k256 says so).
pub fn off_curve_ecdsa_key() -> Binary {
    (1u8..=255)
        .map(|x| {
            let mut bytes = [0u8; 33];
            bytes[0] = 0x02;
            bytes[32] = x;
            bytes
        })
        .find(|bytes| k256::PublicKey::from_sec1_bytes(bytes).is_err())
        .map(|bytes| Binary::from(bytes.to_vec()))
        .expect("some small x is not on the curve")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::hazmat::PrehashVerifier;

    #[test]
    fn the_same_seed_gives_the_same_keys_and_another_seed_others() {
        assert_eq!(ecdsa_public_key(7), ecdsa_public_key(7));
        assert_ne!(ecdsa_public_key(7), ecdsa_public_key(8));
        assert_eq!(ecdsa_public_key(7).len(), 33);
        assert_eq!(eddsa_public_key(9), eddsa_public_key(9));
        assert_ne!(eddsa_public_key(9), eddsa_public_key(10));
        assert_eq!(eddsa_public_key(9).len(), 32);
    }

    #[test]
    fn signatures_verify_and_ecdsa_ones_are_low_s() {
        let ecdsa = ecdsa_signing_key(7);
        let prehash = [3u8; 32];
        let signature = k256::ecdsa::Signature::from_slice(&ecdsa_sign(&ecdsa, &prehash)).unwrap();
        assert!(signature.normalize_s().is_none(), "already low-S");
        ecdsa.verifying_key().verify_prehash(&prehash, &signature).unwrap();
        let eddsa = eddsa_signing_key(9);
        let signature = eddsa_sign(&eddsa, b"message");
        let signature = ed25519_dalek::Signature::from_slice(&signature).unwrap();
        eddsa.verifying_key().verify_strict(b"message", &signature).unwrap();
    }

    #[test]
    fn the_malformed_keys_are_refused_by_the_curve_libraries() {
        assert!(ed25519_dalek::VerifyingKey::from_bytes(&non_point_eddsa_key()).is_err());
        assert!(k256::PublicKey::from_sec1_bytes(&off_curve_ecdsa_key()).is_err());
    }
}
