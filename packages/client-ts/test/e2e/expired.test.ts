// A signature request nobody approves in time: its approval deadline (a block height the
// request sets with `approval_timeout_blocks`) passes, no transaction announces it, and the wait
// ends with `expired`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WAIT_DEFAULTS } from "../../src/index.js";
import { mpcKey, skip, withOwners, workspace } from "./setup.js";

// Blocks for the second owner to approve: enough that the request is still `partial` when the
// wait starts (cosmjs confirms a transaction by polling every 3 s; the local chain makes a block
// about every 0.3 s), few enough that it expires within seconds.
const APPROVAL_TIMEOUT_BLOCKS = 25;

test("a request never approved ends the wait with expired once its deadline passes", { skip, timeout: 120_000 }, () =>
  withOwners(async (alice, bob) => {
    const workspaceId = await workspace(alice, [bob], 2);
    const key = await mpcKey(alice, workspaceId, "eddsa_ed25519");
    const requestId = await alice.mpc.requestSignature({
      keyId: key.id,
      items: [new TextEncoder().encode("never approved")],
      approvalTimeoutBlocks: APPROVAL_TIMEOUT_BLOCKS,
    });
    const before = await alice.mpc.getRequest(requestId);
    assert.equal(before.status, "partial", "still open when the wait starts");
    assert.equal(before.approval_deadline_height, before.created_height + APPROVAL_TIMEOUT_BLOCKS);

    const started = Date.now();
    const { status, request } = await alice.mpc.waitForFinal(requestId);
    const waitedMs = Date.now() - started;
    assert.equal(status, "expired");
    assert.equal(request.signatures ?? null, null);
    assert.deepEqual(request.approvals, [alice.address], "bob never voted");
    // Seen at the first block past the deadline, not at the slow poll beside the subscription.
    assert.ok(waitedMs < WAIT_DEFAULTS.subscribedPollIntervalMs, `the wait took ${waitedMs} ms`);

    // Bob is too late now: the contract refuses, and the request no longer awaits him.
    await assert.rejects(bob.mpc.approve(requestId), { name: "ContractRefusal", code: "expired" });
    const awaiting = await bob.mpc.requestsAwaitingApprover(bob.address);
    assert.ok(!awaiting.some((r) => r.id === requestId));
  }),
);
