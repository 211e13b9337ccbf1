// Local verification of a request's signatures against its key, as the contract checks them:
// secp256k1: 64-byte r‖s, low-S, over the 32-byte item itself (the item is the prehash);
// Ed25519: 64-byte R‖s over the item (the message). Keys: 33-byte compressed SEC1 / 32 bytes.
import { secp256k1 } from "@noble/curves/secp256k1";
import { ed25519 } from "@noble/curves/ed25519";
import { fromBase64, toBase64, toHex } from "@cosmjs/encoding";
import type { KeyType, SignatureRequestResponse } from "./generated/mpc-signature-requests/MpcSignatureRequests.types.js";
import { InvalidSignature } from "./errors.js";
import { payloadDigest, type Payload, type PayloadBytes, type PayloadRequestRecord } from "./payloads.js";

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

/** One signature of a payload request: r‖s (low-S), its recovery id, and the digest it signs. */
export interface PayloadSignature {
  /** 64 bytes, r‖s, low-S. */
  readonly signature: Uint8Array;
  /** The y parity of R for this (low-S) signature: 0 or 1, EVM's `yParity` (`v` = 27 + it). */
  readonly recoveryId: 0 | 1;
  /** The 32-byte digest signed. */
  readonly digest: Uint8Array;
}

/**
 * The recovery ids of a fulfilled ECDSA request, one per signature, as the contract stored them
 * (checked there with `secp256k1_recover_pubkey`). Throws `InvalidSignature` when they are
 * missing (a contract built before payload requests) or not 0 or 1.
 */
export function requestRecoveryIds(
  request: Pick<PayloadRequestRecord, "signatures" | "recovery_ids">,
): Array<0 | 1> {
  const count = request.signatures?.length ?? 0;
  const ids = request.recovery_ids ?? [];
  if (ids.length !== count) {
    throw new InvalidSignature(Math.min(ids.length, count), `${ids.length} recovery ids for ${count} signatures`);
  }
  return ids.map((id, index) => {
    if (id !== 0 && id !== 1) throw new InvalidSignature(index, `recovery id ${id} is not 0 or 1`);
    return id;
  });
}

/**
 * Checks a fulfilled payload request against the payloads' digests computed here (never the
 * contract's word for them): the stored items must be those digests, each signature must
 * verify over its digest against the key (low-S), and its recovery id must recover that key.
 * `payloads` defaults to the record's own; pass the ones you asked for to check those. Returns
 * the signatures with their recovery ids and digests, in payload order; throws
 * `InvalidSignature` (or `InvalidPayload` for a payload that does not hash).
 */
export function verifyPayloadSignatures(
  request: Pick<PayloadRequestRecord, "key_type" | "public_key" | "items" | "signatures" | "recovery_ids" | "payloads">,
  payloads: readonly (Payload | PayloadBytes)[] | undefined = request.payloads ?? undefined,
  publicKey: Uint8Array = fromBase64(request.public_key),
): PayloadSignature[] {
  if (request.key_type !== "ecdsa_secp256k1") {
    throw new InvalidSignature(0, `payload requests need an ecdsa_secp256k1 key, this one is ${request.key_type}`);
  }
  if (payloads === undefined) throw new InvalidSignature(0, "the request carries no payloads (a raw-hash request?)");
  const digests = payloads.map((payload) => payloadDigest(payload));
  digests.forEach((digest, index) => {
    const item = request.items[index];
    if (item === undefined || toHex(fromBase64(item)) !== toHex(digest)) {
      throw new InvalidSignature(index, `the request's item ${index} is not the payload's digest ${toHex(digest)}`);
    }
  });
  const signatures = verifyRequestSignatures({ ...request, items: digests.map((d) => toBase64(d)) }, publicKey);
  const recoveryIds = requestRecoveryIds(request);
  const key = toHex(publicKey);
  return signatures.map((signature, index) => {
    const recoveryId = recoveryIds[index]!;
    const digest = digests[index]!;
    let recovered: string;
    try {
      recovered = toHex(
        secp256k1.Signature.fromCompact(signature).addRecoveryBit(recoveryId).recoverPublicKey(digest).toRawBytes(true),
      );
    } catch (error) {
      throw new InvalidSignature(index, `recovery id ${recoveryId} recovers no key: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (recovered !== key) throw new InvalidSignature(index, `recovery id ${recoveryId} recovers another key`);
    return { signature, recoveryId, digest };
  });
}
