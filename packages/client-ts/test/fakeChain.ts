// The only thing the unit tests fake: the chain. `FakeChain` stands in for a (Signing)CosmWasmClient
// (the two methods the layer calls) and dispatches contract messages and queries to handlers;
// `FakeMpc` is a small model of the three contracts on it whose "MPC" signs with a local key
// (payload requests included: it hashes payloads itself, with @noble/hashes rather than the
// package's viem code, and answers recovery ids; this fake lives only in the unit tests).
import type { EncodeObject } from "@cosmjs/proto-signing";
import type { DeliverTxResponse } from "@cosmjs/stargate";
import { fromBase64, fromUtf8, toBase64, toUtf8 } from "@cosmjs/encoding";
import { MsgExecuteContract, MsgExecuteContractResponse } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import type { Coin } from "@cosmjs/amino";
import { secp256k1 } from "@noble/curves/secp256k1";
import { sha256 } from "@noble/hashes/sha2";
import { keccak_256 } from "@noble/hashes/sha3";
import type { SigningChain } from "../src/chain.js";
import type { ContractEvent, ContractEventSource, EventSubscription } from "../src/eventSource.js";
import type { SignatureRequestResponse } from "../src/generated/mpc-signature-requests/MpcSignatureRequests.types.js";
import type { Payload, PayloadRequestRecord } from "../src/payloads.js";

export interface Execution {
  readonly sender: string;
  readonly contract: string;
  readonly msg: Record<string, any>;
  readonly funds: Coin[];
}

/** A refusal as wasmd reports it; `FakeChain` turns it into the chain's error text. */
export class Refuse extends Error {}

export class FakeChain implements SigningChain {
  readonly queries: Array<{ address: string; msg: Record<string, any> }> = [];
  readonly executions: Execution[] = [];
  /** "simulate": refusals throw as cosmjs does when simulating; "deliver": a failed DeliverTx. */
  refusalMode: "simulate" | "deliver" = "simulate";

  constructor(
    private readonly onExecute: (execution: Execution) => unknown,
    private readonly onQuery: (address: string, msg: Record<string, any>) => unknown,
  ) {}

  async queryContractSmart(address: string, msg: Record<string, any>): Promise<any> {
    this.queries.push({ address, msg });
    try {
      return structuredClone(this.onQuery(address, msg));
    } catch (error) {
      if (!(error instanceof Refuse)) throw error;
      throw new Error(`Query failed with (6): rpc error: code = Unknown desc = ${error.message}: query wasm contract failed: unknown request`);
    }
  }

  async signAndBroadcast(sender: string, messages: readonly EncodeObject[]): Promise<DeliverTxResponse> {
    const data: unknown[] = [];
    for (const [index, message] of messages.entries()) {
      const value = message.value as MsgExecuteContract;
      const execution: Execution = {
        sender,
        contract: value.contract,
        msg: JSON.parse(fromUtf8(value.msg)),
        funds: value.funds.map(({ denom, amount }) => ({ denom, amount })),
      };
      try {
        data.push(this.onExecute(execution));
        this.executions.push(execution);
      } catch (error) {
        if (!(error instanceof Refuse)) throw error;
        const log = `failed to execute message; message index: ${index}: ${error.message}: execute wasm contract failed`;
        if (this.refusalMode === "simulate") {
          throw new Error(`Query failed with (6): rpc error: code = Unknown desc = ${log} [CosmWasm/wasmd@v0.61.4/x/wasm/keeper/keeper.go:436] With gas wanted: '300000000' and gas used: '93142' : unknown request`);
        }
        return { ...tx([]), code: 5, rawLog: log };
      }
    }
    return tx(data);
  }
}

function tx(data: unknown[]): DeliverTxResponse {
  return {
    height: 42,
    txIndex: 0,
    code: 0,
    transactionHash: "A1B2C3",
    events: [],
    msgResponses: data.map((d) => ({
      typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContractResponse",
      value: MsgExecuteContractResponse.encode({ data: d === undefined ? new Uint8Array() : toUtf8(JSON.stringify(d)) }).finish() as Uint8Array<ArrayBuffer>,
    })),
    gasUsed: 0n,
    gasWanted: 0n,
  };
}

/**
 * An event source the test drives: `block` reports a new block (the first one puts the
 * subscription in place), `emit` pushes an event, `fail` breaks the subscription.
 */
export class FakeEvents implements ContractEventSource {
  private listeners: Array<{
    contract: string;
    onEvent: (e: ContractEvent) => void;
    onError: (e: unknown) => void;
    onBlock: ((height: number) => void) | undefined;
  }> = [];
  subscriptions = 0;
  closed = 0;
  constructor(private readonly failOnSubscribe = false) {}

  subscribe(
    contract: string,
    onEvent: (e: ContractEvent) => void,
    onError: (e: unknown) => void,
    onBlock?: (height: number) => void,
  ): EventSubscription {
    this.subscriptions++;
    if (this.failOnSubscribe) throw new Error("websocket: connection refused");
    const listener = { contract, onEvent, onError, onBlock };
    this.listeners.push(listener);
    return {
      close: () => {
        this.closed++;
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }

  emit(contract: string, type: string, attributes: Record<string, string>): void {
    for (const l of this.listeners.filter((l) => l.contract === contract)) {
      l.onEvent({ type, attributes: new Map(Object.entries(attributes)) });
    }
  }

  block(height: number): void {
    for (const l of [...this.listeners]) l.onBlock?.(height);
  }

  fail(error: unknown): void {
    for (const l of [...this.listeners]) l.onError(error);
  }
}

export const CONTRACTS = { workspace: "wasm1workspace", keyring: "wasm1keyring", signatureRequests: "wasm1sigreq" } as const;

/**
 * The three contracts in miniature: workspaces, one keyring whose key requests are answered at
 * once with `privateKey`'s public key, signature requests that are `pending` until `settle` (or
 * the `autoSettle`-th query of them) signs them with `privateKey`, low-S, as the MPC would.
 */
export class FakeMpc {
  sigFee: Coin[] = [{ denom: "uatom", amount: "100" }, { denom: "umpc", amount: "5" }];
  keyFee: Coin[] = [{ denom: "umpc", amount: "1000" }];
  readonly requests = new Map<number, PayloadRequestRecord>();
  /** A misbehaving contract or party, for the client's checks: flip every recovery id it answers. */
  flipRecoveryIds = false;
  readonly chain: FakeChain;
  /** Settle a request when it has been queried this many times (0: only `settle`). */
  autoSettle = 2;
  private queriesOf = new Map<number, number>();
  private nextId = 1;
  readonly publicKey: Uint8Array;

  constructor(readonly privateKey: Uint8Array) {
    this.publicKey = secp256k1.getPublicKey(privateKey, true);
    this.chain = new FakeChain((e) => this.execute(e), (a, m) => this.query(a, m));
  }

  settle(id: number, status: "fulfilled" | "rejected" | "expired" = "fulfilled"): void {
    const request = this.requests.get(id)!;
    request.status = status;
    if (status === "fulfilled") {
      request.signatures = request.items.map((item) =>
        toBase64(secp256k1.sign(fromBase64(item), this.privateKey, { lowS: true, prehash: false }).toCompactRawBytes()),
      );
      // ECDSA answers carry the recovery id of the low-S signature
      request.recovery_ids = request.items.map((item) => {
        const recovery = secp256k1.sign(fromBase64(item), this.privateKey, { lowS: true, prehash: false }).recovery;
        return this.flipRecoveryIds ? recovery ^ 1 : recovery;
      });
    } else {
      request.reject_reason = status === "rejected" ? "parties disagreed" : null;
    }
  }

  private execute({ sender, contract, msg, funds }: Execution): unknown {
    if (contract === CONTRACTS.workspace && msg.create_workspace) return { workspace_id: this.nextId++ };
    if (contract === CONTRACTS.keyring && msg.create_keyring) return { keyring_id: this.nextId++ };
    if (contract === CONTRACTS.keyring && msg.request_key) return { request_id: this.nextId++ };
    if (contract === CONTRACTS.signatureRequests && msg.request_signature) {
      const { key_id, items, max_fee } = msg.request_signature;
      if (max_fee && JSON.stringify(max_fee) !== JSON.stringify(funds)) throw new Refuse("fee: funds must equal max_fee");
      const id = this.nextId++;
      this.requests.set(id, request(id, key_id, sender, items, toBase64(this.publicKey), this.sigFee));
      return { request_id: id };
    }
    if (contract === CONTRACTS.signatureRequests && msg.request_payload_signature) {
      const { key_id, payloads, max_fee } = msg.request_payload_signature as { key_id: number; payloads: Payload[]; max_fee?: Coin[] };
      if (max_fee && JSON.stringify(max_fee) !== JSON.stringify(funds)) throw new Refuse("fee: funds must equal max_fee");
      const items = payloads.map((payload) => toBase64(fakeDigest(payload)));
      const id = this.nextId++;
      this.requests.set(id, { ...request(id, key_id, sender, items, toBase64(this.publicKey), this.sigFee), payloads });
      return { request_id: id };
    }
    if (contract === CONTRACTS.signatureRequests && (msg.approve || msg.reject)) {
      const id = (msg.approve ?? msg.reject).request_id;
      if (!this.requests.has(id)) throw new Refuse(`signature request ${id} not found`);
      return undefined;
    }
    throw new Error(`FakeMpc: unexpected ${JSON.stringify(msg)} to ${contract}`);
  }

  private query(address: string, msg: Record<string, any>): unknown {
    if (address === CONTRACTS.keyring && msg.signature_request_fee) return { fee: this.sigFee };
    if (address === CONTRACTS.keyring && msg.key_request_fee) return { fee: this.keyFee };
    if (address === CONTRACTS.keyring && msg.key) {
      return { id: msg.key.key_id, workspace_id: 1, keyring_id: 1, key_type: "ecdsa_secp256k1", public_key: toBase64(this.publicKey), parties: [], party_threshold: 2, request_id: 1, created_height: 1 };
    }
    if (address === CONTRACTS.signatureRequests && msg.request) {
      const id: number = msg.request.request_id;
      const record = this.requests.get(id);
      if (!record) throw new Refuse(`signature request ${id} not found`);
      const seen = (this.queriesOf.get(id) ?? 0) + 1;
      this.queriesOf.set(id, seen);
      if (this.autoSettle > 0 && seen >= this.autoSettle && record.status === "pending") this.settle(id);
      return record;
    }
    if (address === CONTRACTS.signatureRequests && msg.requests_awaiting_approver) {
      // One workspace; like the contract, a page may stop short of `limit` (its scan bound) and
      // says where to go on with `next` until it is null.
      const { start_after, limit } = msg.requests_awaiting_approver;
      const after = start_after?.after ?? 0;
      const scanned = [...this.requests.values()].filter((r) => r.id > after).slice(0, 100);
      const page = scanned.filter((r) => r.status === "partial").slice(0, limit);
      const last = page.length === limit ? page[page.length - 1]!.id : scanned[scanned.length - 1]?.id;
      const more = [...this.requests.values()].some((r) => r.id > (last ?? after));
      return {
        requests: page.map((r) => ({ id: r.id, status: r.status, deadline_height: r.approval_deadline_height })),
        next: more ? { workspace_id: 1, after: last ?? null } : null,
      };
    }
    throw new Error(`FakeMpc: unexpected query ${JSON.stringify(msg)} to ${address}`);
  }
}

/** The contract's digest of a payload, written apart from the package's (viem) code. */
function fakeDigest({ hash, data, digest }: Payload): Uint8Array {
  const bytes = fromBase64(data);
  switch (hash) {
    case "keccak256":
      return keccak_256(bytes);
    case "sha256":
    case "cosmos_sign_doc":
      return sha256(bytes);
    case "sha256d":
      return sha256(sha256(bytes));
    case "eip191":
      return keccak_256(new Uint8Array([...toUtf8(`\x19Ethereum Signed Message:\n${bytes.length}`), ...bytes]));
    case "eip712":
      // the contract keeps the requester's digest; the parties (not modelled) recompute it
      if (digest == null) throw new Refuse("an eip712 payload needs its digest");
      return fromBase64(digest);
  }
}

function request(id: number, keyId: number, requester: string, items: string[], publicKey: string, fee: Coin[]): SignatureRequestResponse {
  return {
    id, key_id: keyId, keyring_id: 1, workspace_id: 1, key_type: "ecdsa_secp256k1", public_key: publicKey,
    requester, items, status: "pending", policy: { owners: {} }, owners: [requester], approvals: [requester],
    rejections: [], parties: ["p1", "p2"], party_threshold: 2, answers: [], signatures: null, fee,
    callback: null, callback_due: false, created_height: 10, approval_deadline_height: 1010, mpc_timeout_blocks: 1000,
    mpc_deadline_height: 1010, reject_reason: null,
  };
}
