// Connecting one approver: Keplr when the browser has it, or a mnemonic typed into the page on a
// local chain only (held in memory by cosmjs's wallet for this tab, never stored). Either gives a
// cosmjs SigningCosmWasmClient and the client package's MpcClient for that address.
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm";
import { DirectSecp256k1HdWallet, type OfflineSigner } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";
import { CometEventSource, MpcClient } from "@mpc-suite/client";
import { isLocalChain, type ChainConfig } from "./chainConfig.js";

export interface Session {
  readonly config: ChainConfig;
  readonly address: string;
  readonly via: "keplr" | "mnemonic";
  readonly chain: SigningCosmWasmClient;
  readonly mpc: MpcClient;
  disconnect(): void;
}

/** The part of Keplr's injected API the page uses (window.keplr). */
export interface KeplrLike {
  experimentalSuggestChain(chainInfo: object): Promise<void>;
  enable(chainId: string): Promise<void>;
  getOfflineSignerAuto(chainId: string): Promise<OfflineSigner>;
}

export class ConnectRefused extends Error {
  override name = "ConnectRefused";
}

export function keplr(): KeplrLike | undefined {
  return (window as unknown as { keplr?: KeplrLike }).keplr;
}

/** Keplr's chain suggestion for a chain it may not know (a local chain, or any other). */
export function keplrChainInfo(config: ChainConfig): object {
  if (!config.rest) throw new ConnectRefused("Keplr needs the chain's REST (LCD) endpoint: the chain description has no \"rest\".");
  const p = config.prefix;
  const price = Number(GasPrice.fromString(config.gasPrice).amount.toString());
  const currency = { coinDenom: config.denom.toUpperCase(), coinMinimalDenom: config.denom, coinDecimals: 0 };
  return {
    chainId: config.chainId,
    chainName: `${config.chainId} (MPC suite)`,
    rpc: config.rpc,
    rest: config.rest,
    bip44: { coinType: 118 },
    bech32Config: {
      bech32PrefixAccAddr: p,
      bech32PrefixAccPub: `${p}pub`,
      bech32PrefixValAddr: `${p}valoper`,
      bech32PrefixValPub: `${p}valoperpub`,
      bech32PrefixConsAddr: `${p}valcons`,
      bech32PrefixConsPub: `${p}valconspub`,
    },
    currencies: [currency],
    feeCurrencies: [{ ...currency, gasPriceStep: { low: price, average: price, high: price * 2 } }],
    stakeCurrency: currency,
    features: ["cosmwasm"],
  };
}

export async function connectKeplr(config: ChainConfig): Promise<Session> {
  const k = keplr();
  if (!k) throw new ConnectRefused("Keplr is not installed in this browser.");
  await k.experimentalSuggestChain(keplrChainInfo(config));
  await k.enable(config.chainId);
  const signer = await k.getOfflineSignerAuto(config.chainId);
  return session(config, signer, "keplr");
}

/** A local key: refused for any chain that is not a local one (see isLocalChain). */
export async function connectMnemonic(config: ChainConfig, mnemonic: string): Promise<Session> {
  if (!isLocalChain(config)) {
    throw new ConnectRefused(
      `A mnemonic may only be used on a local chain (its id local, such as mpc-localnet, and its RPC on this machine). ` +
        `This is ${config.chainId} at ${config.rpc}: connect with Keplr instead.`,
    );
  }
  const words = mnemonic.trim().split(/\s+/).join(" ");
  let wallet: DirectSecp256k1HdWallet;
  try {
    wallet = await DirectSecp256k1HdWallet.fromMnemonic(words, { prefix: config.prefix });
  } catch (error) {
    throw new ConnectRefused(`That is not a valid mnemonic (${error instanceof Error ? error.message : String(error)}).`);
  }
  return session(config, wallet, "mnemonic");
}

async function session(config: ChainConfig, signer: OfflineSigner, via: Session["via"]): Promise<Session> {
  const [account] = await signer.getAccounts();
  if (!account) throw new ConnectRefused("The wallet has no account for this chain.");
  let chain: SigningCosmWasmClient;
  try {
    chain = await SigningCosmWasmClient.connectWithSigner(config.rpc, signer, { gasPrice: GasPrice.fromString(config.gasPrice) });
  } catch (error) {
    throw new ConnectRefused(`Could not reach the chain's RPC at ${config.rpc} (${error instanceof Error ? error.message : String(error)}). Is the chain running?`);
  }
  const actualId = await chain.getChainId();
  if (actualId !== config.chainId) {
    chain.disconnect();
    throw new ConnectRefused(`The node at ${config.rpc} serves chain ${actualId}, not ${config.chainId}.`);
  }
  const mpc = new MpcClient(chain, account.address, {
    contracts: config.contracts,
    events: new CometEventSource(config.websocket),
  });
  return { config, address: account.address, via, chain, mpc, disconnect: () => chain.disconnect() };
}
