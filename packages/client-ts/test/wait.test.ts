// waitForFinal: prompt on an event, polling when the websocket fails, timeout, abort.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ContractRefusal, MpcClient, WaitTimeout } from "../src/index.js";
import { CONTRACTS, FakeEvents, FakeMpc } from "./fakeChain.js";

const HOUR = 3_600_000;

async function pending(events?: FakeEvents) {
  const mpc = new FakeMpc(new Uint8Array(randomBytes(32)));
  mpc.autoSettle = 0; // only the test settles
  const client = new MpcClient(mpc.chain, "wasm1owner", { contracts: CONTRACTS, ...(events ? { events } : {}) });
  const id = await client.requestSignature({ keyId: 1, items: [new Uint8Array(32).fill(7)] });
  return { mpc, client, id };
}
const requestQueries = (mpc: FakeMpc) => mpc.chain.queries.filter((q) => q.msg.request).length;
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

test("an event for the request makes the wait read the record at once (no poll needed)", async () => {
  const events = new FakeEvents();
  const { mpc, client, id } = await pending(events);
  const waiting = client.waitForFinal(id, { pollIntervalMs: HOUR, subscribedPollIntervalMs: HOUR, timeoutMs: 5_000 });
  await tick();
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
  await tick(40);
  const before = requestQueries(mpc);
  assert.equal(before, 1, "no polling beside a live subscription at a long interval");
  events.fail(new Error("websocket closed"));
  await tick(50);
  assert.ok(requestQueries(mpc) > before + 1, "polls after the failure");
  mpc.settle(id, "rejected");
  const final = await waiting;
  assert.equal(final.status, "rejected");
  assert.equal(final.request.reject_reason, "parties disagreed");
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
  assert.ok(Date.now() - started < 1_000);
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
