// Quickstart: two owners, a 2-of-2 sign policy, a key from the MPC keyring, one signature
// request approved by the second owner, waited for and verified. The README shows this file;
// test/e2e/quickstart.test.ts runs it against a local chain.
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { sha256 } from "@noble/hashes/sha2";
import { CometEventSource, MpcClient, keyEncodings, verifyRequestSignatures, type MpcContracts } from "@mpc-suite/client";

export interface QuickstartConfig {
  rpc: string; // e.g. http://127.0.0.1:26657
  websocket: string; // e.g. ws://127.0.0.1:26657/websocket
  prefix: string; // bech32 prefix, e.g. wasm
  gasPrice: string; // e.g. 0.025ustake
  contracts: MpcContracts;
  keyringId: number; // a keyring whose parties' connectors are running
  mnemonics: [string, string]; // two funded accounts: the owners
}

export async function quickstart(config: QuickstartConfig) {
  // One MpcClient per owner, each with its own cosmjs SigningCosmWasmClient.
  const chains: SigningCosmWasmClient[] = [];
  const owners = await Promise.all(
    config.mnemonics.map(async (mnemonic) => {
      const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: config.prefix });
      const [{ address }] = await wallet.getAccounts();
      const chain = await SigningCosmWasmClient.connectWithSigner(config.rpc, wallet, {
        gasPrice: GasPrice.fromString(config.gasPrice),
      });
      chains.push(chain);
      const events = new CometEventSource(config.websocket);
      return new MpcClient(chain, address, { contracts: config.contracts, events });
    }),
  );
  const [alice, bob] = owners as [MpcClient, MpcClient];
  try {
    return await walkthrough(config, alice, bob);
  } finally {
    // cosmjs polls an HTTP endpoint with a timer until its client is disconnected: without
    // this, a script never exits.
    chains.forEach((chain) => chain.disconnect());
  }
}

async function walkthrough(config: QuickstartConfig, alice: MpcClient, bob: MpcClient) {

  // 1. A workspace owned by both; every signature needs both.
  const workspaceId = await alice.createWorkspace({
    additionalOwners: [bob.sender],
    signPolicy: { owners: { threshold: 2 } },
  });

  // 2. A key: the keyring's parties run distributed key generation.
  const keyRequestId = await alice.requestKey({ workspaceId, keyringId: config.keyringId, keyType: "ecdsa_secp256k1" });
  // The package's default wait (10 minutes): a first ECDSA key makes the parties' aux info too.
  const keyRequest = await alice.waitForKeyRequest(keyRequestId);
  if (keyRequest.status !== "fulfilled" || keyRequest.key_id == null) throw new Error(`key request ${keyRequest.status}`);
  const key = await alice.getKey(keyRequest.key_id);
  console.log("key", keyEncodings(key.key_type, Buffer.from(key.public_key, "base64"), config.prefix));

  // 3. Alice asks for a signature of a 32-byte hash, paying the fee it looks up (as max_fee).
  const hash = sha256(new TextEncoder().encode("pay 10 to carol"));
  const requestId = await alice.requestSignature({ keyId: key.id, items: [hash] });

  // 4. Bob finds it among what awaits him and approves.
  const awaiting = await bob.requestsAwaitingApprover(bob.sender);
  if (!awaiting.some((r) => r.id === requestId)) throw new Error("request not awaiting bob");
  await bob.approve(requestId);

  // 5. Wait for the parties, then check the signature locally against the key.
  const { status, request } = await alice.waitForFinal(requestId);
  if (status !== "fulfilled") throw new Error(`signature request ${status}: ${request.reject_reason}`);
  const [signature] = verifyRequestSignatures(request);
  console.log("signature", Buffer.from(signature!).toString("hex"));
  return { workspaceId, keyId: key.id, requestId, signature: signature! };
}
