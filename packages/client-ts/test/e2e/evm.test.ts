// An EVM account controlled by an MPC key, end to end: the viem account (`mpcAccount`) on the local
// chain's real parties, and a local EVM node (anvil, from @foundry-rs/anvil). The key's EVM address
// is the keyring's, a funded EIP-1559 transaction is included by the node with that address as its
// sender, and viem's own verifiers accept signMessage and signTypedData. Each signature is a
// payload request: the contract hashed the transaction, message or typed data it stores.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createTestClient,
  createWalletClient,
  http,
  parseEther,
  publicActions,
  verifyMessage,
  verifyTypedData,
} from "viem";
import { foundry } from "viem/chains";
import { mpcAccount, parseTypedData } from "../../src/index.js";
import { startAnvil } from "../anvil.js";
import { MAIL_JSON } from "../vectors.js";
import { mpcKey, skip, withOwners, workspace } from "./setup.js";

// EIP-712's own example (the Mail type).
const MAIL = parseTypedData(MAIL_JSON);

test("an MPC key's viem account: its EIP-1559 transaction is included by anvil from the key's address; signMessage and signTypedData verify", { skip, timeout: 600_000 }, () =>
  withOwners(async (alice) => {
    // alice alone owns the workspace (any one owner signs), so no approval is awaited.
    const key = await mpcKey(alice, await workspace(alice), "ecdsa_secp256k1");
    const account = await mpcAccount({ client: alice.mpc, keyId: key.id });
    const addresses = await alice.mpc.keyAddresses(key.id);
    assert.equal(account.address, addresses.evm, "the account's address is the keyring's EVM address");

    const anvil = await startAnvil();
    try {
      const node = createTestClient({ mode: "anvil", chain: foundry, transport: http(anvil.url) }).extend(publicActions);
      await node.setBalance({ address: account.address, value: parseEther("10") });
      const wallet = createWalletClient({ account, chain: foundry, transport: http(anvil.url) });
      const to = "0x2222222222222222222222222222222222222222";
      const hash = await wallet.sendTransaction({ to, value: parseEther("1.25") });
      const receipt = await node.waitForTransactionReceipt({ hash });
      assert.equal(receipt.status, "success");
      assert.equal(receipt.from, account.address.toLowerCase(), "sent from the key's address");
      assert.equal((await node.getTransaction({ hash })).type, "eip1559");
      assert.equal(await node.getBalance({ address: to }), parseEther("1.25"));
      assert.equal(await node.getTransactionCount({ address: account.address }), 1);
    } finally {
      await anvil.stop();
    }

    const message = "approve the MPC account's first message";
    const signature = await account.signMessage({ message });
    assert.ok(await verifyMessage({ address: account.address, message, signature }), "viem's verifyMessage");

    const typedSignature = await account.signTypedData(MAIL);
    assert.ok(await verifyTypedData({ address: account.address, ...MAIL, signature: typedSignature }), "viem's verifyTypedData");
  }),
);
