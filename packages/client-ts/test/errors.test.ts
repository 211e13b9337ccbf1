// The refusal table: the contracts' texts (contracts/*/src/error.rs) in the wrappings the chain
// adds become codes; anything else stays what it was.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ContractRefusal, mapChainError, refusalFromText, type RefusalCode } from "../src/index.js";

const wrapped = (text: string, index = 0) =>
  `Broadcasting transaction failed with code 5 (codespace: wasm). Log: failed to execute message; message index: ${index}: ${text}: execute wasm contract failed`;

const CASES: Array<[string, RefusalCode]> = [
  ["fee 150uatom is above max_fee 100uatom", "fee_above_max"],
  ["Error parsing into type mpc_interfaces::signature_requests::ExecuteMsg: unknown field `max_fee`, expected one of `key_id`, `items`", "unsupported_field"],
  ["Error parsing into type mpc_interfaces::signature_requests::ExecuteMsg: unknown variant `request_payload_signature`, expected one of `request_signature`, `approve`", "unsupported_message"],
  ["fee missing umpc: expected 5umpc", "fee_mismatch"],
  ["fee of 4umpc paid; expected exactly 5umpc", "fee_mismatch"],
  ["max_fee names umpc twice", "duplicate_denom"],
  ["fee names denom umpc twice", "duplicate_denom"],
  ["fee: This message does no accept funds", "funds_not_accepted"],
  ["wasm1eve is not an owner of workspace 3", "not_owner"],
  ["wasm1eve is not an admin of keyring 2", "not_admin"],
  ["wasm1eve may not approve or reject signature request 4", "not_approver"],
  ["wasm1bob has already voted on signature request 4", "already_voted"],
  ["signature request 4 is already Fulfilled and cannot change", "already_final"],
  ["signature request 4 has expired", "expired"],
  ["signature request 4 is Pending, not waiting for approvals", "not_awaiting_approvals"],
  ["keyring 2 is not active", "keyring_inactive"],
  ["keyring 2 is inactive and takes no new requests", "keyring_inactive"],
  ["the sign policy cannot be satisfied by the owners of workspace 3", "policy_unsatisfiable"],
  ["item 0 is 31 bytes; an ECDSA item must be a 32-byte hash", "invalid_items"],
  ["keyring 9 does not exist", "not_found"],
  ["signature request 9 not found", "not_found"],
  ["something new", "unknown"],
];

test("every known contract text maps to its code, with the contract's own words and message index", () => {
  for (const [text, code] of CASES) {
    const refusal = refusalFromText(wrapped(text, 2));
    assert.ok(refusal, text);
    assert.equal(refusal.code, code, text);
    assert.equal(refusal.reason, text);
    assert.equal(refusal.messageIndex, 2);
  }
});

test("a query's refusal maps too; errors that are no refusal pass through unchanged", () => {
  const q = refusalFromText("Query failed with (6): rpc error: code = Unknown desc = key 7 does not exist: query wasm contract failed: unknown request");
  assert.equal(q?.code, "not_found");
  assert.equal(q?.reason, "key 7 does not exist");
  const network = new Error("fetch failed");
  assert.equal(mapChainError(network), network);
  const refusal = mapChainError(new Error(wrapped("keyring 2 is not active")));
  assert.ok(refusal instanceof ContractRefusal && refusal.code === "keyring_inactive");
  assert.ok((refusal as ContractRefusal).cause instanceof Error, "keeps the chain's error as cause");
});
