// What a signature request's payload says, decoded in the page, and its digest recomputed here
// (with the client package's `payloadDigest`, the same function dApps use) to compare with the
// one on chain. The one module the page asks about payloads; its interface:
//
//   decodePayload(payload)        { form, known, fields, sections, digest, error? }
//   compareDigest(decoded, item, payload)  the recomputed digest against the item on chain (and
//                                 the requester's `digest` for EIP-712)
//
// A payload request stores `payloads: [{ hash, data, digest? }]` beside `items` (the digests).
// The forms: an EVM transaction's unsigned serialisation (keccak256), EIP-712 typed data as JSON
// text (eip712), an EIP-191 message (eip191), a Cosmos SignDoc's protobuf bytes
// (cosmos_sign_doc), and plain bytes (sha256, sha256d, keccak256 of anything else). Decoders are
// viem's and cosmjs's; nothing is hand-rolled.
import { fromBase64, toBase64, toHex } from "@cosmjs/encoding";
import { Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes } from "@cosmjs/stargate";
import { wasmTypes } from "@cosmjs/cosmwasm";
import { AuthInfo, SignDoc, TxBody } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { formatEther, formatGwei, getAddress, parseTransaction } from "viem";
import { isHashKind, parseTypedData, payloadDigest, type HashKind, type Payload } from "@mpc-suite/client";

export type { HashKind, Payload };

export interface Field {
  readonly label: string;
  readonly value: string;
}

export interface Section {
  readonly title: string;
  readonly fields: readonly Field[];
}

export interface DecodedPayload {
  readonly hash: HashKind;
  /** In words: "EVM transaction (EIP-1559)", "EIP-712 typed data", "raw bytes", ... */
  readonly form: string;
  /** The page shows what this payload does (false: bytes only, as good as blind signing). */
  readonly known: boolean;
  readonly fields: readonly Field[];
  readonly sections: readonly Section[];
  /** Recomputed in the page from `data` (undefined when it cannot be: unreadable typed data). */
  readonly digest: Uint8Array | undefined;
  /** Why decoding or hashing failed. */
  readonly error?: string;
}

export interface DigestCheck {
  readonly matches: boolean;
  /** In words, e.g. "matches the digest on chain" */
  readonly detail: string;
}

/** A form's reading of the bytes; the digest is computed once for every form. */
type Form = Omit<DecodedPayload, "hash" | "digest" | "error">;

export function decodePayload(payload: Payload): DecodedPayload {
  let data: Uint8Array;
  try {
    data = fromBase64(payload.data);
  } catch {
    return { hash: payload.hash, form: "unreadable", known: false, fields: [], sections: [], digest: undefined, error: "data is not base64" };
  }
  const hex = [{ label: "data (hex)", value: "0x" + toHex(data) }];
  if (!isHashKind(payload.hash)) {
    const form = `unknown hash "${String(payload.hash)}"`;
    return { hash: payload.hash, form, known: false, fields: hex, sections: [], digest: undefined, error: "the page does not know this hash" };
  }
  let digest: Uint8Array | undefined;
  let error: string | undefined;
  try {
    digest = payloadDigest({ hash: payload.hash, data });
  } catch (e) {
    error = firstLine(e);
  }
  try {
    return { hash: payload.hash, ...readForm(payload.hash, data), digest, ...(error ? { error } : {}) };
  } catch (e) {
    return { hash: payload.hash, form: "unreadable", known: false, fields: hex, sections: [], digest, error: error ?? firstLine(e) };
  }
}

function readForm(hash: HashKind, data: Uint8Array): Form {
  switch (hash) {
    case "keccak256":
      return evmTransaction(data) ?? raw(data);
    case "sha256":
    case "sha256d":
      return raw(data);
    case "eip191":
      return eip191(data);
    case "eip712":
      return eip712(data);
    case "cosmos_sign_doc":
      return cosmosSignDoc(data);
  }
}

function firstLine(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^invalid payload: /, "").split("\n")[0]! : String(error);
}

/** The recomputed digest against the item on chain (and, for EIP-712, the requester's digest). */
export function compareDigest(decoded: DecodedPayload, item: Uint8Array | undefined, payload: Payload): DigestCheck {
  if (!decoded.digest) return { matches: false, detail: "the page could not recompute the digest" + (decoded.error ? `: ${decoded.error}` : "") };
  const mine = toHex(decoded.digest);
  if (item && toHex(item) !== mine) return { matches: false, detail: `does NOT match the digest on chain (0x${toHex(item)})` };
  if (payload.digest) {
    const theirs = toHex(fromBase64(payload.digest));
    if (theirs !== mine) return { matches: false, detail: `does NOT match the requester's digest (0x${theirs})` };
  }
  if (!item) return { matches: false, detail: "no item on chain to compare with" };
  return { matches: true, detail: "matches the digest on chain" };
}

// ---- forms ---------------------------------------------------------------------------------

function raw(data: Uint8Array): Form {
  return {
    form: "raw bytes",
    known: false,
    fields: [
      { label: "length", value: `${data.length} bytes` },
      { label: "data (hex)", value: "0x" + toHex(data) },
    ],
    sections: [],
  };
}

const TX_TYPES: Record<string, string> = {
  legacy: "legacy",
  eip2930: "EIP-2930",
  eip1559: "EIP-1559",
  eip4844: "EIP-4844",
  eip7702: "EIP-7702",
};

function evmTransaction(data: Uint8Array): Form | undefined {
  let tx: ReturnType<typeof parseTransaction>;
  try {
    tx = parseTransaction(("0x" + toHex(data)) as `0x${string}`);
  } catch {
    return undefined;
  }
  const fields: Field[] = [
    { label: "to", value: tx.to ? getAddress(tx.to) : "(none: contract creation)" },
    { label: "value", value: `${formatEther(tx.value ?? 0n)} ETH (${(tx.value ?? 0n).toString()} wei)` },
    { label: "data", value: tx.data ?? "0x" },
    { label: "chain id", value: tx.chainId === undefined ? "(none: valid on every chain)" : String(tx.chainId) },
    { label: "nonce", value: String(tx.nonce ?? 0) },
    { label: "gas limit", value: tx.gas === undefined ? "(none)" : tx.gas.toString() },
  ];
  if (tx.data && tx.data.length >= 10) fields.splice(3, 0, { label: "function selector", value: tx.data.slice(0, 10) });
  if (tx.maxFeePerGas !== undefined) fields.push({ label: "max fee per gas", value: `${formatGwei(tx.maxFeePerGas)} gwei` });
  if (tx.maxPriorityFeePerGas !== undefined)
    fields.push({ label: "max priority fee per gas", value: `${formatGwei(tx.maxPriorityFeePerGas)} gwei` });
  if (tx.gasPrice !== undefined) fields.push({ label: "gas price", value: `${formatGwei(tx.gasPrice)} gwei` });
  const sections: Section[] = [];
  if (tx.accessList && tx.accessList.length > 0)
    sections.push({
      title: "access list",
      fields: tx.accessList.map((e) => ({ label: e.address, value: e.storageKeys.join(", ") || "(no keys)" })),
    });
  return { form: `EVM transaction (${TX_TYPES[tx.type ?? "legacy"] ?? tx.type})`, known: true, fields, sections };
}

function eip191(data: Uint8Array): Form {
  let text: string | undefined;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    text = undefined;
  }
  return {
    form: "EIP-191 signed message",
    known: text !== undefined,
    fields:
      text !== undefined
        ? [{ label: "message", value: text }]
        : [{ label: "message (not UTF-8 text, hex)", value: "0x" + toHex(data) }],
    sections: [],
  };
}

function eip712(data: Uint8Array): Form {
  const typed = parseTypedData(data);
  const domain = (typed.domain ?? {}) as Record<string, unknown>;
  const primaryType = String(typed.primaryType);
  return {
    form: "EIP-712 typed data",
    known: true,
    fields: [
      { label: "primary type", value: primaryType },
      ...Object.entries(domain).map(([k, v]) => ({ label: `domain.${k}`, value: show(v) })),
    ],
    sections: [{ title: `message (${primaryType})`, fields: flatten(typed.message) }],
  };
}

const registry = new Registry([...defaultRegistryTypes, ...wasmTypes]);

function cosmosSignDoc(data: Uint8Array): Form {
  const doc = SignDoc.decode(data);
  const body = TxBody.decode(doc.bodyBytes);
  const auth = AuthInfo.decode(doc.authInfoBytes);
  const fee = auth.fee;
  const fields: Field[] = [
    { label: "chain id", value: doc.chainId },
    { label: "account number", value: doc.accountNumber.toString() },
    { label: "sequence", value: auth.signerInfos.map((s) => s.sequence.toString()).join(", ") || "(none)" },
    { label: "fee", value: fee ? fee.amount.map((c) => `${c.amount}${c.denom}`).join(", ") || "0" : "(none)" },
    { label: "gas limit", value: fee ? fee.gasLimit.toString() : "(none)" },
    { label: "memo", value: body.memo || "(none)" },
  ];
  const sections: Section[] = body.messages.map((any, i) => {
    let decoded: unknown;
    try {
      decoded = registry.decode(any);
    } catch {
      return { title: `message ${i + 1}: ${any.typeUrl} (not decoded)`, fields: [{ label: "value (base64)", value: toBase64(any.value) }] };
    }
    return { title: `message ${i + 1}: ${any.typeUrl}`, fields: flatten(decoded, "", contractMsg) };
  });
  return { form: "Cosmos SignDoc (direct)", known: true, fields, sections };
}

/** A MsgExecuteContract's `msg` (JSON bytes) shown as its text. */
function contractMsg(path: string, value: unknown): string | undefined {
  if (value instanceof Uint8Array && /(^|\.)msg$/.test(path)) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function show(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return "0x" + toHex(value);
  if (typeof value === "object" && value !== null) return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  return String(value);
}

/** Nested values as "a.b[0].c: value" rows (at most 200). */
export function flatten(
  value: unknown,
  prefix = "",
  special?: (path: string, value: unknown) => string | undefined,
  out: Field[] = [],
): Field[] {
  if (out.length >= 200) return out;
  const s = special?.(prefix, value);
  if (s !== undefined) out.push({ label: prefix, value: s });
  else if (Array.isArray(value)) {
    if (value.length === 0) out.push({ label: prefix, value: "(empty list)" });
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, special, out));
  } else if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && prefix) out.push({ label: prefix, value: "(empty)" });
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, special, out);
  } else out.push({ label: prefix || "(value)", value: show(value) });
  return out;
}
