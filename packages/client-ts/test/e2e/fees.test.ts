// Fee refusals on the local chain: a wrong fee, and a fee raised between the look-up and the
// request (the `max_fee` guard), each refused by the contract, surfaced as a `ContractRefusal`
// with its code, and nothing charged.
//
// Raising a fee takes an admin of the key's keyring, and the local chain's keyring is
// administered by its validator, whose mnemonic local-chain.json does not give. The contracts
// check the fee only after reading the key (signature-requests: `signing_key` first, then owner,
// keyring active, items, timeouts, then the fee), so a key is needed, on a keyring the test
// administers. The cheapest such setup that runs the contracts' real paths: bob creates a
// keyring whose one party is bob himself (threshold 1) with non-zero fees; alice requests a key
// there, and bob, as the party, answers with a secp256k1 public key (a key needs every party's
// same answer; nothing checks how the party made it). The connectors serve only the local
// chain's keyring and ignore this one; no request here ever reaches signing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { toBase64 } from "@cosmjs/encoding";
import { calculateFee, GasPrice } from "@cosmjs/stargate";
import { secp256k1 } from "@noble/curves/secp256k1";
import {
  ContractRefusal,
  KeyringComposer,
  execute,
  executeContractMsg,
  prepareRequestKey,
  prepareRequestSignature,
  preparedPlain,
  preparedWithId,
  type RequestSignatureMsg,
} from "../../src/index.js";
import { balance, config, feeDenom, skip, withOwners, workspace, type Owner } from "./setup.js";

const KEY_FEE = 700n;
const SIGNATURE_FEE = 100n;
const items = [new Uint8Array(32).fill(9)];
const coins = (amount: bigint) => [{ denom: feeDenom(), amount: amount.toString() }];

/** bob's keyring of one party, bob; its id. */
async function bobsKeyring(bob: Owner): Promise<number> {
  return bob.mpc.createKeyring({
    description: "fee tests: one party, bob",
    parties: [bob.address],
    partyThreshold: 1,
    keyRequestFee: coins(KEY_FEE),
    signatureRequestFee: coins(SIGNATURE_FEE),
  });
}

/** bob, as the keyring's admin, sets its fees. */
async function setFees(bob: Owner, keyringId: number, fees: { key?: bigint; signature?: bigint }): Promise<void> {
  const composer = new KeyringComposer.MpcKeyringMsgComposer(bob.address, config().contracts.keyring);
  const message = composer.updateKeyring({
    keyringId,
    ...(fees.key === undefined ? {} : { keyReqFee: coins(fees.key) }),
    ...(fees.signature === undefined ? {} : { sigReqFee: coins(fees.signature) }),
  });
  await execute(bob.mpc, preparedPlain(message));
}

/** alice's workspace with a key on bob's keyring, which bob (its party) answers. */
async function keyOnBobsKeyring(alice: Owner, bob: Owner) {
  const [keyringId, workspaceId] = await Promise.all([bobsKeyring(bob), workspace(alice)]);
  const requestId = await alice.mpc.requestKey({ workspaceId, keyringId, keyType: "ecdsa_secp256k1" });
  const publicKey = secp256k1.getPublicKey(new Uint8Array(randomBytes(32)), true);
  const composer = new KeyringComposer.MpcKeyringMsgComposer(bob.address, config().contracts.keyring);
  const answer = composer.submitKeyResult({ requestId, result: { success: { public_key: toBase64(publicKey) } } });
  await execute(bob.mpc, preparedPlain(answer));
  const request = await alice.mpc.getKeyRequest(requestId);
  assert.equal(request.status, "fulfilled");
  assert.deepEqual(await alice.mpc.signatureRequestFee(request.key_id!), coins(SIGNATURE_FEE));
  return { keyringId, workspaceId, keyId: request.key_id! };
}

/** What `account` holds in the fee denom and its sequence: to show that nothing was charged. */
async function account(owner: Owner) {
  const [amount, { sequence }] = await Promise.all([
    balance(owner, owner.address),
    owner.cosmwasm.getSequence(owner.address),
  ]);
  return { balance: amount, sequence };
}

/** alice's `request_signature` paying `funds` without `max_fee`, as a dApp paying a fee it hard-coded. */
function requestPaying(alice: Owner, keyId: number, funds: ReturnType<typeof coins>) {
  const msg: RequestSignatureMsg = { key_id: keyId, items: items.map((i) => toBase64(i)), callback: false };
  return preparedWithId(executeContractMsg(alice.address, config().contracts.signatureRequests, { request_signature: msg }, funds), "request_id");
}

const refusal = (code: string, reason: RegExp) => (error: unknown) => {
  assert.ok(error instanceof ContractRefusal, `a ContractRefusal, not ${String(error)}`);
  assert.equal(error.code, code);
  assert.match(error.reason, reason);
  assert.equal(error.messageIndex, 0);
  return true;
};

test("a signature request paying a wrong fee is refused (fee_mismatch) while simulating: nothing is charged or sent", { skip, timeout: 180_000 }, () =>
  withOwners(async (alice, bob) => {
    const { keyId } = await keyOnBobsKeyring(alice, bob);
    const denom = feeDenom();
    const before = await account(alice);
    await assert.rejects(
      execute(alice.mpc, requestPaying(alice, keyId, coins(SIGNATURE_FEE - 1n))),
      refusal("fee_mismatch", new RegExp(`fee of ${SIGNATURE_FEE - 1n}${denom} paid; expected exactly ${SIGNATURE_FEE}${denom}`)),
    );
    // Refused at simulation ("auto" gas): no transaction was signed or broadcast.
    assert.deepEqual(await account(alice), before);
  }),
);

test("a wrong fee in a transaction sent without simulation is refused on the chain: only its gas fee is charged", { skip, timeout: 180_000 }, () =>
  withOwners(async (alice, bob) => {
    const { keyId } = await keyOnBobsKeyring(alice, bob);
    const gasFee = calculateFee(400_000, GasPrice.fromString(config().gasPrice));
    const before = await account(alice);
    await assert.rejects(
      execute(alice.mpc, requestPaying(alice, keyId, coins(SIGNATURE_FEE + 1n)), { fee: gasFee }),
      refusal("fee_mismatch", /paid; expected exactly/),
    );
    // The failed transaction was included: its gas fee is paid, the funds it carried are not.
    const after = await account(alice);
    assert.equal(after.sequence, before.sequence + 1);
    assert.equal(after.balance, before.balance - BigInt(gasFee.amount[0]!.amount));
  }),
);

test("a signature fee raised between look-up and request is refused (fee_above_max): nothing is charged", { skip, timeout: 180_000 }, () =>
  withOwners(async (alice, bob) => {
    const { keyringId, keyId } = await keyOnBobsKeyring(alice, bob);
    // alice's request, its fee looked up now and sent as max_fee (what requestSignature sends).
    const prepared = await prepareRequestSignature(alice.cosmwasm, alice.address, config().contracts, { keyId, items });
    await setFees(bob, keyringId, { signature: SIGNATURE_FEE * 3n });
    const before = await account(alice);
    await assert.rejects(
      execute(alice.mpc, prepared),
      refusal("fee_above_max", new RegExp(`fee ${SIGNATURE_FEE * 3n}\\w+ is above max_fee ${SIGNATURE_FEE}\\w+`)),
    );
    assert.deepEqual(await account(alice), before);

    // Looked up again, the new fee is paid: the request is made and holds exactly that fee.
    const requestId = await alice.mpc.requestSignature({ keyId, items });
    assert.deepEqual((await alice.mpc.getRequest(requestId)).fee, coins(SIGNATURE_FEE * 3n));
  }),
);

test("a key request fee raised between look-up and request is refused (fee_above_max): nothing is charged", { skip, timeout: 180_000 }, () =>
  withOwners(async (alice, bob) => {
    const [keyringId, workspaceId] = await Promise.all([bobsKeyring(bob), workspace(alice)]);
    const prepared = await prepareRequestKey(alice.cosmwasm, alice.address, config().contracts.keyring, {
      workspaceId,
      keyringId,
      keyType: "eddsa_ed25519",
    });
    await setFees(bob, keyringId, { key: KEY_FEE + 1n });
    const before = await account(alice);
    await assert.rejects(
      execute(alice.mpc, prepared),
      refusal("fee_above_max", new RegExp(`fee ${KEY_FEE + 1n}\\w+ is above max_fee ${KEY_FEE}\\w+`)),
    );
    assert.deepEqual(await account(alice), before);
  }),
);
