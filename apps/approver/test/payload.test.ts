// The payload decoders (src/payload.ts) on payloads made here with viem and cosmjs, as a payload
// request carries them: fields read by value, digests equal to the libraries' own.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toBase64, toHex, toUtf8 } from "@cosmjs/encoding";
import { makeAuthInfoBytes, makeSignBytes, makeSignDoc, Registry } from "@cosmjs/proto-signing";
import { defaultRegistryTypes } from "@cosmjs/stargate";
import { sha256 } from "@noble/hashes/sha2";
import { hashMessage, hashTypedData, hexToBytes, keccak256, serializeTransaction } from "viem";
import { compareDigest, decodePayload, type Payload } from "../src/payload.js";
import { EVM_TX, TYPED } from "./fixtures.js";

const field = (d: ReturnType<typeof decodePayload>, label: string) => d.fields.find((f) => f.label === label)?.value;


test("an EVM transaction (EIP-1559): to, value, data, chain id; the digest is keccak256 of the unsigned serialisation", () => {
  const bytes = hexToBytes(serializeTransaction(EVM_TX));
  const payload: Payload = { hash: "keccak256", data: toBase64(bytes) };
  const d = decodePayload(payload);
  assert.equal(d.form, "EVM transaction (EIP-1559)");
  assert.equal(d.known, true);
  assert.equal(field(d, "to"), EVM_TX.to);
  assert.equal(field(d, "value"), "0.25 ETH (250000000000000000 wei)");
  assert.equal(field(d, "data"), EVM_TX.data);
  assert.equal(field(d, "function selector"), "0xa9059cbb");
  assert.equal(field(d, "chain id"), "11155111");
  assert.equal(field(d, "nonce"), "7");
  assert.equal(field(d, "max fee per gas"), "30 gwei");
  assert.equal(toHex(d.digest!), keccak256(bytes).slice(2));
  assert.deepEqual(compareDigest(d, hexToBytes(keccak256(bytes)), payload), { matches: true, detail: "matches the digest on chain" });
  assert.equal(compareDigest(d, new Uint8Array(32), payload).matches, false);
});

test("a legacy EIP-155 transaction", () => {
  const bytes = hexToBytes(serializeTransaction({ type: "legacy", chainId: 1, nonce: 0, to: EVM_TX.to, value: 1n, gas: 21000n, gasPrice: 2_000_000_000n }));
  const d = decodePayload({ hash: "keccak256", data: toBase64(bytes) });
  assert.equal(d.form, "EVM transaction (legacy)");
  assert.equal(field(d, "chain id"), "1");
  assert.equal(field(d, "gas price"), "2 gwei");
});

test("keccak256 of bytes that are no transaction: raw bytes, not known (blind)", () => {
  const bytes = toUtf8("not rlp at all");
  const d = decodePayload({ hash: "keccak256", data: toBase64(bytes) });
  assert.equal(d.form, "raw bytes");
  assert.equal(d.known, false);
  assert.equal(toHex(d.digest!), keccak256(bytes).slice(2));
});


test("EIP-712 typed data: domain and message fields; the digest is hashTypedData's (the EIP's example)", () => {
  const json = JSON.stringify(TYPED);
  const digest = hexToBytes(hashTypedData(TYPED as unknown as Parameters<typeof hashTypedData>[0]));
  assert.equal(toHex(digest), "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
  const payload: Payload = { hash: "eip712", data: toBase64(toUtf8(json)), digest: toBase64(digest) };
  const d = decodePayload(payload);
  assert.equal(d.form, "EIP-712 typed data");
  assert.equal(field(d, "primary type"), "Mail");
  assert.equal(field(d, "domain.name"), "Ether Mail");
  assert.equal(field(d, "domain.chainId"), "1");
  const message = d.sections[0]!.fields;
  assert.deepEqual(message.find((f) => f.label === "contents"), { label: "contents", value: "Hello, Bob!" });
  assert.deepEqual(message.find((f) => f.label === "to.wallet"), { label: "to.wallet", value: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" });
  assert.equal(compareDigest(d, digest, payload).matches, true);
  // A requester's digest that differs from the data is caught even when the item agrees with it.
  const lying: Payload = { ...payload, digest: toBase64(new Uint8Array(32)) };
  assert.match(compareDigest(decodePayload(lying), digest, lying).detail, /does NOT match the requester's digest/);
});

test("EIP-191: the text, and hashMessage's digest", () => {
  const d = decodePayload({ hash: "eip191", data: toBase64(toUtf8("Sign in to example.org\nNonce: 42")) });
  assert.equal(field(d, "message"), "Sign in to example.org\nNonce: 42");
  assert.equal(toHex(d.digest!), hashMessage("Sign in to example.org\nNonce: 42").slice(2));
});

test("a Cosmos SignDoc: chain id, fee, messages decoded; the digest is sha256 of the bytes", () => {
  const registry = new Registry(defaultRegistryTypes);
  const bodyBytes = registry.encodeTxBody({
    messages: [
      {
        typeUrl: "/cosmos.bank.v1beta1.MsgSend",
        value: { fromAddress: "wasm1from", toAddress: "wasm1to", amount: [{ denom: "stake", amount: "1234" }] },
      },
    ],
    memo: "rent",
  });
  const pubkey = { typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: new Uint8Array([10, 33, ...new Uint8Array(33).fill(2)]) };
  const authInfoBytes = makeAuthInfoBytes([{ pubkey, sequence: 3 }], [{ denom: "stake", amount: "5000" }], 200000, undefined, undefined);
  const bytes = makeSignBytes(makeSignDoc(bodyBytes, authInfoBytes, "mpc-localnet", 12));
  const d = decodePayload({ hash: "cosmos_sign_doc", data: toBase64(bytes) });
  assert.equal(d.form, "Cosmos SignDoc (direct)");
  assert.equal(field(d, "chain id"), "mpc-localnet");
  assert.equal(field(d, "account number"), "12");
  assert.equal(field(d, "sequence"), "3");
  assert.equal(field(d, "fee"), "5000stake");
  assert.equal(field(d, "memo"), "rent");
  assert.equal(d.sections[0]!.title, "message 1: /cosmos.bank.v1beta1.MsgSend");
  assert.deepEqual(d.sections[0]!.fields.find((f) => f.label === "toAddress"), { label: "toAddress", value: "wasm1to" });
  assert.deepEqual(d.sections[0]!.fields.find((f) => f.label === "amount[0].amount"), { label: "amount[0].amount", value: "1234" });
  assert.equal(toHex(d.digest!), toHex(sha256(bytes)));
});

test("sha256d and unreadable data", () => {
  const bytes = toUtf8("preimage");
  assert.equal(toHex(decodePayload({ hash: "sha256d", data: toBase64(bytes) }).digest!), toHex(sha256(sha256(bytes))));
  const bad = decodePayload({ hash: "eip712", data: toBase64(toUtf8("{not json")) });
  assert.equal(bad.digest, undefined);
  assert.ok(bad.error);
  assert.equal(compareDigest(bad, new Uint8Array(32), { hash: "eip712", data: "" }).matches, false);
});
