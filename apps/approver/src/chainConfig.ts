// Which chain the page talks to: the public part of a chain description (local-chain.json, as
// scripts/local-chain.sh writes it, or the same fields for any chain). Secrets in such a file
// (mnemonics, private keys) are dropped here, so they never reach the page from a config file:
// a local key is only ever typed in by its owner (see wallet.ts).
// Pure: no DOM, no Node; used by the page, vite.config.ts and the test's static server.

export interface Contracts {
  readonly workspace: string;
  readonly keyring: string;
  readonly signatureRequests: string;
}

export interface ChainConfig {
  readonly chainId: string;
  /** CometBFT RPC (HTTP), e.g. http://127.0.0.1:26657 */
  readonly rpc: string;
  /** CometBFT websocket, e.g. ws://127.0.0.1:26657/websocket */
  readonly websocket: string;
  /** REST (LCD); Keplr's chain suggestion needs it. */
  readonly rest?: string;
  /** bech32 prefix of account addresses, e.g. "wasm" */
  readonly prefix: string;
  /** fee denom, e.g. "stake" */
  readonly denom: string;
  /** e.g. "0.025stake" */
  readonly gasPrice: string;
  readonly contracts: Contracts;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function str(value: unknown, field: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new ConfigError(`the chain description has no ${field}`);
  return value.trim();
}

/** The public fields of a chain description (e.g. local-chain.json); throws ConfigError naming a missing field. */
export function publicChainConfig(json: unknown): ChainConfig {
  if (typeof json !== "object" || json === null) throw new ConfigError("the chain description is not a JSON object");
  const o = json as Record<string, unknown>;
  const contracts = (o["contracts"] ?? {}) as Record<string, unknown>;
  const chainId = str(o["chainId"], "chainId");
  const rpc = str(o["rpc"], "rpc");
  const gasPrice = str(o["gasPrice"], "gasPrice");
  const denom = typeof o["denom"] === "string" ? o["denom"] : (/^[0-9.]+(.+)$/.exec(gasPrice)?.[1] ?? "");
  const websocket =
    typeof o["websocket"] === "string" ? o["websocket"] : rpc.replace(/^http/, "ws").replace(/\/+$/, "") + "/websocket";
  const rest = typeof o["rest"] === "string" ? o["rest"] : undefined;
  return {
    chainId,
    rpc,
    websocket,
    ...(rest ? { rest } : {}),
    prefix: str(o["prefix"], "prefix"),
    denom: str(denom, "denom"),
    gasPrice,
    contracts: {
      workspace: str(contracts["workspace"], "contracts.workspace"),
      keyring: str(contracts["keyring"], "contracts.keyring"),
      signatureRequests: str(contracts["signatureRequests"], "contracts.signatureRequests"),
    },
  };
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
const LOCAL_CHAIN_ID = /^(?:mpc-localnet|localnet|local|testing|devnet)(?:[-_].*)?$|[-_](?:local|localnet|devnet)(?:[-_]\d+)?$/i;

/**
 * A local chain: its id says so (mpc-localnet, localnet-*, *-local, devnet, testing...) AND its
 * RPC is on this machine. Only there may a mnemonic typed into the page sign.
 */
export function isLocalChain(config: Pick<ChainConfig, "chainId" | "rpc">): boolean {
  let host: string;
  try {
    host = new URL(config.rpc).hostname;
  } catch {
    return false;
  }
  return LOCAL_CHAIN_ID.test(config.chainId) && LOOPBACK.test(host);
}
