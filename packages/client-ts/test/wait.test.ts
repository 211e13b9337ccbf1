// waitForFinal: prompt on an event and on the first block past the deadline, polling until the
// subscription is in place and when it fails, timeout, abort.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ContractRefusal, MpcClient, WaitTimeout } from "../src/index.js";
import { cometNodeUrl } from "../src/eventSource.js";
import { CONTRACTS, FakeEvents, FakeMpc } from "./fakeChain.js";
import { until } from "./until.js";

const HOUR = 3_600_000;

async function pending(events?: FakeEvents) {
  const mpc = new FakeMpc(new Uint8Array(randomBytes(32)));
  mpc.autoSettle = 0; // only the test settles
  const client = new MpcClient(mpc.chain, "wasm1owner", { contracts: CONTRACTS, ...(events ? { events } : {}) });
  const id = await client.requestSignature({ keyId: 1, items: [new Uint8Array(32).fill(7)] });
  return { mpc, client, id };
}
const requestQueries = (mpc: FakeMpc) => mpc.chain.queries.filter((q) => q.msg.request).length;
/** A short pause, where a test checks that nothing happens. */
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
/** Until `mpc` has been asked for the request `reads` times or more. */
const reads = (mpc: FakeMpc, n: number, what: string) => until(() => requestQueries(mpc) >= n, 10_000, what);

test("an event for the request makes the wait read the record at once (no poll needed)", async () => {
  const events = new FakeEvents();
  const { mpc, client, id } = await pending(events);
  const waiting = client.waitForFinal(id, { pollIntervalMs: HOUR, subscribedPollIntervalMs: HOUR, timeoutMs: 5_000 });
  await reads(mpc, 1, "a read on start");
  assert.equal(requestQueries(mpc), 1, "one read on start");
  mpc.settle(id);
  events.emit(CONTRACTS.signatureRequests, "signature_request", { action: "party_result", request_id: String(id + 1) });
  await tick();
  assert.equal(requestQueries(mpc), 1, "another request's event is ignored");
  events.emit(CONTRACTS.signatureRequests, "signature_request", { action: "fulfilled", request_id: String(id) });
  const final = await waiting;
  assert.equal(final.status, "fulfilled");
  assert.equal(final.request.signatures?.length, 1);
  assert.equal(events.closed, 1, "the subscription is closed when done");
});

test("when the subscription fails, the wait falls back to polling", async () => {
  const events = new FakeEvents();
  const { mpc, client, id } = await pending(events);
  const waiting = client.waitForFinal(id, { pollIntervalMs: 10, subscribedPollIntervalMs: HOUR, timeoutMs: 5_000 });
  await reads(mpc, 1, "a read on start");
  const start = requestQueries(mpc);
  events.block(100); // in place
  await reads(mpc, start + 1, "a read when the subscription is in place");
  await tick(40);
  const before = requestQueries(mpc);
  assert.equal(before, start + 1, "no polling beside a live subscription at a long interval");
  events.fail(new Error("websocket closed"));
  await reads(mpc, before + 2, "polls after the failure");
  mpc.settle(id, "rejected");
  const final = await waiting;
  assert.equal(final.status, "rejected");
  assert.equal(final.request.reject_reason, "parties disagreed");
});

test("until the subscription is in place (its first block) the wait polls fast; then it reads once and polls slowly", async () => {
  const events = new FakeEvents();
  const { mpc, client, id } = await pending(events);
  const waiting = client.waitForFinal(id, { pollIntervalMs: 10, subscribedPollIntervalMs: HOUR, timeoutMs: 5_000 });
  // Three reads at a 10 ms interval: the slow interval is an hour.
  await reads(mpc, 3, "polls while the subscription is not in place");
  const polled = requestQueries(mpc);
  events.block(100);
  await reads(mpc, polled + 1, "a read when it comes in place (for what it missed)");
  await tick(60);
  assert.equal(requestQueries(mpc), polled + 1, "one read when it comes in place, then no fast polling");
  mpc.settle(id);
  events.emit(CONTRACTS.signatureRequests, "signature_request", { action: "fulfilled", request_id: String(id) });
  assert.equal((await waiting).status, "fulfilled");
});

test("the first block past the request's deadline makes the wait read it: an expiry no transaction announces ends it", async () => {
  const events = new FakeEvents();
  const { mpc, client, id } = await pending(events);
  const record = mpc.requests.get(id)!;
  // partial: the approval deadline applies until it has an MPC deadline
  Object.assign(record, { status: "partial", approval_deadline_height: 1010, mpc_deadline_height: null });
  const waiting = client.waitForFinal(id, { pollIntervalMs: HOUR, subscribedPollIntervalMs: HOUR, timeoutMs: 5_000 });
  await reads(mpc, 1, "a read on start");
  events.block(1000);
  await reads(mpc, 2, "a read when the subscription is in place");
  await tick();
  const seen = requestQueries(mpc);
  assert.equal(seen, 2, "the start and the subscription in place");
  events.block(1009);
  events.block(1010); // the deadline: the request can still move in this block
  await tick();
  assert.equal(requestQueries(mpc), seen, "no read before the deadline has passed");

  // Approved meanwhile: pending, with an MPC deadline further on.
  Object.assign(record, { status: "pending", mpc_deadline_height: 1500 });
  events.block(1011);
  await reads(mpc, seen + 1, "a read at the first block past the approval deadline");
  events.block(1012);
  events.block(1500);
  await tick();
  assert.equal(requestQueries(mpc), seen + 1, "not again before the new deadline has passed");

  mpc.settle(id, "expired"); // how the contract reads an open request past its deadline
  events.block(1501);
  const final = await waiting;
  assert.equal(final.status, "expired");
  assert.equal(requestQueries(mpc), seen + 2);
});

test("a source's websocket endpoint or its node's address both reach cosmjs as the node's address", () => {
  assert.equal(cometNodeUrl("ws://127.0.0.1:26657/websocket"), "ws://127.0.0.1:26657");
  assert.equal(cometNodeUrl("wss://rpc.example.org/websocket/"), "wss://rpc.example.org");
  assert.equal(cometNodeUrl("ws://127.0.0.1:26657"), "ws://127.0.0.1:26657");
  assert.equal(cometNodeUrl("wss://rpc.example.org/"), "wss://rpc.example.org");
});

test("a subscription that cannot start leaves polling, which sees an expiry", async () => {
  const { mpc, client, id } = await pending(new FakeEvents(true));
  const waiting = client.waitForFinal(id, { pollIntervalMs: 10, timeoutMs: 5_000 });
  await tick(30);
  mpc.settle(id, "expired");
  assert.equal((await waiting).status, "expired");
});

test("the wait times out with the last status seen", async () => {
  const { client, id } = await pending();
  const started = Date.now();
  await assert.rejects(client.waitForFinal(id, { pollIntervalMs: 10, timeoutMs: 80 }), (e: unknown) =>
    e instanceof WaitTimeout && e.lastStatus === "pending" && e.timeoutMs === 80);
  // Ends with its 80 ms, not with a poll interval or the default timeout (late timers allowed).
  assert.ok(Date.now() - started < 5_000);
});

test("an abort ends the wait with the signal's reason and stops polling", async () => {
  const { mpc, client, id } = await pending();
  const controller = new AbortController();
  const waiting = client.waitForFinal(id, { signal: controller.signal, pollIntervalMs: 10, timeoutMs: 5_000 });
  await tick(30);
  controller.abort(new Error("user closed the dialog"));
  await assert.rejects(waiting, /user closed the dialog/);
  const after = requestQueries(mpc);
  await tick(50);
  assert.equal(requestQueries(mpc), after, "no query after the abort");
  await assert.rejects(client.waitForFinal(id, { signal: AbortSignal.abort() }), { name: "AbortError" });
});

test("waiting for a request that does not exist fails at once with the refusal", async () => {
  const { client } = await pending();
  await assert.rejects(client.waitForFinal(999, { timeoutMs: 5_000 }), (e: unknown) =>
    e instanceof ContractRefusal && e.code === "not_found");
});
