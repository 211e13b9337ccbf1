// A Cosmos transaction signed with an MPC key: a bank send from the key's own address, signed
// through `MpcDirectSigner` (a cosmjs OfflineDirectSigner) and broadcast with cosmjs's
// SigningStargateClient, as a dApp does with any wallet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { toBech32, fromBase64 } from "@cosmjs/encoding";
import { decodePubkey } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { AuthInfo, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { MpcDirectSigner, cosmosAddress } from "../../src/index.js";
import { balance, config, feeDenom, mpcKey, skip, withOwners, workspace } from "./setup.js";

test("a bank send signed by an MPC key through MpcDirectSigner is included, sent from the key's address", { skip, timeout: 300_000 }, () =>
  withOwners(async (alice) => {
    const { rpc, prefix, gasPrice } = config();
    const denom = feeDenom();
    // alice alone owns the workspace (sign policy: any one owner), so signing needs no approval.
    const workspaceId = await workspace(alice);
    const key = await mpcKey(alice, workspaceId, "ecdsa_secp256k1");
    const signer = await MpcDirectSigner.fromKey(alice.mpc, key.id, prefix);
    const [account] = await signer.getAccounts();
    assert.equal(account!.address, cosmosAddress(fromBase64(key.public_key), prefix));

    // The key's address gets funds for the amount and the gas fee from alice.
    await alice.cosmwasm.sendTokens(alice.address, signer.address, [{ denom, amount: "1000000" }], "auto");
    assert.equal(await balance(alice, signer.address), 1_000_000n);

    const recipient = toBech32(prefix, new Uint8Array(randomBytes(20))); // a fresh account
    const client = await SigningStargateClient.connectWithSigner(rpc, signer, { gasPrice: GasPrice.fromString(gasPrice) });
    try {
      const result = await client.sendTokens(signer.address, recipient, [{ denom, amount: "12345" }], "auto", "signed by MPC");
      assert.equal(result.code, 0, result.rawLog);
      assert.equal(await balance(alice, recipient), 12_345n, "the recipient got the amount");

      // The included transaction names the key's address as sender and carries the MPC key.
      const tx = await client.getTx(result.transactionHash);
      assert.ok(tx, "the transaction is on the chain");
      assert.equal(tx.code, 0);
      const transfers = tx.events
        .filter((e) => e.type === "transfer")
        .map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
      assert.ok(
        transfers.some((t) => t.sender === signer.address && t.recipient === recipient && t.amount === `12345${denom}`),
        `a transfer of the amount from the key's address: ${JSON.stringify(transfers)}`,
      );
      const [signerInfo] = AuthInfo.decode(TxRaw.decode(tx.tx).authInfoBytes).signerInfos;
      assert.deepEqual(decodePubkey(signerInfo!.publicKey!), { type: "tendermint/PubKeySecp256k1", value: key.public_key });

      // The key's account paid the amount and the gas fee, nothing else.
      const [fee] = AuthInfo.decode(TxRaw.decode(tx.tx).authInfoBytes).fee!.amount;
      assert.equal(fee!.denom, denom);
      assert.equal(await balance(alice, signer.address), 1_000_000n - 12_345n - BigInt(fee!.amount));
    } finally {
      client.disconnect();
    }
  }),
);
