// End-to-end hook: a local chain described by the JSON file named in MPC_LOCAL_CHAIN_JSON
// (written by the step that starts the chain and the connectors). Its shape is the quickstart's
// config: { rpc, websocket, prefix, gasPrice, contracts: { workspace, keyring, signatureRequests },
// keyringId, mnemonics: [owner1, owner2] }. Without the variable the e2e tests are skipped.
import { readFileSync } from "node:fs";
import type { QuickstartConfig } from "../../examples/quickstart.js";

export const LOCAL_CHAIN_ENV = "MPC_LOCAL_CHAIN_JSON";

/** The local chain's config, or a reason to skip (a string) when none is given. */
export function localChain(): QuickstartConfig | string {
  const path = process.env[LOCAL_CHAIN_ENV];
  if (!path) return `${LOCAL_CHAIN_ENV} is unset: no local chain to run the end-to-end tests on`;
  return JSON.parse(readFileSync(path, "utf8")) as QuickstartConfig;
}
