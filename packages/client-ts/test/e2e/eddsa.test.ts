// An EdDSA (Ed25519) key made from TypeScript on the local chain; a 2-of-2 signature request
// waits `partial` until the second owner approves, is fulfilled by the connectors, and its
// signatures verify in TypeScript.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromBase64 } from "@cosmjs/encoding";
import { verifyRequestSignatures, verifySignature } from "../../src/index.js";
import { mpcKey, skip, withOwners, workspace } from "./setup.js";

test("an Ed25519 key signs two messages once the second owner approves; the signatures verify", { skip, timeout: 300_000 }, () =>
  withOwners(async (alice, bob) => {
    const workspaceId = await workspace(alice, [bob], 2);
    const key = await mpcKey(alice, workspaceId, "eddsa_ed25519");
    assert.equal(key.key_type, "eddsa_ed25519");
    const publicKey = fromBase64(key.public_key);
    assert.equal(publicKey.length, 32);

    // EdDSA signs messages (not hashes), of any length from 1 to 1024 bytes.
    const items = [new TextEncoder().encode("transfer 5 to carol"), new Uint8Array(1024).fill(0xab)];
    const requestId = await alice.mpc.requestSignature({ keyId: key.id, items });

    const partial = await alice.mpc.getRequest(requestId);
    assert.equal(partial.status, "partial");
    assert.deepEqual(partial.approvals, [alice.address]);
    const awaiting = await bob.mpc.requestsAwaitingApprover(bob.address);
    assert.ok(awaiting.some((r) => r.id === requestId && r.status === "partial"), "the request awaits bob");

    // alice waits from `partial`; bob's approval lets the connectors sign.
    const waiting = alice.mpc.waitForFinal(requestId);
    await bob.mpc.approve(requestId);
    const { status, request } = await waiting;
    assert.equal(status, "fulfilled", `ended ${status}: ${request.reject_reason ?? ""}`);
    assert.deepEqual(new Set(request.approvals), new Set([alice.address, bob.address]));

    // Against the key read from the keyring (not the request's copy of it), item by item.
    const signatures = verifyRequestSignatures(request, publicKey);
    assert.equal(signatures.length, items.length);
    signatures.forEach((signature, i) => {
      assert.equal(signature.length, 64);
      assert.ok(verifySignature("eddsa_ed25519", publicKey, items[i]!, signature));
    });
    // ... and not over anything else.
    assert.equal(verifySignature("eddsa_ed25519", publicKey, items[1]!, signatures[0]!), false);
  }),
);
