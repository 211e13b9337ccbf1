// The contracts answer an execute with JSON in the response data (`{"request_id": 7}`). Since
// Cosmos SDK 0.46 a transaction's data is one `Any` per message (`msgResponses`), in message
// order; for a contract call it is a `MsgExecuteContractResponse` whose `data` is that JSON.
import type { DeliverTxResponse } from "@cosmjs/stargate";
import { fromUtf8 } from "@cosmjs/encoding";
import { MsgExecuteContractResponse } from "cosmjs-types/cosmwasm/wasm/v1/tx";
import { UnexpectedResponse } from "./errors.js";

const EXECUTE_RESPONSE_TYPE = "/cosmwasm.wasm.v1.MsgExecuteContractResponse";

/** The JSON data the contract set for message `index` of the transaction (undefined: none). */
export function executeResponseData(result: DeliverTxResponse, index: number): unknown {
  const response = result.msgResponses[index];
  if (!response) {
    throw new UnexpectedResponse(
      `transaction ${result.transactionHash} has ${result.msgResponses.length} message responses, none at index ${index}`,
    );
  }
  if (response.typeUrl !== EXECUTE_RESPONSE_TYPE) {
    throw new UnexpectedResponse(`message ${index} answered ${response.typeUrl}, not a contract execution`);
  }
  const { data } = MsgExecuteContractResponse.decode(response.value);
  if (data.length === 0) return undefined;
  try {
    return JSON.parse(fromUtf8(data));
  } catch (cause) {
    throw new UnexpectedResponse(`message ${index}'s response data is not JSON`, { cause });
  }
}

/** The id named `field` in message `index`'s response data (`{"<field>": <number>}`). */
export function idFromResponse(result: DeliverTxResponse, index: number, field: string): number {
  const data = executeResponseData(result, index);
  const id = typeof data === "object" && data !== null ? (data as Record<string, unknown>)[field] : undefined;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
    throw new UnexpectedResponse(
      `message ${index} of transaction ${result.transactionHash}: expected {"${field}": <id>} in the response data, got ${JSON.stringify(data)}`,
    );
  }
  return id;
}
