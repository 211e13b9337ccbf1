// What the end-to-end tests share: the local chain (or the reason they are skipped), the two
// funded owners connected as the quickstart connects them (a cosmjs SigningCosmWasmClient, an
// MpcClient with a websocket event source, the package's default waits), a workspace and a key
// made from TypeScript. Each test makes its own workspace (and key), so none depends on another.
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import {
  CometEventSource,
  MpcClient,
  type KeyringTypes,
  type WorkspaceTypes,
} from "../../src/index.js";
import type { QuickstartConfig } from "../../examples/quickstart.js";
import { localChain } from "./localChain.js";

const chain = localChain();

/** For `test(name, { skip }, ...)`: the reason to skip when no local chain is given. */
export const skip: string | false = typeof chain === "string" ? chain : false;

/** The local chain's config; only called by a test that is not skipped. */
export function config(): QuickstartConfig {
  if (typeof chain === "string") throw new Error(chain);
  return chain;
}

/** The denom gas is paid in (the gas price's), which the tests' fees use too. */
export function feeDenom(): string {
  return GasPrice.fromString(config().gasPrice).denom;
}

export interface Owner {
  readonly address: string;
  /** The account's own cosmjs client (bank sends, balances, sequence). */
  readonly cosmwasm: SigningCosmWasmClient;
  readonly mpc: MpcClient;
}

/**
 * The two funded accounts of the local chain as `alice` and `bob`, given to `body` and
 * disconnected after it (cosmjs keeps a timer per client until then).
 */
export async function withOwners<T>(body: (alice: Owner, bob: Owner) => Promise<T>): Promise<T> {
  const { mnemonics } = config();
  const clients: SigningCosmWasmClient[] = [];
  try {
    const [alice, bob] = await Promise.all(
      mnemonics.map(async (mnemonic) => {
        const owner = await connect(mnemonic);
        clients.push(owner.cosmwasm);
        return owner;
      }),
    );
    return await body(alice!, bob!);
  } finally {
    clients.forEach((client) => client.disconnect());
  }
}

async function connect(mnemonic: string): Promise<Owner> {
  const { rpc, websocket, prefix, gasPrice, contracts } = config();
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix });
  const [{ address }] = await wallet.getAccounts();
  const cosmwasm = await SigningCosmWasmClient.connectWithSigner(rpc, wallet, {
    gasPrice: GasPrice.fromString(gasPrice),
  });
  const mpc = new MpcClient(cosmwasm, address, { contracts, events: new CometEventSource(websocket) });
  return { address, cosmwasm, mpc };
}

/** A workspace of `owner` and `others`, every signature needing `signers` of them (default: any one). */
export function workspace(owner: Owner, others: readonly Owner[] = [], signers = 1): Promise<number> {
  const signPolicy: WorkspaceTypes.Policy = { owners: { threshold: signers } };
  return owner.mpc.createWorkspace({ additionalOwners: others.map((o) => o.address), signPolicy });
}

/** A key of `keyType` for the workspace from the local chain's keyring (its connectors run the DKG). */
export async function mpcKey(
  owner: Owner,
  workspaceId: number,
  keyType: KeyringTypes.KeyType,
): Promise<KeyringTypes.KeyResponse> {
  const keyringId = config().keyringId;
  const requestId = await owner.mpc.requestKey({ workspaceId, keyringId, keyType });
  const request = await owner.mpc.waitForKeyRequest(requestId);
  if (request.status !== "fulfilled" || request.key_id == null) {
    throw new Error(`key request ${requestId} ended ${request.status}: ${request.reject_reason ?? ""}`);
  }
  return owner.mpc.getKey(request.key_id);
}

/** `address`'s balance in `denom`, as a bigint. */
export async function balance(owner: Owner, address: string, denom = feeDenom()): Promise<bigint> {
  return BigInt((await owner.cosmwasm.getBalance(address, denom)).amount);
}
