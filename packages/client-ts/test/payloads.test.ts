// payloadDigest against published vectors, payloads checked before sending, and
// request_payload_signature as sent (fee as max_fee, eip712 digest filled in).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { fromBase64, toBase64, toHex, toUtf8 } from "@cosmjs/encoding";
import { hexToBytes, serializeTransaction } from "viem";
import {
  InvalidPayload,
  MpcClient,
  bytesPayload,
  checkPayload,
  eip191Payload,
  eip712Payload,
  payloadDigest,
  type HashKind,
  type Payload,
} from "../src/index.js";
import { CONTRACTS, FakeMpc } from "./fakeChain.js";
import { EIP155_SIGNING_HASH, EIP155_TX, MAIL_DIGEST, MAIL_JSON } from "./vectors.js";

const hex = (bytes: Uint8Array) => toHex(bytes);
const wire = (hash: HashKind, data: Uint8Array | string): Payload => ({
  hash,
  data: toBase64(typeof data === "string" ? toUtf8(data) : data),
});

test("payloadDigest: the published vectors of EIP-191, EIP-712 and EIP-155", () => {
  // EIP-191 personal message "hello world" (viem's and ethers' hashMessage docs)
  assert.equal(hex(payloadDigest(wire("eip191", "hello world"))), "d9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68");
  assert.equal(hex(payloadDigest(wire("eip712", MAIL_JSON))), MAIL_DIGEST);
  const unsigned = hexToBytes(serializeTransaction(EIP155_TX));
  // the EIP's signing data: the RLP of [nonce, gasprice, startgas, to, value, data, chainid, 0, 0]
  assert.equal(
    hex(unsigned),
    "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080",
  );
  assert.equal(hex(payloadDigest({ hash: "keccak256", data: unsigned })), EIP155_SIGNING_HASH);
});

test("payloadDigest: keccak256, sha256, sha256d and cosmos_sign_doc", () => {
  const empty = new Uint8Array();
  assert.equal(hex(payloadDigest({ hash: "keccak256", data: empty })), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  // FIPS 180-2 "abc"
  assert.equal(hex(payloadDigest(wire("sha256", "abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Bitcoin's double SHA-256 of "hello" (en.bitcoin.it/wiki/Protocol_documentation#Hashes)
  assert.equal(hex(payloadDigest(wire("sha256d", "hello"))), "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
  assert.deepEqual(payloadDigest(wire("cosmos_sign_doc", "abc")), payloadDigest(wire("sha256", "abc")));
  // the wire form (base64) and the bytes form hash alike
  assert.deepEqual(payloadDigest(wire("eip191", "hello world")), payloadDigest(eip191Payload("hello world")));
});

test("eip712Payload serialises viem typed data as eth_signTypedData_v4 JSON with its hashTypedData digest", () => {
  const mail = JSON.parse(MAIL_JSON);
  delete mail.types.EIP712Domain; // viem derives it from the domain
  mail.domain.chainId = 1n;
  const payload = eip712Payload(mail);
  assert.equal(payload.hash, "eip712");
  assert.equal(hex(payload.digest!), MAIL_DIGEST);
  const json = JSON.parse(new TextDecoder().decode(payload.data));
  assert.deepEqual(json.types.EIP712Domain.map((f: { name: string }) => f.name), ["name", "version", "chainId", "verifyingContract"]);
  assert.equal(json.domain.chainId, "1", "bigints as decimal strings");
  assert.equal(hex(payloadDigest(payload)), MAIL_DIGEST);
});

test("eip191Payload takes viem's SignableMessage: a string as UTF-8, { raw } as bytes", () => {
  assert.deepEqual(eip191Payload("hé").data, toUtf8("hé"));
  assert.deepEqual(eip191Payload({ raw: "0x0102" }).data, new Uint8Array([1, 2]));
  assert.deepEqual(eip191Payload({ raw: new Uint8Array([3]) }).data, new Uint8Array([3]));
});

test("checkPayload fills an eip712 digest, refuses a wrong one, a digest elsewhere, bad JSON and unknown kinds", () => {
  const filled = checkPayload(wire("eip712", MAIL_JSON));
  assert.equal(hex(fromBase64(filled.digest!)), MAIL_DIGEST);
  assert.deepEqual(checkPayload({ ...filled }), filled, "a right digest is kept");
  const invalid = (payload: Payload, pattern: RegExp) =>
    assert.throws(() => checkPayload(payload, 2), (e: unknown) => e instanceof InvalidPayload && e.index === 2 && pattern.test(e.message));
  invalid({ ...filled, digest: toBase64(new Uint8Array(32)) }, /eip712 digest 0x0{64} is not the typed data's 0xbe609aee/);
  invalid({ ...wire("keccak256", "x"), digest: toBase64(new Uint8Array(32)) }, /digest is given only with eip712, not keccak256/);
  invalid(wire("eip712", "{not json"), /invalid payload 2: eip712 data is not JSON/);
  invalid(wire("eip712", "{}"), /needs types, primaryType/);
  invalid(wire("eip712", JSON.stringify({ ...JSON.parse(MAIL_JSON), primaryType: "Nope" })), /does not hash/);
  invalid({ hash: "md5" as HashKind, data: "" }, /unknown hash kind "md5"/);
  assert.throws(() => payloadDigest({ hash: "md5" as HashKind, data: "" }), InvalidPayload);
  assert.equal(checkPayload(wire("sha256", "abc")).digest, undefined, "no digest field for other kinds");
});

test("requestPayloadSignature pays the key's fee as max_fee and sends the payloads, eip712 with its digest", async () => {
  const mpc = new FakeMpc(new Uint8Array(randomBytes(32)));
  const client = new MpcClient(mpc.chain, "wasm1owner", { contracts: CONTRACTS });
  mpc.sigFee = [{ denom: "umpc", amount: "5" }, { denom: "uatom", amount: "100" }];
  const id = await client.requestPayloadSignature({
    keyId: 7,
    payloads: [bytesPayload("keccak256", new Uint8Array([1, 2, 3])), wire("eip712", MAIL_JSON)],
    mpcTimeoutBlocks: 50,
  });
  assert.equal(id, 1);
  assert.deepEqual(mpc.chain.queries[0], { address: CONTRACTS.keyring, msg: { signature_request_fee: { key_id: 7 } } });
  const [sent] = mpc.chain.executions;
  const sorted = [{ denom: "uatom", amount: "100" }, { denom: "umpc", amount: "5" }];
  assert.deepEqual(sent!.funds, sorted);
  assert.deepEqual(sent!.msg, {
    request_payload_signature: {
      key_id: 7,
      payloads: [
        { hash: "keccak256", data: toBase64(new Uint8Array([1, 2, 3])) },
        { hash: "eip712", data: toBase64(toUtf8(MAIL_JSON)), digest: toBase64(Buffer.from(MAIL_DIGEST, "hex")) },
      ],
      approval_timeout_blocks: null,
      mpc_timeout_blocks: 50,
      callback: false,
      max_fee: sorted,
    },
  });
});

test("a payload that cannot be hashed is refused before the fee is looked up or anything is sent", async () => {
  const mpc = new FakeMpc(new Uint8Array(randomBytes(32)));
  const client = new MpcClient(mpc.chain, "wasm1owner", { contracts: CONTRACTS });
  await assert.rejects(client.requestPayloadSignature({ keyId: 7, payloads: [wire("eip712", "[")] }), InvalidPayload);
  assert.equal(mpc.chain.queries.length + mpc.chain.executions.length, 0);
});
