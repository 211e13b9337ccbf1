// Local verification with real keys: what the contracts accept verifies, anything else does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1";
import { ed25519 } from "@noble/curves/ed25519";
import { toBase64 } from "@cosmjs/encoding";
import { InvalidSignature, verifyRequestSignatures, verifySignature } from "../src/index.js";

const bytes = (n: number) => new Uint8Array(randomBytes(n));

test("secp256k1: a low-S r‖s over the 32-byte hash verifies against the compressed key", () => {
  const priv = secp256k1.utils.randomPrivateKey();
  const pub = secp256k1.getPublicKey(priv, true);
  const hash = bytes(32);
  const sig = secp256k1.sign(hash, priv, { lowS: true }).toCompactRawBytes();
  assert.equal(verifySignature("ecdsa_secp256k1", pub, hash, sig), true);
  assert.equal(verifySignature("ecdsa_secp256k1", pub, bytes(32), sig), false, "another hash");
  assert.equal(verifySignature("ecdsa_secp256k1", secp256k1.getPublicKey(secp256k1.utils.randomPrivateKey(), true), hash, sig), false, "another key");
  const tampered = sig.slice();
  tampered[5]! ^= 1;
  assert.equal(verifySignature("ecdsa_secp256k1", pub, hash, tampered), false, "a flipped bit");
});

test("secp256k1: the high-S twin of a valid signature is refused, as the contract refuses it", () => {
  const priv = secp256k1.utils.randomPrivateKey();
  const hash = bytes(32);
  const low = secp256k1.sign(hash, priv, { lowS: true });
  const high = new secp256k1.Signature(low.r, secp256k1.CURVE.n - low.s).toCompactRawBytes();
  assert.equal(verifySignature("ecdsa_secp256k1", secp256k1.getPublicKey(priv, true), hash, high), false);
});

test("ed25519: a signature over the message verifies against the 32-byte key", () => {
  const priv = ed25519.utils.randomPrivateKey();
  const pub = ed25519.getPublicKey(priv);
  const message = new TextEncoder().encode("transfer 10 to bob");
  const sig = ed25519.sign(message, priv);
  assert.equal(verifySignature("eddsa_ed25519", pub, message, sig), true);
  assert.equal(verifySignature("eddsa_ed25519", pub, new TextEncoder().encode("transfer 99 to eve"), sig), false);
  assert.equal(verifySignature("eddsa_ed25519", pub, message, sig.slice(0, 63)), false, "a short signature");
});

test("verifyRequestSignatures names the item whose signature is wrong", () => {
  const priv = ed25519.utils.randomPrivateKey();
  const items = [bytes(40), bytes(40)];
  const good = items.map((m) => ed25519.sign(m, priv));
  const request = {
    key_type: "eddsa_ed25519" as const,
    public_key: toBase64(ed25519.getPublicKey(priv)),
    items: items.map(toBase64),
    signatures: good.map(toBase64),
  };
  assert.deepEqual(verifyRequestSignatures(request), good);
  const wrong = { ...request, signatures: [toBase64(good[0]!), toBase64(good[0]!)] };
  assert.throws(() => verifyRequestSignatures(wrong), (e: unknown) => e instanceof InvalidSignature && e.index === 1);
  assert.throws(() => verifyRequestSignatures(request, ed25519.getPublicKey(ed25519.utils.randomPrivateKey())),
    (e: unknown) => e instanceof InvalidSignature && e.index === 0, "a key the caller expects");
  assert.throws(() => verifyRequestSignatures({ ...request, signatures: null }), InvalidSignature);
});
