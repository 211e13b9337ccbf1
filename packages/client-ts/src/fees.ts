// Request fees. `request_key` and `request_signature` take an optional `max_fee`: the funds must
// equal it, the contract charges its current fee and refunds the rest in the same transaction,
// and refuses (`fee_above_max`) when the fee rose above it. So a client can look the fee up and
// pay in one step without racing a fee change.
import type { Coin } from "@cosmjs/amino";

/**
 * How to pay a request:
 * - `"current"` (default): look the fee up, send it as `max_fee` and as funds;
 * - a coin list: a cap chosen by the caller, sent as `max_fee` and as funds (the excess over the
 *   current fee is refunded);
 * - `"exact"`: for contracts without `max_fee`: send the looked-up fee as funds, no `max_fee`.
 */
export type FeePolicy = "current" | "exact" | readonly Coin[];

export interface FeePayment {
  /** `max_fee` to put in the message (absent for `"exact"`). */
  readonly maxFee?: Coin[];
  /** The funds to send with the message. */
  readonly funds: Coin[];
}

/** Coins sorted by denom, as the SDK requires of a message's funds (`Coins.IsValid`). */
export function sortCoins(coins: readonly Coin[]): Coin[] {
  return [...coins]
    .map(({ denom, amount }) => ({ denom, amount }))
    .sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0));
}

/** What to send for a request, given the fee policy; `lookUp` is called only when needed. */
export async function feePayment(
  policy: FeePolicy,
  lookUp: () => Promise<readonly Coin[]>,
): Promise<FeePayment> {
  if (policy === "exact") return { funds: sortCoins(await lookUp()) };
  const maxFee = sortCoins(policy === "current" ? await lookUp() : policy);
  return { maxFee, funds: maxFee };
}

/** Adds `max_fee` to a request message when the payment has one. */
export function withMaxFee<T extends object>(msg: T, payment: FeePayment): T & { max_fee?: Coin[] } {
  return payment.maxFee === undefined ? msg : { ...msg, max_fee: payment.maxFee };
}
