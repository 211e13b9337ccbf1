// Every read and write the page makes, over the session's cosmjs client and the client package.
import type { EncodeObject } from "@cosmjs/proto-signing";
import { fromBase64 } from "@cosmjs/encoding";
import { isDeliverTxFailure } from "@cosmjs/stargate";
import {
  ContractRefusal,
  SignatureRequestsComposer,
  TxFailed,
  WorkspaceComposer,
  keyAddresses,
  keyEncodings,
  mapChainError,
  refusalFromText,
  type KeyringTypes,
  type SignatureRequestsTypes,
  type WorkspaceTypes,
} from "@mpc-suite/client";
import type { Session } from "./wallet.js";

export type SignatureRequest = SignatureRequestsTypes.SignatureRequestResponse;
export type AdminAction = WorkspaceTypes.AdminActionResponse;
export type Workspace = WorkspaceTypes.WorkspaceResponse;
export type Key = KeyringTypes.KeyResponse;
export type InboxCursor = SignatureRequestsTypes.InboxCursor;
export type Summary = SignatureRequestsTypes.SignatureRequestSummary;

export const PAGE_SIZE = 10;

async function q<T>(s: Session, contract: string, msg: object): Promise<T> {
  try {
    return (await s.chain.queryContractSmart(contract, msg)) as T;
  } catch (error) {
    throw mapChainError(error);
  }
}

export interface Page<T, C> {
  readonly items: T[];
  readonly next: C | null;
}

/** One page of signature requests awaiting `approver`, each read in full. */
export async function requestsAwaiting(s: Session, approver: string, cursor: InboxCursor | null): Promise<Page<SignatureRequest, InboxCursor>> {
  const page = await q<SignatureRequestsTypes.RequestsAwaitingApproverResponse>(s, s.config.contracts.signatureRequests, {
    requests_awaiting_approver: { approver, start_after: cursor, limit: PAGE_SIZE },
  });
  const items = await Promise.all(page.requests.map((r) => request(s, r.id)));
  return { items, next: page.next ?? null };
}

export async function actionsAwaiting(s: Session, approver: string, cursor: InboxCursor | null): Promise<Page<AdminAction, InboxCursor>> {
  const page = await q<WorkspaceTypes.ActionsAwaitingApproverResponse>(s, s.config.contracts.workspace, {
    actions_awaiting_approver: { approver, start_after: cursor, limit: PAGE_SIZE },
  });
  return { items: page.actions, next: page.next ?? null };
}

export function request(s: Session, id: number): Promise<SignatureRequest> {
  return q(s, s.config.contracts.signatureRequests, { request: { request_id: id } });
}

export function policyEvaluation(s: Session, id: number): Promise<SignatureRequestsTypes.PolicyEvaluationResponse> {
  return q(s, s.config.contracts.signatureRequests, { policy_evaluation: { request_id: id } });
}

/** The sign policy in force for a key: its own (`key_policy`) or the workspace's. */
export function signPolicy(s: Session, workspaceId: number, keyId: number): Promise<WorkspaceTypes.SignPolicyResponse> {
  return q(s, s.config.contracts.workspace, { sign_policy: { workspace_id: workspaceId, key_id: keyId } });
}

export function action(s: Session, id: number): Promise<AdminAction> {
  return q(s, s.config.contracts.workspace, { action: { action_id: id } });
}

export function workspace(s: Session, id: number): Promise<Workspace> {
  return q(s, s.config.contracts.workspace, { workspace: { workspace_id: id } });
}

export async function workspacesOf(s: Session, owner: string): Promise<Workspace[]> {
  return (await q<WorkspaceTypes.WorkspacesResponse>(s, s.config.contracts.workspace, { workspaces_by_owner: { owner, limit: 30 } })).workspaces;
}

export async function keyPolicies(s: Session, workspaceId: number): Promise<WorkspaceTypes.KeyPolicy[]> {
  return (await q<WorkspaceTypes.KeyPoliciesResponse>(s, s.config.contracts.workspace, { key_policies: { workspace_id: workspaceId, limit: 32 } })).key_policies;
}

export function key(s: Session, id: number): Promise<Key> {
  return q(s, s.config.contracts.keyring, { key: { key_id: id } });
}

/** Keys of a workspace, a page after key id `after`. */
export async function keysOf(s: Session, workspaceId: number, after: number | null): Promise<Page<Key, number>> {
  const { keys } = await q<KeyringTypes.KeysResponse>(s, s.config.contracts.keyring, {
    keys_by_workspace: { workspace_id: workspaceId, start_after: after, limit: PAGE_SIZE },
  });
  return { items: keys, next: keys.length === PAGE_SIZE ? keys[keys.length - 1]!.id : null };
}

/** A workspace's signature requests in id order, a page after `after`, each read in full (signatures included). */
export async function requestsOf(s: Session, workspaceId: number, after: number | null): Promise<Page<SignatureRequest, number>> {
  const { requests } = await q<SignatureRequestsTypes.SignatureRequestsResponse>(s, s.config.contracts.signatureRequests, {
    requests_by_workspace: { workspace_id: workspaceId, start_after: after, limit: PAGE_SIZE },
  });
  const items = await Promise.all(requests.map((r) => request(s, r.id)));
  return { items, next: requests.length === PAGE_SIZE ? requests[requests.length - 1]!.id : null };
}

export async function actionsOf(s: Session, workspaceId: number, after: number | null): Promise<Page<AdminAction, number>> {
  const { actions } = await q<WorkspaceTypes.AdminActionsResponse>(s, s.config.contracts.workspace, {
    actions_by_workspace: { workspace_id: workspaceId, start_after: after, limit: PAGE_SIZE },
  });
  return { items: actions, next: actions.length === PAGE_SIZE ? actions[actions.length - 1]!.id : null };
}

export interface KeyAddresses {
  /** "keyring": the keyring's `addresses` query; "page": computed here (the keyring has no such query). */
  readonly source: "keyring" | "page";
  readonly rows: ReadonlyArray<readonly [string, string]>;
}

/**
 * The addresses a key controls: the keyring's `addresses { key_id, bech32_prefix }` query where
 * the keyring has it (0.4.0 and later), else computed in the page from the public key (Cosmos and EVM
 * for secp256k1; none for Ed25519).
 */
export async function addresses(s: Session, k: Key): Promise<KeyAddresses> {
  try {
    const r = await keyAddresses(s.chain, s.config.contracts.keyring, k.id, s.config.prefix);
    const rows: Array<[string, string]> = [];
    const add = (label: string, v: string | null | undefined) => {
      if (typeof v === "string") rows.push([label, v]);
    };
    add("EVM", r.evm);
    add("Cosmos", r.cosmos);
    if (r.bitcoin) {
      add("Bitcoin (mainnet)", r.bitcoin.mainnet);
      add("Bitcoin (testnet)", r.bitcoin.testnet);
      add("Bitcoin (regtest)", r.bitcoin.regtest);
    }
    add("Solana", r.solana);
    return { source: "keyring", rows };
  } catch {
    const enc = keyEncodings(k.key_type, fromBase64(k.public_key), s.config.prefix);
    const rows: Array<[string, string]> = [];
    if (enc.evmAddress) rows.push(["EVM", enc.evmAddress]);
    if (enc.cosmosAddress) rows.push(["Cosmos", enc.cosmosAddress]);
    return { source: "page", rows };
  }
}

export async function height(s: Session): Promise<number> {
  return s.chain.getHeight();
}

/** Seconds per block over the last 20 blocks (undefined if the node cannot say). */
export async function blockSeconds(s: Session): Promise<number | undefined> {
  try {
    const latest = await s.chain.getBlock();
    const back = Math.max(1, latest.header.height - 20);
    if (back >= latest.header.height) return undefined;
    const earlier = await s.chain.getBlock(back);
    const dt = (Date.parse(latest.header.time) - Date.parse(earlier.header.time)) / 1000;
    return dt > 0 ? dt / (latest.header.height - back) : undefined;
  } catch {
    return undefined;
  }
}

// ---- transactions ----------------------------------------------------------------------------

export interface TxOutcome {
  readonly ok: boolean;
  /** What happened, in words; for a refusal, the contract's own text. */
  readonly text: string;
  readonly refusal?: string;
  readonly txHash?: string;
  readonly height?: number;
}

/** Sends one message; its outcome, a refusal carrying the contract's text. Never throws. */
export async function send(s: Session, message: EncodeObject, what: string): Promise<TxOutcome> {
  try {
    const result = await s.chain.signAndBroadcast(s.address, [message], "auto");
    if (isDeliverTxFailure(result)) {
      const rawLog = result.rawLog ?? "";
      throw refusalFromText(rawLog) ?? new TxFailed(result.code, result.transactionHash, rawLog);
    }
    return { ok: true, text: `${what}: included at height ${result.height}.`, txHash: result.transactionHash, height: result.height };
  } catch (raw) {
    const error = mapChainError(raw);
    if (error instanceof ContractRefusal) {
      return { ok: false, text: `The contract refused: ${error.reason}`, refusal: error.reason };
    }
    if (error instanceof TxFailed) return { ok: false, text: `The transaction failed (code ${error.txCode}): ${error.rawLog}`, txHash: error.transactionHash };
    return { ok: false, text: `Not sent: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function voteOnRequest(s: Session, id: number, vote: "approve" | "reject"): Promise<TxOutcome> {
  const c = new SignatureRequestsComposer.MpcSignatureRequestsMsgComposer(s.address, s.config.contracts.signatureRequests);
  const msg = vote === "approve" ? c.approve({ requestId: id }) : c.reject({ requestId: id });
  return send(s, msg, vote === "approve" ? `Approved request ${id}` : `Rejected request ${id}`);
}

export function voteOnAction(s: Session, id: number, vote: "approve" | "reject"): Promise<TxOutcome> {
  const c = new WorkspaceComposer.MpcWorkspaceMsgComposer(s.address, s.config.contracts.workspace);
  const msg = vote === "approve" ? c.approveAction({ actionId: id }) : c.rejectAction({ actionId: id });
  return send(s, msg, vote === "approve" ? `Approved admin action ${id}` : `Rejected admin action ${id}`);
}
