// An EVM account controlled by an MPC key, end to end: the viem account (`mpcAccount`) on the local
// chain's real parties, and a local EVM node (anvil, from @foundry-rs/anvil). The key's EVM address
// is the keyring's, a funded EIP-1559 transaction is included by the node with that address as its
// sender, and viem's own verifiers accept signMessage and signTypedData. Each signature is a
// payload request: the contract hashed the transaction, message or typed data it stores.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseEther, verifyMessage, verifyTypedData } from "viem";
import { mpcAccount, parseTypedData } from "../../src/index.js";
import { sendOnAnvil } from "../anvil.js";
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

    const to = "0x2222222222222222222222222222222222222222";
    const sent = await sendOnAnvil(account, to, parseEther("1.25"));
    assert.equal(sent.receipt.status, "success");
    assert.equal(sent.receipt.from, account.address.toLowerCase(), "sent from the key's address");
    assert.equal(sent.type, "eip1559");
    assert.equal(sent.received, parseEther("1.25"));
    assert.equal(sent.senderNonce, 1);

    const message = "approve the MPC account's first message";
    const signature = await account.signMessage({ message });
    assert.ok(await verifyMessage({ address: account.address, message, signature }), "viem's verifyMessage");

    const typedSignature = await account.signTypedData(MAIL);
    assert.ok(await verifyTypedData({ address: account.address, ...MAIL, signature: typedSignature }), "viem's verifyTypedData");
  }),
);
