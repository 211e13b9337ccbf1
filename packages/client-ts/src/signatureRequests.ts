// Signature requests: making one (paid, with `max_fee`), voting on one, reading them.
import type { Coin } from "@cosmjs/amino";
import { toBase64 } from "@cosmjs/encoding";
import { MpcSignatureRequestsMsgComposer } from "./generated/mpc-signature-requests/MpcSignatureRequests.message-composer.js";
import type {
  ExecuteMsg,
  SignatureRequestResponse,
  InboxCursor,
  RequestsAwaitingApproverResponse,
  SignatureRequestSummary,
} from "./generated/mpc-signature-requests/MpcSignatureRequests.types.js";
import type { FeeResponse } from "./generated/mpc-keyring/MpcKeyring.types.js";
import type { QueryChain } from "./chain.js";
import { query } from "./broadcast.js";
import { feePayment, withMaxFee, type FeePolicy } from "./fees.js";
import { executeContractMsg, preparedPlain, preparedWithId, type Prepared } from "./prepared.js";
import { checkPayload, type Payload, type PayloadBytes, type RequestPayloadSignatureMsg } from "./payloads.js";

/**
 * `request_signature` as sent. The generated type has `max_fee` (the schema committed here
 * does); the intersection, from before it had, is a no-op.
 */
export type RequestSignatureMsg = Extract<ExecuteMsg, { request_signature: unknown }>["request_signature"] & {
  max_fee?: Coin[] | null;
};

/** The keyring's `signature_request_fee { key_id }`: the coins a request with the key costs now. */
export async function signatureRequestFee(chain: QueryChain, keyring: string, keyId: number): Promise<Coin[]> {
  return (await query<FeeResponse>(chain, keyring, { signature_request_fee: { key_id: keyId } })).fee;
}

export async function getSignatureRequest(
  chain: QueryChain,
  signatureRequests: string,
  requestId: number,
): Promise<SignatureRequestResponse> {
  return query<SignatureRequestResponse>(chain, signatureRequests, { request: { request_id: requestId } });
}

export interface RequestSignatureArgs {
  readonly keyId: number;
  /**
   * ECDSA: 32-byte hashes; EdDSA: messages (1 to 1024 bytes). At most 16. An ECDSA hash is blind
   * signing: the contract, the approvers and the parties see only the hash, not what it is of;
   * `RequestPayloadSignatureArgs` sends the payload and lets the contract hash it.
   */
  readonly items: readonly Uint8Array[];
  readonly approvalTimeoutBlocks?: number;
  readonly mpcTimeoutBlocks?: number;
  /** Only for a contract sender that receives `CallbackMsg` (default false). */
  readonly callback?: boolean;
  /** Default `"current"`: pay the fee looked up now, as `max_fee`. */
  readonly fee?: FeePolicy;
}

/** `request_signature` paying the key's fee; answers `{"request_id": n}`. */
export async function prepareRequestSignature(
  chain: QueryChain,
  sender: string,
  contracts: { readonly keyring: string; readonly signatureRequests: string },
  args: RequestSignatureArgs,
): Promise<Prepared<number>> {
  const payment = await feePayment(args.fee ?? "current", () =>
    signatureRequestFee(chain, contracts.keyring, args.keyId),
  );
  const msg: RequestSignatureMsg = withMaxFee(
    {
      key_id: args.keyId,
      items: args.items.map((item) => toBase64(item)),
      approval_timeout_blocks: args.approvalTimeoutBlocks ?? null,
      mpc_timeout_blocks: args.mpcTimeoutBlocks ?? null,
      callback: args.callback ?? false,
    },
    payment,
  );
  const message = executeContractMsg(sender, contracts.signatureRequests, { request_signature: msg }, payment.funds);
  return preparedWithId(message, "request_id");
}

export interface RequestPayloadSignatureArgs {
  readonly keyId: number;
  /**
   * What to sign and how the contract hashes it (an ECDSA secp256k1 key only). An eip712 payload
   * without `digest` gets it here (`hashTypedData` of its JSON); with one, it must match.
   */
  readonly payloads: readonly (Payload | PayloadBytes)[];
  readonly approvalTimeoutBlocks?: number;
  readonly mpcTimeoutBlocks?: number;
  /** Only for a contract sender that receives `CallbackMsg` (default false). */
  readonly callback?: boolean;
  /** Default `"current"`: pay the fee looked up now, as `max_fee`. */
  readonly fee?: FeePolicy;
}

/**
 * `request_payload_signature` paying the key's fee (the same fee as `request_signature`);
 * answers `{"request_id": n}`. Payloads are checked first (`InvalidPayload`), before the fee
 * is looked up.
 */
export async function prepareRequestPayloadSignature(
  chain: QueryChain,
  sender: string,
  contracts: { readonly keyring: string; readonly signatureRequests: string },
  args: RequestPayloadSignatureArgs,
): Promise<Prepared<number>> {
  const payloads = args.payloads.map((payload, index) => checkPayload(payload, index));
  const payment = await feePayment(args.fee ?? "current", () =>
    signatureRequestFee(chain, contracts.keyring, args.keyId),
  );
  const msg: RequestPayloadSignatureMsg = withMaxFee(
    {
      key_id: args.keyId,
      payloads,
      approval_timeout_blocks: args.approvalTimeoutBlocks ?? null,
      mpc_timeout_blocks: args.mpcTimeoutBlocks ?? null,
      callback: args.callback ?? false,
    },
    payment,
  );
  const message = executeContractMsg(sender, contracts.signatureRequests, { request_payload_signature: msg }, payment.funds);
  return preparedWithId(message, "request_id");
}

export function prepareApprove(sender: string, signatureRequests: string, requestId: number): Prepared<void> {
  return preparedPlain(new MpcSignatureRequestsMsgComposer(sender, signatureRequests).approve({ requestId }));
}

export function prepareReject(sender: string, signatureRequests: string, requestId: number): Prepared<void> {
  return preparedPlain(new MpcSignatureRequestsMsgComposer(sender, signatureRequests).reject({ requestId }));
}

/** `execute`: turns `pending` a request that a policy change alone satisfied (anyone may send it). */
export function prepareExecute(sender: string, signatureRequests: string, requestId: number): Prepared<void> {
  return preparedPlain(new MpcSignatureRequestsMsgComposer(sender, signatureRequests).execute({ requestId }));
}

/** `cancel`: the requester withdraws its `partial` request; its fee is refunded. */
export function prepareCancel(sender: string, signatureRequests: string, requestId: number): Prepared<void> {
  return preparedPlain(new MpcSignatureRequestsMsgComposer(sender, signatureRequests).cancel({ requestId }));
}

/**
 * Every open request `approver` may still approve or reject (all pages): by workspace, most
 * urgent first within each. The contract computes the list when asked, over the approver's
 * workspaces, and a page may stop short of `pageSize` (it reads a bounded number of entries):
 * pages follow `next` until it is null (see the repository README).
 */
export async function requestsAwaitingApprover(
  chain: QueryChain,
  signatureRequests: string,
  approver: string,
  pageSize = 100,
): Promise<SignatureRequestSummary[]> {
  const all: SignatureRequestSummary[] = [];
  for (let startAfter: InboxCursor | null = null; ; ) {
    const { requests, next }: RequestsAwaitingApproverResponse = await query<RequestsAwaitingApproverResponse>(
      chain,
      signatureRequests,
      { requests_awaiting_approver: { approver, start_after: startAfter, limit: pageSize } },
    );
    all.push(...requests);
    if (next == null) return all;
    startAfter = next;
  }
}
