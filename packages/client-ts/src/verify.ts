// Local verification of a request's signatures against its key, as the contract checks them:
// secp256k1: 64-byte r‖s, low-S, over the 32-byte item itself (the item is the prehash);
// Ed25519: 64-byte R‖s over the item (the message). Keys: 33-byte compressed SEC1 / 32 bytes.
import { secp256k1 } from "@noble/curves/secp256k1";
import { ed25519 } from "@noble/curves/ed25519";
import { fromBase64 } from "@cosmjs/encoding";
import type { KeyType, SignatureRequestResponse } from "./generated/mpc-signature-requests/MpcSignatureRequests.types.js";
import { InvalidSignature } from "./errors.js";

const SIGNATURE_LEN = 64;
const HASH_LEN = 32;
const KEY_LEN: Record<KeyType, number> = { ecdsa_secp256k1: 33, eddsa_ed25519: 32 };

/** Whether `signature` over `item` verifies against `publicKey`; why not, as text, if it fails. */
export function checkSignature(
  keyType: KeyType,
  publicKey: Uint8Array,
  item: Uint8Array,
  signature: Uint8Array,
): string | undefined {
  if (publicKey.length !== KEY_LEN[keyType]) return `a ${keyType} key is ${KEY_LEN[keyType]} bytes, got ${publicKey.length}`;
  if (signature.length !== SIGNATURE_LEN) return `a signature is ${SIGNATURE_LEN} bytes, got ${signature.length}`;
  try {
    if (keyType === "ecdsa_secp256k1") {
      if (item.length !== HASH_LEN) return `an ECDSA item is a ${HASH_LEN}-byte hash, got ${item.length}`;
      // prehash: false — the item is already the hash; lowS: true — as the contract requires
      const ok = secp256k1.verify(signature, item, publicKey, { prehash: false, lowS: true, format: "compact" });
      return ok ? undefined : "not a valid low-S secp256k1 signature of the hash by the key";
    }
    return ed25519.verify(signature, item, publicKey) ? undefined : "not a valid Ed25519 signature of the message by the key";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export function verifySignature(
  keyType: KeyType,
  publicKey: Uint8Array,
  item: Uint8Array,
  signature: Uint8Array,
): boolean {
  return checkSignature(keyType, publicKey, item, signature) === undefined;
}

/**
 * Checks every signature of a fulfilled request against its items and key: the record's own
 * key, or `publicKey` when the caller knows which key it expects. Throws `InvalidSignature`.
 * Returns the signatures as bytes, in item order.
 */
export function verifyRequestSignatures(
  request: Pick<SignatureRequestResponse, "key_type" | "public_key" | "items" | "signatures">,
  publicKey: Uint8Array = fromBase64(request.public_key),
): Uint8Array[] {
  const signatures = (request.signatures ?? []).map((s) => fromBase64(s));
  if (signatures.length !== request.items.length) {
    throw new InvalidSignature(signatures.length, `${signatures.length} signatures for ${request.items.length} items`);
  }
  signatures.forEach((signature, index) => {
    const why = checkSignature(request.key_type, publicKey, fromBase64(request.items[index]!), signature);
    if (why !== undefined) throw new InvalidSignature(index, why);
  });
  return signatures;
}
