// Key encodings against known vectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { secp256k1 } from "@noble/curves/secp256k1";
import { ed25519 } from "@noble/curves/ed25519";
import { toHex } from "@cosmjs/encoding";
import { eip55, keyEncodings } from "../src/index.js";

test("secp256k1: the EVM address of private key 1 is the well-known one", () => {
  const pub = secp256k1.getPublicKey(new Uint8Array(32).fill(0).map((_, i) => (i === 31 ? 1 : 0)), true);
  const enc = keyEncodings("ecdsa_secp256k1", pub, "cosmos");
  assert.equal(enc.evmAddress, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  assert.equal(enc.hex, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  assert.equal(enc.base64, Buffer.from(enc.hex, "hex").toString("base64"));
});

test("EIP-55 checksums match the EIP's examples", () => {
  for (const a of ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"]) {
    assert.equal(eip55(a.toLowerCase()), a);
  }
});

test("secp256k1: the Cosmos address is the one a wallet derives for the same key, with any prefix", async () => {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(
    "enlist hip relief stomach skate base shallow young switch frequent cry park", { prefix: "wasm" });
  const [account] = await wallet.getAccounts();
  assert.equal(keyEncodings("ecdsa_secp256k1", account!.pubkey, "wasm").cosmosAddress, account!.address);
  assert.equal(keyEncodings("ecdsa_secp256k1", account!.pubkey, "cosmos").cosmosAddress, "cosmos14qemq0vw6y3gc3u3e0aty2e764u4gs5le3hada");
});

test("ed25519: hex and base64 only", () => {
  const pub = ed25519.getPublicKey(new Uint8Array(32).fill(9));
  const enc = keyEncodings("eddsa_ed25519", pub, "cosmos");
  assert.deepEqual(Object.keys(enc).sort(), ["base64", "hex"]);
  assert.equal(enc.hex, toHex(pub));
});
