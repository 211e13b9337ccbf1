// Ids from the response data, fees paid as max_fee, approvals: through MpcClient on a fake chain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { ContractRefusal, MpcClient, UnexpectedResponse, executeBatch, prepareCreateWorkspace, prepareApprove } from "../src/index.js";
import { CONTRACTS, FakeChain, FakeMpc, Refuse } from "./fakeChain.js";

const OWNER = "wasm1owner";
const hash = () => new Uint8Array(randomBytes(32));

function setup() {
  const mpc = new FakeMpc(new Uint8Array(randomBytes(32)));
  return { mpc, client: new MpcClient(mpc.chain, OWNER, { contracts: CONTRACTS }) };
}

test("createWorkspace, requestKey and requestSignature return the ids the contracts put in the data", async () => {
  const { client } = setup();
  assert.equal(await client.createWorkspace({ alias: "treasury" }), 1);
  assert.equal(await client.requestKey({ workspaceId: 1, keyringId: 1, keyType: "ecdsa_secp256k1" }), 2);
  assert.equal(await client.requestSignature({ keyId: 7, items: [hash()] }), 3);
});

test("a batch reads each message's id at its own index", async () => {
  const { mpc } = setup();
  const ctx = { chain: mpc.chain, sender: OWNER };
  const ids = await executeBatch(ctx, [
    prepareCreateWorkspace(OWNER, CONTRACTS.workspace),
    prepareCreateWorkspace(OWNER, CONTRACTS.workspace, { alias: "second" }),
    prepareCreateWorkspace(OWNER, CONTRACTS.workspace, { alias: "third" }),
  ] as const);
  assert.deepEqual(ids, [1, 2, 3]);
  assert.equal(mpc.chain.executions[1]!.msg.create_workspace.alias, "second");
});

test("data without the expected id is an UnexpectedResponse naming what came", async () => {
  const chain = new FakeChain(() => ({ keyring_id: 4 }), () => ({}));
  const client = new MpcClient(chain, OWNER, { contracts: CONTRACTS });
  await assert.rejects(client.createWorkspace(), (e: unknown) =>
    e instanceof UnexpectedResponse && /workspace_id/.test(e.message) && /keyring_id/.test(e.message));
  const empty = new MpcClient(new FakeChain(() => undefined, () => ({})), OWNER, { contracts: CONTRACTS });
  await assert.rejects(empty.createWorkspace(), UnexpectedResponse);
});

test("requestSignature looks up signature_request_fee and sends it as max_fee and as funds, sorted", async () => {
  const { mpc, client } = setup();
  mpc.sigFee = [{ denom: "umpc", amount: "5" }, { denom: "uatom", amount: "100" }];
  await client.requestSignature({ keyId: 7, items: [hash()] });
  assert.deepEqual(mpc.chain.queries[0], { address: CONTRACTS.keyring, msg: { signature_request_fee: { key_id: 7 } } });
  const [sent] = mpc.chain.executions;
  const sorted = [{ denom: "uatom", amount: "100" }, { denom: "umpc", amount: "5" }];
  assert.deepEqual(sent!.msg.request_signature.max_fee, sorted);
  assert.deepEqual(sent!.funds, sorted);
  assert.equal(sent!.contract, CONTRACTS.signatureRequests);
});

test("requestKey pays key_request_fee as max_fee; a caller's cap and 'exact' are honoured", async () => {
  const { mpc, client } = setup();
  await client.requestKey({ workspaceId: 1, keyringId: 3, keyType: "eddsa_ed25519" });
  assert.deepEqual(mpc.chain.queries[0]!.msg, { key_request_fee: { keyring_id: 3 } });
  assert.deepEqual(mpc.chain.executions[0]!.msg.request_key.max_fee, mpc.keyFee);
  assert.deepEqual(mpc.chain.executions[0]!.funds, mpc.keyFee);

  const cap = [{ denom: "uatom", amount: "500" }];
  await client.requestSignature({ keyId: 7, items: [hash()], fee: cap });
  assert.deepEqual(mpc.chain.executions[1]!.msg.request_signature.max_fee, cap);
  assert.deepEqual(mpc.chain.executions[1]!.funds, cap);
  assert.equal(mpc.chain.queries.length, 1, "a cap needs no fee lookup");

  await client.requestSignature({ keyId: 7, items: [hash()], fee: "exact" });
  assert.equal("max_fee" in mpc.chain.executions[2]!.msg.request_signature, false);
  assert.deepEqual(mpc.chain.executions[2]!.funds, mpc.sigFee);
});

for (const mode of ["simulate", "deliver"] as const) {
  test(`a fee above max_fee is a ContractRefusal fee_above_max (${mode})`, async () => {
    const chain = new FakeChain(() => {
      throw new Refuse("fee 150uatom is above max_fee 100uatom");
    }, () => ({ fee: [{ denom: "uatom", amount: "100" }] }));
    chain.refusalMode = mode;
    const client = new MpcClient(chain, OWNER, { contracts: CONTRACTS });
    await assert.rejects(client.requestSignature({ keyId: 1, items: [hash()] }), (e: unknown) =>
      e instanceof ContractRefusal && e.code === "fee_above_max" && e.messageIndex === 0 &&
      e.reason === "fee 150uatom is above max_fee 100uatom");
  });
}

test("approve and reject send the composers' messages; an unknown request is refused not_found", async () => {
  const { mpc, client } = setup();
  const id = await client.requestSignature({ keyId: 7, items: [hash()] });
  await client.approve(id);
  await client.reject(id);
  assert.deepEqual(mpc.chain.executions.slice(1).map((e) => e.msg), [{ approve: { request_id: id } }, { reject: { request_id: id } }]);
  assert.deepEqual(mpc.chain.executions[1]!.funds, [], "votes carry no funds (nonpayable)");
  await assert.rejects(client.approve(99), (e: unknown) => e instanceof ContractRefusal && e.code === "not_found");
  assert.deepEqual(prepareApprove(OWNER, CONTRACTS.signatureRequests, 5).message.typeUrl, "/cosmwasm.wasm.v1.MsgExecuteContract");
});

test("requestsAwaitingApprover pages through every open request", async () => {
  const { mpc, client } = setup();
  for (let i = 0; i < 205; i++) {
    const id = await client.requestSignature({ keyId: 7, items: [hash()] });
    mpc.requests.get(id)!.status = "partial";
  }
  const awaiting = await client.requestsAwaitingApprover("wasm1approver");
  assert.equal(awaiting.length, 205);
  assert.equal(new Set(awaiting.map((r) => r.id)).size, 205);
});

test("requestsAwaitingApprover follows next past pages the contract's scan bound cut short", async () => {
  const { mpc, client } = setup();
  const open: number[] = [];
  for (let i = 0; i < 250; i++) {
    const id = await client.requestSignature({ keyId: 7, items: [hash()] });
    // 150 requests the approver cannot vote on, then open ones: the first page comes back empty.
    if (i >= 150 && i % 2 === 0) {
      mpc.requests.get(id)!.status = "partial";
      open.push(id);
    }
  }
  const awaiting = await client.requestsAwaitingApprover("wasm1approver", 10);
  assert.deepEqual(awaiting.map((r) => r.id), open);
});
