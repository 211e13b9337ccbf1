// Payload requests: a payload and how to hash it, instead of a bare 32-byte hash. The
// contract (and every MPC party) hashes the payload itself, so approvers and sign policies see
// what is signed; a raw-hash request (`request_signature`) is blind signing. The digests here are
// computed with viem's own functions, the same a wallet uses for the same payload.
import { fromBase64, toBase64 } from "@cosmjs/encoding";
import {
  bytesToHex,
  getTypesForEIP712Domain,
  hashMessage,
  hashTypedData,
  hexToBytes,
  keccak256,
  serializeTypedData,
  sha256,
  stringToBytes,
  type SignableMessage,
  type TypedData,
  type TypedDataDefinition,
} from "viem";
import type {
  ExecuteMsg,
  HashKind,
  Payload,
  SignatureRequestResponse,
} from "./generated/mpc-signature-requests/MpcSignatureRequests.types.js";
import type { KeyResponse } from "./generated/mpc-keyring/MpcKeyring.types.js";
import { MpcError } from "./errors.js";
import type { PayloadSignature } from "./verify.js";
import type { WaitOptions } from "./wait.js";

// The wire types are the generated ones (src/generated/, `npm run codegen`, from schema/):
// `HashKind`, `Payload`, the `request_payload_signature` message, the request record's
// `payloads` / `recovery_ids` and the keyring's `addresses` answer, re-exported under the names
// the hand-written layer used before the schema had them.
export type { HashKind, Payload };
export type { AddressesResponse } from "./generated/mpc-keyring/MpcKeyring.types.js";

/** `request_payload_signature` as sent. */
export type RequestPayloadSignatureMsg = Extract<ExecuteMsg, { request_payload_signature: unknown }>["request_payload_signature"];

/**
 * The `request { request_id }` answer: the payloads (null for a raw-hash request) and, once
 * fulfilled, one recovery id per ECDSA signature are the generated record's own fields.
 */
export type PayloadRequestRecord = SignatureRequestResponse;

// A record, so that a hash kind added to the schema (the generated `HashKind`) fails to compile here.
const KNOWN: Record<HashKind, true> = { keccak256: true, sha256: true, sha256d: true, eip191: true, eip712: true, cosmos_sign_doc: true };

/** Every hash kind the contract knows. */
export const HASH_KINDS: readonly HashKind[] = Object.keys(KNOWN) as HashKind[];

/** Whether `value` names a hash kind the contract knows. */
export function isHashKind(value: unknown): value is HashKind {
  return (HASH_KINDS as readonly unknown[]).includes(value);
}

/** A payload the layer cannot hash or send as given (unknown kind, bad JSON, wrong digest). */
export class InvalidPayload extends MpcError {
  override name = "InvalidPayload";
  constructor(
    /** The payload's position in the request, when it is one of several. */
    readonly index: number | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(index === undefined ? `invalid payload: ${detail}` : `invalid payload ${index}: ${detail}`, options);
  }
}

/** A payload with its bytes as bytes, as the layer's functions take it (`Payload` is the wire form). */
export interface PayloadBytes {
  readonly hash: HashKind;
  readonly data: Uint8Array;
  readonly digest?: Uint8Array | undefined;
}

function bytesOf(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? fromBase64(value) : value;
}

/** A payload's parts as bytes, whichever form it came in. */
export function payloadBytes(payload: Payload | PayloadBytes): PayloadBytes {
  const digest = payload.digest == null ? undefined : bytesOf(payload.digest);
  return { hash: payload.hash, data: bytesOf(payload.data), ...(digest ? { digest } : {}) };
}

/** The wire form of a payload (base64), as `request_payload_signature` takes it. */
export function toWirePayload(payload: Payload | PayloadBytes): Payload {
  const { hash, data, digest } = payloadBytes(payload);
  return digest ? { hash, data: toBase64(data), digest: toBase64(digest) } : { hash, data: toBase64(data) };
}

/**
 * The 32-byte digest the key signs for `payload`, as the contract and the parties compute it:
 * keccak256(data); sha256(data); sha256(sha256(data)); eip191: `hashMessage({ raw: data })`
 * (keccak256 of "\x19Ethereum Signed Message:\n" ‖ decimal length ‖ data); eip712:
 * `hashTypedData` of the JSON typed data; cosmos_sign_doc: sha256 of the SignDoc bytes. An
 * eip712 payload's own `digest`, when present, is not trusted: this recomputes it (see
 * `checkPayload`).
 */
export function payloadDigest(payload: Payload | PayloadBytes): Uint8Array {
  const { hash, data } = payloadBytes(payload);
  switch (hash) {
    case "keccak256":
      return keccak256(data, "bytes");
    case "sha256":
    case "cosmos_sign_doc":
      return sha256(data, "bytes");
    case "sha256d":
      return sha256(sha256(data, "bytes"), "bytes");
    case "eip191":
      return hexToBytes(hashMessage({ raw: data }));
    case "eip712":
      return hexToBytes(hashTypedData(parseTypedData(data)));
    default:
      throw new InvalidPayload(undefined, `unknown hash kind ${JSON.stringify(hash satisfies never)}`);
  }
}

/** The typed data of an eip712 payload's JSON text (numbers may be strings, as in eth_signTypedData_v4). */
export function parseTypedData(json: Uint8Array | string): TypedDataDefinition {
  let value: unknown;
  try {
    value = JSON.parse(typeof json === "string" ? json : new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (error) {
    throw new InvalidPayload(undefined, "eip712 data is not JSON text (UTF-8)", { cause: error });
  }
  if (typeof value !== "object" || value === null || !("types" in value) || !("primaryType" in value) || !("message" in value)) {
    throw new InvalidPayload(undefined, "eip712 data needs types, primaryType, domain and message");
  }
  return value as TypedDataDefinition;
}

/**
 * Checks a payload before it is sent and completes it: a known hash kind; for eip712 the digest,
 * computed here when absent and compared when given (the parties refuse a mismatch); no digest
 * for the other kinds (the contract refuses one). Returns the payload as sent.
 */
export function checkPayload(payload: Payload | PayloadBytes, index?: number): Payload {
  const bytes = payloadBytes(payload);
  if (!isHashKind(bytes.hash)) throw new InvalidPayload(index, `unknown hash kind ${JSON.stringify(bytes.hash)}`);
  if (bytes.hash !== "eip712") {
    if (bytes.digest) throw new InvalidPayload(index, `a digest is given only with eip712, not ${bytes.hash}`);
    return toWirePayload(bytes);
  }
  let digest: Uint8Array;
  try {
    digest = payloadDigest(bytes);
  } catch (error) {
    if (error instanceof InvalidPayload) throw new InvalidPayload(index, error.message.replace(/^invalid payload: /, ""), { cause: error });
    throw new InvalidPayload(index, `eip712 typed data does not hash: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (bytes.digest && bytesToHex(bytes.digest) !== bytesToHex(digest)) {
    throw new InvalidPayload(index, `eip712 digest ${bytesToHex(bytes.digest)} is not the typed data's ${bytesToHex(digest)}`);
  }
  return toWirePayload({ ...bytes, digest });
}

/**
 * What the MPC-backed signers (`MpcDirectSigner`, `mpcAccount`) need of the chain: the key, and
 * signing payloads with it. `MpcClient` fits.
 */
export interface MpcPayloadSigner {
  getKey(keyId: number): Promise<KeyResponse>;
  /** Per payload its verified signature, recovery id and digest (see `MpcClient.signPayloads`). */
  signPayloads(keyId: number, payloads: readonly PayloadBytes[], wait?: WaitOptions): Promise<PayloadSignature[]>;
}

// Payloads from what viem users hold. Each returns bytes; `requestPayloadSignature` sends them.

/** An EIP-191 personal message, as viem's `signMessage` takes it (a string is UTF-8; `{ raw }` bytes). */
export function eip191Payload(message: SignableMessage): PayloadBytes {
  if (typeof message === "string") return { hash: "eip191", data: stringToBytes(message) };
  return { hash: "eip191", data: typeof message.raw === "string" ? hexToBytes(message.raw) : message.raw };
}

/**
 * EIP-712 typed data, as viem's `signTypedData` takes it: serialised as `eth_signTypedData_v4`
 * JSON (bigints as decimal strings, the `EIP712Domain` type spelled out from the domain's fields
 * as viem derives it), with its digest (`hashTypedData`).
 */
export function eip712Payload<const typedData extends TypedData | Record<string, unknown>, primaryType extends keyof typedData | "EIP712Domain">(
  definition: TypedDataDefinition<typedData, primaryType>,
): PayloadBytes {
  const { domain, types, primaryType, message } = definition as unknown as TypedDataDefinition;
  const withDomain = { EIP712Domain: getTypesForEIP712Domain({ domain }), ...(types as Record<string, unknown>) };
  const json = serializeTypedData({ domain, types: withDomain, primaryType, message } as TypedDataDefinition);
  const data = stringToBytes(json);
  return { hash: "eip712", data, digest: payloadDigest({ hash: "eip712", data }) };
}

/** Bytes hashed with keccak256, sha256 or sha256d (an EVM transaction, a Bitcoin sighash preimage). */
export function bytesPayload(hash: "keccak256" | "sha256" | "sha256d", data: Uint8Array): PayloadBytes {
  return { hash, data };
}

/** A Cosmos SignDoc's protobuf bytes (`makeSignBytes(signDoc)`), signed as sha256 of them. */
export function cosmosSignDocPayload(signBytes: Uint8Array): PayloadBytes {
  return { hash: "cosmos_sign_doc", data: signBytes };
}
