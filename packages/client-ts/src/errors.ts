// One error hierarchy for everything the layer raises. A contract's refusal arrives as text
// inside a cosmjs error (simulation) or a failed transaction's log; `refusalFromText` maps that
// text to a stable `code` through one table, so callers switch on codes, not on wording (the
// contracts' texts are in contracts/*/src/error.rs and packages/contract-kit; some, such as the
// max_fee refusal, are not final).

/** Base of every error the layer raises. */
export class MpcError extends Error {
  override name = "MpcError";
}

export type RefusalCode =
  | "fee_above_max"
  | "fee_mismatch"
  | "duplicate_denom"
  | "funds_not_accepted"
  | "unsupported_field"
  | "unsupported_message"
  | "not_owner"
  | "not_admin"
  | "not_approver"
  | "already_voted"
  | "already_answered"
  | "already_final"
  | "expired"
  | "not_awaiting_approvals"
  | "keyring_inactive"
  | "policy_unsatisfiable"
  | "invalid_policy"
  | "invalid_items"
  | "timeout_out_of_range"
  | "not_found"
  | "unknown";

/** Contract texts to codes, first match wins (so specific patterns come before general ones). */
const REFUSALS: ReadonlyArray<readonly [RefusalCode, RegExp]> = [
  // signature-requests / keyring with max_fee: `fee <current> is above max_fee <max>`
  ["fee_above_max", /\bis above max_fee\b/],
  // an older contract without max_fee refuses the field (cw_serde denies unknown fields)
  ["unsupported_field", /unknown field `/],
  // ... and a message or query it does not have (a contract built before payload requests
  // refuses `request_payload_signature` and the keyring's `addresses`)
  ["unsupported_message", /unknown variant `/],
  // contract-kit fees::FeeError: funds are not exactly the fee
  ["fee_mismatch", /fee missing|which is not charged|paid; expected exactly/],
  // a fee or max_fee that names one denom twice (contract-kit fees::FeeError, the keyring's fees)
  ["duplicate_denom", /\bnames (?:denom )?\S+ twice\b/],
  // cw-utils nonpayable: "This message does no accept funds"
  ["funds_not_accepted", /does no(?:t)? accept funds/],
  ["not_owner", /is not an owner of workspace \d+/],
  ["not_admin", /is not (?:an|the) admin of/],
  ["not_approver", /may not (?:approve or reject|propose)/],
  ["already_voted", /has already voted on/],
  ["already_answered", /has already answered/],
  ["already_final", /is already \w+ and cannot change/],
  ["expired", /\bhas expired\b/],
  ["not_awaiting_approvals", /not waiting for approvals/],
  ["keyring_inactive", /keyring \d+ is (?:not active|inactive)/],
  ["policy_unsatisfiable", /sign policy cannot be satisfied/],
  ["invalid_policy", /invalid policy:|\bpolicy (?:names|has|is nested|threshold)\b/],
  [
    "invalid_items",
    /needs at least one item|items; at most|an ECDSA item must be|an EdDSA message must be/,
  ],
  ["timeout_out_of_range", /blocks is out of range/],
  ["not_found", /\b(?:does not exist|not found)\b/],
];

/** A contract refused a message; `code` says why, `reason` is the contract's own text. */
export class ContractRefusal extends MpcError {
  override name = "ContractRefusal";
  constructor(
    readonly code: RefusalCode,
    /** The contract's message, e.g. `keyring 3 does not exist`. */
    readonly reason: string,
    /** Index of the refused message in the transaction, when the chain says. */
    readonly messageIndex: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`contract refused (${code}): ${reason}`, options);
  }
}

/** The transaction failed for a reason other than a contract's refusal (gas, sequence, ...). */
export class TxFailed extends MpcError {
  override name = "TxFailed";
  constructor(
    readonly txCode: number,
    readonly transactionHash: string,
    readonly rawLog: string,
  ) {
    super(`transaction ${transactionHash} failed with code ${txCode}: ${rawLog}`);
  }
}

/** The chain answered something the layer cannot read (e.g. no id in the response data). */
export class UnexpectedResponse extends MpcError {
  override name = "UnexpectedResponse";
}

/** A wait ran out of time before the record reached a final status. */
export class WaitTimeout extends MpcError {
  override name = "WaitTimeout";
  constructor(
    readonly timeoutMs: number,
    readonly lastStatus: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `not final after ${timeoutMs} ms` + (lastStatus ? ` (last status: ${lastStatus})` : ""),
      options,
    );
  }
}

/** A signature does not verify against the key. */
export class InvalidSignature extends MpcError {
  override name = "InvalidSignature";
  constructor(readonly index: number, detail: string) {
    super(`signature ${index} does not verify: ${detail}`);
  }
}

/** A signature request ended without signatures (rejected or expired). */
export class SigningFailed extends MpcError {
  override name = "SigningFailed";
  constructor(
    readonly requestId: number,
    readonly status: "rejected" | "expired",
    readonly rejectReason: string | undefined,
  ) {
    super(
      `signature request ${requestId} ${status}` + (rejectReason ? `: ${rejectReason}` : ""),
    );
  }
}

// wasmd wraps a contract's error as `failed to execute message; message index: N: <contract
// text>: execute wasm contract failed` (transactions), or `... desc = <contract text>: query wasm
// contract failed` (queries); gRPC and cosmjs add prefixes and suffixes around it.
const WITH_INDEX = /message index: (\d+): (.*?): (?:execute|query) wasm contract failed/s;
const WITHOUT_INDEX = /(?:desc = )?(.*?): (?:execute|query) wasm contract failed/s;

/** The refusal carried by an error text, or undefined if it is not a contract's refusal. */
export function refusalFromText(text: string, cause?: unknown): ContractRefusal | undefined {
  const indexed = WITH_INDEX.exec(text);
  const match = indexed ?? WITHOUT_INDEX.exec(text);
  if (!match) return undefined;
  const reason = (indexed ? indexed[2]! : match[1]!).replace(/^.*\bdesc = /s, "").trim();
  const index = indexed ? Number(indexed[1]) : undefined;
  const code = REFUSALS.find(([, pattern]) => pattern.test(reason))?.[0] ?? "unknown";
  return new ContractRefusal(code, reason, index, { cause });
}

/** `error` as a `ContractRefusal` when it carries one, else as it was. */
export function mapChainError(error: unknown): unknown {
  if (error instanceof MpcError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return refusalFromText(text, error) ?? error;
}
