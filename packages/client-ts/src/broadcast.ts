// Sends a transaction of contract messages and turns every way it can fail into the layer's
// errors: a refusal found while simulating (cosmjs throws) or after inclusion (non-zero code).
import type { EncodeObject } from "@cosmjs/proto-signing";
import { isDeliverTxFailure, type DeliverTxResponse } from "@cosmjs/stargate";
import type { QueryChain, SigningChain, TxOptions } from "./chain.js";
import { mapChainError, refusalFromText, TxFailed } from "./errors.js";

export async function broadcast(
  chain: SigningChain,
  sender: string,
  messages: readonly EncodeObject[],
  options: TxOptions = {},
): Promise<DeliverTxResponse> {
  let result: DeliverTxResponse;
  try {
    result = await chain.signAndBroadcast(sender, messages, options.fee ?? "auto", options.memo);
  } catch (error) {
    throw mapChainError(error);
  }
  if (isDeliverTxFailure(result)) {
    const rawLog = result.rawLog ?? "";
    throw refusalFromText(rawLog) ?? new TxFailed(result.code, result.transactionHash, rawLog);
  }
  return result;
}

/** A smart query whose refusal (e.g. `not found`) becomes a `ContractRefusal`. */
export async function query<T>(chain: QueryChain, address: string, msg: object): Promise<T> {
  try {
    return (await chain.queryContractSmart(address, msg)) as T;
  } catch (error) {
    throw mapChainError(error);
  }
}
