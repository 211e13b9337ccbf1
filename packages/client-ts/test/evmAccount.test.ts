// The viem account on an MPC key, through the whole layer (payload request, wait, verification
// with recovery ids) on the fake chain, whose fake "MPC" signs with a local secp256k1 key
// (test/fakeChain.ts; that fake exists only in the unit tests). viem's own verifiers must accept
// what the account assembles, and a local EVM node (anvil) the transactions it signs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { fromBase64, toHex } from "@cosmjs/encoding";
import {
  bytesToHex,
  hexToBytes,
  keccak256,
  parseEther,
  parseGwei,
  parseTransaction,
  recoverTransactionAddress,
  serializeTransaction,
  verifyMessage,
  verifyTypedData,
  type TransactionSerialized,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { InvalidSignature, MpcClient, MpcError, SigningFailed, mpcAccount, parseTypedData } from "../src/index.js";
import { CONTRACTS, FakeMpc } from "./fakeChain.js";
import { sendOnAnvil } from "./anvil.js";
import { EIP155_PRIVATE_KEY, EIP155_SIGNED, EIP155_TX, MAIL_DIGEST, MAIL_JSON } from "./vectors.js";

const WAIT = { pollIntervalMs: 5, timeoutMs: 5_000 };

async function setup(privateKey = new Uint8Array(randomBytes(32))) {
  const mpc = new FakeMpc(privateKey);
  const client = new MpcClient(mpc.chain, "wasm1owner", { contracts: CONTRACTS });
  const account = await mpcAccount({ client, keyId: 7, wait: WAIT });
  return { mpc, account, local: privateKeyToAccount(bytesToHex(privateKey)) };
}

/** The payloads of the last request the fake contract received. */
function lastPayloads(mpc: FakeMpc) {
  return [...mpc.requests.values()].at(-1)!.payloads!;
}

test("the account's address and public key are the key's, as a local viem account with the same key has them", async () => {
  const { account, local } = await setup();
  assert.equal(account.address, local.address);
  assert.equal(account.publicKey, local.publicKey);
  assert.equal(account.type, "local");
  assert.equal(account.source, "mpc");
  assert.equal(account.keyId, 7);
  assert.equal(account.sign, undefined, "no blind signing of bare hashes");
});

test("signMessage sends an eip191 payload of the message; viem's verifyMessage accepts the signature", async () => {
  const { mpc, account, local } = await setup();
  const signature = await account.signMessage({ message: "hello world" });
  assert.ok(await verifyMessage({ address: account.address, message: "hello world", signature }));
  // deterministic (RFC 6979): the very signature a local key makes
  assert.equal(signature, await local.signMessage({ message: "hello world" }));
  const [payload] = lastPayloads(mpc);
  assert.deepEqual({ hash: payload!.hash, data: new TextDecoder().decode(fromBase64(payload!.data)) }, { hash: "eip191", data: "hello world" });

  const raw = { raw: "0xdeadbeef" } as const;
  assert.ok(await verifyMessage({ address: account.address, message: raw, signature: await account.signMessage({ message: raw }) }));
});

test("signTypedData sends the typed data as JSON with its digest; viem's verifyTypedData accepts the signature", async () => {
  const { mpc, account, local } = await setup();
  const typedData = {
    domain: { name: "Ether Mail", version: "1", chainId: 1, verifyingContract: "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC" },
    types: {
      Person: [{ name: "name", type: "string" }, { name: "wallet", type: "address" }],
      Mail: [{ name: "from", type: "Person" }, { name: "to", type: "Person" }, { name: "contents", type: "string" }, { name: "amount", type: "uint256" }],
    },
    primaryType: "Mail",
    message: {
      from: { name: "Cow", wallet: "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826" },
      to: { name: "Bob", wallet: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB" },
      contents: "Hello, Bob!",
      amount: 2n ** 200n,
    },
  } as const;
  const signature = await account.signTypedData(typedData);
  assert.ok(await verifyTypedData({ address: account.address, ...typedData, signature }));
  assert.equal(signature, await local.signTypedData(typedData));
  const [payload] = lastPayloads(mpc);
  assert.equal(payload!.hash, "eip712");
  const sent = parseTypedData(fromBase64(payload!.data)) as unknown as { message: { amount: string } };
  assert.equal(sent.message.amount, (2n ** 200n).toString(), "approvers read the fields, bigints as decimal text");

  // the EIP's own example, as JSON, signs over its published digest
  const mail = JSON.parse(MAIL_JSON);
  const mailSignature = await account.signTypedData(mail);
  assert.equal(toHex(fromBase64(lastPayloads(mpc)[0]!.digest!)), MAIL_DIGEST);
  assert.ok(await verifyTypedData({ address: account.address, ...mail, signature: mailSignature }));
});

test("signTransaction: EIP-155's example transaction, signed with its key, is the published signed transaction", async () => {
  const { mpc, account } = await setup(EIP155_PRIVATE_KEY);
  const signed = await account.signTransaction(EIP155_TX);
  assert.equal(signed, EIP155_SIGNED);
  assert.equal(await recoverTransactionAddress({ serializedTransaction: signed as TransactionSerialized }), account.address);
  const [payload] = lastPayloads(mpc);
  assert.equal(payload!.hash, "keccak256");
  assert.equal(bytesToHex(fromBase64(payload!.data)), serializeTransaction(EIP155_TX), "the unsigned serialisation is the payload");
});

test("signTransaction: an EIP-1559 transaction recovers to the account, and is what a local key signs", async () => {
  // anvil's first development key (a fixed key: RFC 6979 makes the parities below fixed too)
  const { account, local } = await setup(new Uint8Array(hexToBytes("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")));
  const tx = {
    type: "eip1559",
    chainId: 31337,
    nonce: 0,
    to: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    value: parseEther("1.5"),
    gas: 21_000n,
    maxFeePerGas: parseGwei("20"),
    maxPriorityFeePerGas: parseGwei("1"),
    data: "0x1234",
  } as const;
  // several at once: requests in flight together, and both yParity values among them
  const signed = await Promise.all([0, 1, 2, 3, 4, 5].map((nonce) => account.signTransaction({ ...tx, nonce })));
  assert.deepEqual(new Set(signed.map((serialized) => parseTransaction(serialized as TransactionSerialized).yParity)), new Set([0, 1]));
  for (const [nonce, serialized] of signed.entries()) {
    assert.equal(await recoverTransactionAddress({ serializedTransaction: serialized as TransactionSerialized }), account.address);
    assert.equal(serialized, await local.signTransaction({ ...tx, nonce }));
    const parsed = parseTransaction(serialized);
    assert.equal(parsed.nonce, nonce);
    assert.equal(parsed.value, tx.value);
  }
});

test("a recovery id that does not recover the key is an InvalidSignature, not a wrong transaction", async () => {
  const { mpc, account } = await setup();
  mpc.flipRecoveryIds = true;
  await assert.rejects(account.signMessage({ message: "x" }), (e: unknown) => e instanceof InvalidSignature && /recovers another key/.test(e.message));
  await assert.rejects(account.signTransaction(EIP155_TX), InvalidSignature);
});

test("items that are not the payloads' digests are an InvalidSignature (the client hashes for itself)", async () => {
  const { mpc, account } = await setup();
  mpc.autoSettle = 0;
  const signing = account.signMessage({ message: "pay 1 to carol" });
  setTimeout(() => {
    const [id, record] = [...mpc.requests.entries()].at(-1)!;
    // a contract that stored (and had signed) the hash of another message
    const other = keccak256(new TextEncoder().encode("pay 1000 to mallory"), "bytes");
    record.items = [Buffer.from(other).toString("base64")];
    mpc.settle(id);
  }, 20);
  await assert.rejects(signing, (e: unknown) => e instanceof InvalidSignature && /is not the payload's digest/.test(e.message));
});

test("a rejected request fails with SigningFailed; an EdDSA key is refused as an EVM account", async () => {
  const { mpc, account } = await setup();
  mpc.autoSettle = 0;
  const signing = account.signMessage({ message: "x" });
  setTimeout(() => mpc.settle([...mpc.requests.keys()].at(-1)!, "rejected"), 20);
  await assert.rejects(signing, (e: unknown) => e instanceof SigningFailed && e.status === "rejected");

  const client = new MpcClient(mpc.chain, "wasm1owner", { contracts: CONTRACTS });
  const eddsaKey = { getKey: async (keyId: number) => ({ ...(await client.getKey(keyId)), key_type: "eddsa_ed25519" as const }) };
  await assert.rejects(mpcAccount({ client: { ...eddsaKey, signPayloads: () => assert.fail("nothing is signed") }, keyId: 7 }), (e: unknown) =>
    e instanceof MpcError && /eddsa_ed25519; an EVM account needs an ecdsa_secp256k1 key/.test(e.message));
});

test("through viem's wallet client, the account's EIP-1559 transaction is accepted and included by anvil", async () => {
  const { account } = await setup();
  const to = "0x2222222222222222222222222222222222222222";
  const sent = await sendOnAnvil(account, to, parseEther("1.25"));
  assert.equal(sent.receipt.status, "success");
  assert.equal(sent.receipt.from, account.address.toLowerCase());
  assert.equal(sent.type, "eip1559");
  assert.equal(sent.received, parseEther("1.25"));
});
