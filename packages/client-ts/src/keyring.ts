// The keyring: keyrings, key requests (paid, with `max_fee`) and keys.
import type { Coin } from "@cosmjs/amino";
import { MpcKeyringMsgComposer } from "./generated/mpc-keyring/MpcKeyring.message-composer.js";
import type {
  ExecuteMsg,
  FeeResponse,
  KeyRequestResponse,
  KeyResponse,
  KeyType,
} from "./generated/mpc-keyring/MpcKeyring.types.js";
import type { QueryChain } from "./chain.js";
import { query } from "./broadcast.js";
import { feePayment, withMaxFee, type FeePolicy } from "./fees.js";
import { executeContractMsg, preparedWithId, type Prepared } from "./prepared.js";
import type { AddressesResponse } from "./payloads.js";

/**
 * `request_key` as sent. The generated type has `max_fee` (the schema committed here does); the
 * intersection, from before it had, is a no-op.
 */
export type RequestKeyMsg = Extract<ExecuteMsg, { request_key: unknown }>["request_key"] & {
  max_fee?: Coin[] | null;
};

export async function keyRequestFee(chain: QueryChain, keyring: string, keyringId: number): Promise<Coin[]> {
  return (await query<FeeResponse>(chain, keyring, { key_request_fee: { keyring_id: keyringId } })).fee;
}

export async function getKey(chain: QueryChain, keyring: string, keyId: number): Promise<KeyResponse> {
  return query<KeyResponse>(chain, keyring, { key: { key_id: keyId } });
}

/**
 * The keyring's `addresses { key_id, bech32_prefix }`: the key's EVM, Cosmos (given a prefix)
 * and Bitcoin addresses (secp256k1), or its Solana address (ed25519), as the contract derives
 * them. A keyring older than 0.4.0 refuses the query.
 */
export async function keyAddresses(
  chain: QueryChain,
  keyring: string,
  keyId: number,
  bech32Prefix?: string,
): Promise<AddressesResponse> {
  return query<AddressesResponse>(chain, keyring, { addresses: { key_id: keyId, bech32_prefix: bech32Prefix ?? null } });
}

export async function getKeyRequest(
  chain: QueryChain,
  keyring: string,
  requestId: number,
): Promise<KeyRequestResponse> {
  return query<KeyRequestResponse>(chain, keyring, { key_request: { request_id: requestId } });
}

export interface CreateKeyringArgs {
  readonly description?: string;
  readonly parties: readonly string[];
  readonly partyThreshold: number;
  readonly keyRequestFee?: readonly Coin[];
  readonly signatureRequestFee?: readonly Coin[];
}

/** `create_keyring`; answers `{"keyring_id": n}`. */
export function prepareCreateKeyring(sender: string, keyring: string, args: CreateKeyringArgs): Prepared<number> {
  const message = new MpcKeyringMsgComposer(sender, keyring).createKeyring({
    description: args.description ?? "",
    parties: [...args.parties],
    partyThreshold: args.partyThreshold,
    keyReqFee: [...(args.keyRequestFee ?? [])],
    sigReqFee: [...(args.signatureRequestFee ?? [])],
  });
  return preparedWithId(message, "keyring_id");
}

export interface RequestKeyArgs {
  readonly workspaceId: number;
  readonly keyringId: number;
  readonly keyType: KeyType;
  readonly timeoutBlocks?: number;
  /** Default `"current"`: pay the fee looked up now, as `max_fee`. */
  readonly fee?: FeePolicy;
}

/** `request_key` paying the keyring's fee; answers `{"request_id": n}` (a key request id). */
export async function prepareRequestKey(
  chain: QueryChain,
  sender: string,
  keyring: string,
  args: RequestKeyArgs,
): Promise<Prepared<number>> {
  const payment = await feePayment(args.fee ?? "current", () => keyRequestFee(chain, keyring, args.keyringId));
  const msg: RequestKeyMsg = withMaxFee(
    {
      workspace_id: args.workspaceId,
      keyring_id: args.keyringId,
      key_type: args.keyType,
      timeout_blocks: args.timeoutBlocks ?? null,
    },
    payment,
  );
  return preparedWithId(executeContractMsg(sender, keyring, { request_key: msg }, payment.funds), "request_id");
}
