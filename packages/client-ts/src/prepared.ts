// A contract message together with how to read its answer from the transaction, so that one
// transaction may carry several (each answer is read at its own message index).
import type { EncodeObject } from "@cosmjs/proto-signing";
import type { DeliverTxResponse } from "@cosmjs/stargate";
import type { MsgExecuteContractEncodeObject } from "@cosmjs/cosmwasm";
import { toUtf8 } from "@cosmjs/encoding";
import { MsgExecuteContract } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import type { Coin } from "@cosmjs/amino";
import type { SigningChain, TxOptions } from "./chain.js";
import { broadcast } from "./broadcast.js";
import { idFromResponse } from "./txData.js";

export interface Prepared<T> {
  readonly message: EncodeObject;
  /** Reads this message's answer from the transaction that carried it at `index`. */
  read(result: DeliverTxResponse, index: number): T;
}

/** A message whose answer is the id in its response data (`{"<field>": <id>}`). */
export function preparedWithId(message: EncodeObject, field: string): Prepared<number> {
  return { message, read: (result, index) => idFromResponse(result, index, field) };
}

/** A message whose answer is nothing but its inclusion. */
export function preparedPlain(message: EncodeObject): Prepared<void> {
  return { message, read: () => undefined };
}

/**
 * A `MsgExecuteContract` for a message the generated composers cannot express yet (fields the
 * committed schema lacks, such as `max_fee`); the same object the composers build.
 */
export function executeContractMsg(
  sender: string,
  contract: string,
  msg: object,
  funds: readonly Coin[],
): MsgExecuteContractEncodeObject {
  return {
    typeUrl: "/cosmwasm.wasm.v1.MsgExecuteContract",
    value: MsgExecuteContract.fromPartial({
      sender,
      contract,
      msg: toUtf8(JSON.stringify(msg)),
      funds: [...funds],
    }),
  };
}

export interface Signed {
  readonly chain: SigningChain;
  readonly sender: string;
}

/** Sends one prepared message; its answer. */
export async function execute<T>(ctx: Signed, prepared: Prepared<T>, options?: TxOptions): Promise<T> {
  const [answer] = await executeBatch(ctx, [prepared], options);
  return answer as T;
}

/** Sends several prepared messages in one transaction; their answers, in order. */
export async function executeBatch<T extends readonly Prepared<unknown>[]>(
  ctx: Signed,
  batch: T,
  options?: TxOptions,
): Promise<{ -readonly [K in keyof T]: T[K] extends Prepared<infer A> ? A : never }> {
  const result = await broadcast(ctx.chain, ctx.sender, batch.map((p) => p.message), options);
  return batch.map((p, index) => p.read(result, index)) as never;
}
