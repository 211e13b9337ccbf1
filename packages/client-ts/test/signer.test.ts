// The OfflineDirectSigner on an MPC key: a real SignDoc signed through the whole layer (request,
// wait, verify) by a fake "MPC" holding a local key; cosmjs's own verification must accept it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";
import { fromBase64 } from "@cosmjs/encoding";
import { DirectSecp256k1Wallet, makeAuthInfoBytes, makeSignBytes, makeSignDoc, encodePubkey } from "@cosmjs/proto-signing";
import { encodeSecp256k1Pubkey } from "@cosmjs/amino";
import { MpcClient, MpcDirectSigner, SigningFailed } from "../src/index.js";
import { CONTRACTS, FakeMpc } from "./fakeChain.js";

async function setup() {
  const privateKey = new Uint8Array(randomBytes(32));
  const mpc = new FakeMpc(privateKey);
  const client = new MpcClient(mpc.chain, "wasm1owner", { contracts: CONTRACTS });
  const signer = await MpcDirectSigner.fromKey(client, 7, "wasm", { pollIntervalMs: 5, timeoutMs: 5_000 });
  return { mpc, signer, privateKey };
}

test("getAccounts gives the key's address and pubkey, as a local wallet with the same key would", async () => {
  const { signer, privateKey } = await setup();
  const [mine] = await signer.getAccounts();
  const [local] = await (await DirectSecp256k1Wallet.fromKey(privateKey, "wasm")).getAccounts();
  assert.deepEqual(mine, local);
});

test("signDirect returns a signature of the sign doc that cosmjs verifies against the key", async () => {
  const { mpc, signer } = await setup();
  const [account] = await signer.getAccounts();
  const authInfoBytes = makeAuthInfoBytes(
    [{ pubkey: encodePubkey(encodeSecp256k1Pubkey(account!.pubkey)), sequence: 3 }],
    [{ denom: "ustake", amount: "2000" }], 200_000, undefined, undefined,
  );
  const doc = makeSignDoc(new Uint8Array([10, 2, 8, 1]), authInfoBytes, "localwasm-1", 12);
  const { signed, signature } = await signer.signDirect(account!.address, doc);

  assert.deepEqual(signed, doc);
  assert.equal(signature.pub_key.type, "tendermint/PubKeySecp256k1");
  const hash = sha256(makeSignBytes(doc));
  const raw = fromBase64(signature.signature);
  assert.equal(raw.length, 64);
  assert.ok(await Secp256k1.verifySignature(Secp256k1Signature.fromFixedLength(raw), hash, account!.pubkey));
  // What was asked of the contract: the sign doc itself as a cosmos_sign_doc payload (approvers
  // and the parties see its messages), whose digest, the one item signed, is its sha256.
  const [request] = mpc.requests.values();
  assert.deepEqual(
    request!.payloads?.map((p) => ({ hash: p.hash, data: fromBase64(p.data) })),
    [{ hash: "cosmos_sign_doc", data: makeSignBytes(doc) }],
  );
  assert.deepEqual(request!.items.map((i) => fromBase64(i)), [hash]);
});

test("signDirect refuses another address, and fails when the request is rejected", async () => {
  const { mpc, signer } = await setup();
  const [account] = await signer.getAccounts();
  const doc = makeSignDoc(new Uint8Array([1]), new Uint8Array([2]), "localwasm-1", 1);
  await assert.rejects(signer.signDirect("wasm1someoneelse", doc), /not wasm1someoneelse/);
  mpc.autoSettle = 0;
  const signing = signer.signDirect(account!.address, doc);
  setTimeout(() => mpc.settle([...mpc.requests.keys()].at(-1)!, "rejected"), 20);
  await assert.rejects(signing, (e: unknown) => e instanceof SigningFailed && e.status === "rejected");
});
