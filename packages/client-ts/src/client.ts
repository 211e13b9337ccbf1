// One object for a dApp: the chain, the sender and the contracts bound once, every operation of
// the layer as a method (each method delegates to the module that does the job).
import type { KeyRequestResponse, KeyResponse } from "./generated/mpc-keyring/MpcKeyring.types.js";
import type {
  SignatureRequestResponse,
  SignatureRequestSummary,
} from "./generated/mpc-signature-requests/MpcSignatureRequests.types.js";
import type { MpcContracts, QueryChain, SigningChain, TxOptions } from "./chain.js";
import { Attr, EventType } from "./events.js";
import type { ContractEventSource } from "./eventSource.js";
import { SigningFailed } from "./errors.js";
import { execute } from "./prepared.js";
import { prepareCreateWorkspace, type CreateWorkspaceArgs } from "./workspace.js";
import {
  getKey,
  getKeyRequest,
  keyAddresses,
  prepareCreateKeyring,
  prepareRequestKey,
  type CreateKeyringArgs,
  type RequestKeyArgs,
} from "./keyring.js";
import {
  getSignatureRequest,
  prepareApprove,
  prepareCancel,
  prepareExecute,
  prepareReject,
  prepareRequestPayloadSignature,
  prepareRequestSignature,
  requestsAwaitingApprover,
  signatureRequestFee,
  type RequestPayloadSignatureArgs,
  type RequestSignatureArgs,
} from "./signatureRequests.js";
import { waitUntilFinal, type WaitOptions } from "./wait.js";
import { verifyPayloadSignatures, verifyRequestSignatures, type PayloadSignature } from "./verify.js";
import { checkPayload, type AddressesResponse, type Payload, type PayloadBytes, type PayloadRequestRecord } from "./payloads.js";

export type FinalStatus = "fulfilled" | "rejected" | "expired";
const FINAL: ReadonlySet<string> = new Set<FinalStatus>(["fulfilled", "rejected", "expired"]);

export interface FinalRequest {
  readonly status: FinalStatus;
  readonly request: SignatureRequestResponse;
}

export interface MpcClientOptions {
  readonly contracts: MpcContracts;
  /** Pushes contract events (e.g. `new CometEventSource("ws://localhost:26657/websocket")`); absent: waits poll. */
  readonly events?: ContractEventSource;
}

/** Queries only: any `CosmWasmClient`. */
export class MpcQueryClient {
  readonly contracts: MpcContracts;
  readonly events: ContractEventSource | undefined;

  constructor(readonly chain: QueryChain, options: MpcClientOptions) {
    this.contracts = options.contracts;
    this.events = options.events;
  }

  getKey(keyId: number): Promise<KeyResponse> {
    return getKey(this.chain, this.contracts.keyring, keyId);
  }

  /** The keyring's `addresses` query: the key's addresses on other chains (`bech32Prefix` for Cosmos). */
  keyAddresses(keyId: number, bech32Prefix?: string): Promise<AddressesResponse> {
    return keyAddresses(this.chain, this.contracts.keyring, keyId, bech32Prefix);
  }

  getKeyRequest(requestId: number): Promise<KeyRequestResponse> {
    return getKeyRequest(this.chain, this.contracts.keyring, requestId);
  }

  getRequest(requestId: number): Promise<SignatureRequestResponse> {
    return getSignatureRequest(this.chain, this.contracts.signatureRequests, requestId);
  }

  signatureRequestFee(keyId: number) {
    return signatureRequestFee(this.chain, this.contracts.keyring, keyId);
  }

  /** Open requests that `approver` may still approve or reject, most urgent first. */
  requestsAwaitingApprover(approver: string, pageSize?: number): Promise<SignatureRequestSummary[]> {
    return requestsAwaitingApprover(this.chain, this.contracts.signatureRequests, approver, pageSize);
  }

  /**
   * Waits until signature request `requestId` is fulfilled, rejected or expired; the record
   * then (for `fulfilled`, with its signatures, unverified: see `verifyRequestSignatures`).
   */
  async waitForFinal(requestId: number, options?: WaitOptions): Promise<FinalRequest> {
    const request = await waitUntilFinal(
      {
        load: () => this.getRequest(requestId),
        isFinal: (record) => FINAL.has(record.status),
        // As the contract reads it: the MPC deadline once approved, the approval deadline before.
        deadlineHeight: (record) => record.mpc_deadline_height ?? record.approval_deadline_height,
        ...this.eventsFor(this.contracts.signatureRequests, EventType.signatureRequest, requestId),
      },
      options,
    );
    return { status: request.status as FinalStatus, request };
  }

  /** Waits until key request `requestId` ends; the record (with `key_id` once fulfilled). */
  waitForKeyRequest(requestId: number, options?: WaitOptions): Promise<KeyRequestResponse> {
    return waitUntilFinal(
      {
        load: () => this.getKeyRequest(requestId),
        isFinal: (record) => record.status !== "pending",
        deadlineHeight: (record) => record.deadline_height,
        ...this.eventsFor(this.contracts.keyring, EventType.keyRequest, requestId),
      },
      options,
    );
  }

  private eventsFor(contract: string, type: string, requestId: number) {
    if (!this.events) return {};
    const id = String(requestId);
    return {
      events: {
        source: this.events,
        contract,
        concerns: (event: { type: string; attributes: ReadonlyMap<string, string> }) =>
          event.type === type && event.attributes.get(Attr.requestId) === id,
      },
    };
  }
}

/** Queries and transactions as `sender`: a `SigningCosmWasmClient` connected with its signer. */
export class MpcClient extends MpcQueryClient {
  constructor(
    override readonly chain: SigningChain,
    readonly sender: string,
    options: MpcClientOptions,
  ) {
    super(chain, options);
  }

  /** `create_workspace`; the new workspace's id. */
  createWorkspace(args?: CreateWorkspaceArgs, tx?: TxOptions): Promise<number> {
    return execute(this, prepareCreateWorkspace(this.sender, this.contracts.workspace, args), tx);
  }

  /** `create_keyring`; the new keyring's id. */
  createKeyring(args: CreateKeyringArgs, tx?: TxOptions): Promise<number> {
    return execute(this, prepareCreateKeyring(this.sender, this.contracts.keyring, args), tx);
  }

  /** `request_key`, paying the keyring's fee (as `max_fee` unless `args.fee` says otherwise); the key request's id. */
  async requestKey(args: RequestKeyArgs, tx?: TxOptions): Promise<number> {
    return execute(this, await prepareRequestKey(this.chain, this.sender, this.contracts.keyring, args), tx);
  }

  /** `request_signature`, paying the key's fee (as `max_fee` unless `args.fee` says otherwise); the request's id. */
  async requestSignature(args: RequestSignatureArgs, tx?: TxOptions): Promise<number> {
    return execute(this, await prepareRequestSignature(this.chain, this.sender, this.contracts, args), tx);
  }

  /**
   * `request_payload_signature`, paying the key's fee (as `max_fee` unless `args.fee` says
   * otherwise): the contract hashes each payload (`HashKind`) and the key signs the digests; the
   * request's id. An eip712 payload gets its `digest` filled in (`hashTypedData`).
   */
  async requestPayloadSignature(args: RequestPayloadSignatureArgs, tx?: TxOptions): Promise<number> {
    return execute(this, await prepareRequestPayloadSignature(this.chain, this.sender, this.contracts, args), tx);
  }

  approve(requestId: number, tx?: TxOptions): Promise<void> {
    return execute(this, prepareApprove(this.sender, this.contracts.signatureRequests, requestId), tx);
  }

  reject(requestId: number, tx?: TxOptions): Promise<void> {
    return execute(this, prepareReject(this.sender, this.contracts.signatureRequests, requestId), tx);
  }

  /** `execute`: settles a request that a policy change alone satisfied (anyone may send it). */
  executeRequest(requestId: number, tx?: TxOptions): Promise<void> {
    return execute(this, prepareExecute(this.sender, this.contracts.signatureRequests, requestId), tx);
  }

  /** `cancel`: withdraws the sender's own `partial` request; its fee is refunded. */
  cancel(requestId: number, tx?: TxOptions): Promise<void> {
    return execute(this, prepareCancel(this.sender, this.contracts.signatureRequests, requestId), tx);
  }

  /**
   * Requests signatures of `items` with key `keyId`, waits for the outcome and verifies them
   * against the key: the signatures in item order. Throws `SigningFailed` if the request was
   * rejected or expired.
   */
  async sign(keyId: number, items: readonly Uint8Array[], wait?: WaitOptions): Promise<Uint8Array[]> {
    const requestId = await this.requestSignature({ keyId, items });
    const { status, request } = await this.waitForFinal(requestId, wait);
    if (status !== "fulfilled") throw new SigningFailed(requestId, status, request.reject_reason ?? undefined);
    return verifyRequestSignatures(request);
  }

  /**
   * Requests signatures of `payloads` with ECDSA key `keyId`, waits for the outcome and verifies
   * them against the digests computed here and the key, recovery ids included: per payload its
   * signature, recovery id and digest. Throws `SigningFailed` if the request was rejected or
   * expired, `InvalidPayload` before sending a payload that cannot be hashed.
   */
  async signPayloads(
    keyId: number,
    payloads: readonly (Payload | PayloadBytes)[],
    wait?: WaitOptions,
  ): Promise<PayloadSignature[]> {
    const checked = payloads.map((payload, index) => checkPayload(payload, index));
    const requestId = await this.requestPayloadSignature({ keyId, payloads: checked });
    const { status, request } = await this.waitForFinal(requestId, wait);
    if (status !== "fulfilled") throw new SigningFailed(requestId, status, request.reject_reason ?? undefined);
    return verifyPayloadSignatures(request as PayloadRequestRecord, checked);
  }
}

