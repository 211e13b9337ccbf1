// A local EVM node for the tests: anvil from the npm package @foundry-rs/anvil (a devDependency,
// whose platform package carries the binary), on a port the system picks, stopped by the test;
// and a transfer sent through it with viem's wallet client.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createTestClient, createWalletClient, http, parseEther, publicActions, type Address, type LocalAccount, type TransactionReceipt } from "viem";
import { foundry } from "viem/chains";

export interface Anvil {
  /** JSON-RPC over HTTP, e.g. http://127.0.0.1:39451 */
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  /** Stops the node (SIGTERM, then SIGKILL after 5 s); resolves once it exited. Idempotent. */
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** Default 31337 (viem's `foundry` chain). */
  readonly chainId?: number;
  /** More command-line arguments (e.g. `["--block-time", "1"]`). */
  readonly args?: readonly string[];
  /** How long to wait for the node to answer (default 30 s). */
  readonly timeoutMs?: number;
}

const ARCH: Partial<Record<string, string>> = { x64: "amd64", arm64: "arm64" };

/** The anvil binary: `ANVIL_BIN` if set, else the one @foundry-rs/anvil installed for this platform. */
export function anvilBinary(): string {
  const fromEnv = process.env.ANVIL_BIN;
  if (fromEnv) return fromEnv;
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${ARCH[process.arch] ?? process.arch}`;
  const require = createRequire(import.meta.url);
  let packageJson: string;
  try {
    packageJson = require.resolve(`${platformPackage}/package.json`);
  } catch (error) {
    throw new Error(`${platformPackage} is not installed (npm ci in packages/client-ts installs it with @foundry-rs/anvil)`, { cause: error });
  }
  return join(dirname(packageJson), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
}

/** Starts anvil on a free port (`--port 0`: it prints the one it bound) and waits until it answers JSON-RPC. */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const chainId = options.chainId ?? 31337;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(anvilBinary(), ["--host", "127.0.0.1", "--port", "0", "--chain-id", String(chainId), ...(options.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A test that ends or dies before stop() must neither hang on the node nor leave it running:
  // the node keeps no reference on this process, and is killed when the process exits.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  exited.then(() => process.off("exit", killOnExit));

  const output: string[] = []; // the last lines, for errors
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
    })());

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`anvil did not listen within ${timeoutMs} ms`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n")) {
          output.push(line);
          if (output.length > 40) output.shift();
          const listening = /^Listening on [^\s]+:(\d+)\s*$/.exec(line.trim());
          if (listening) {
            clearTimeout(timer);
            resolve(Number(listening[1]));
          }
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`anvil exited (${signal ?? code}) before listening`));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForRpc(url, chainId, timeoutMs);
    return { url, port, chainId, stop };
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}; anvil's last output:\n${output.join("\n")}`, { cause: error });
  }
}

async function waitForRpc(url: string, chainId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      });
      const { result } = (await response.json()) as { result?: string };
      if (result !== undefined && Number(result) === chainId) return;
      if (result !== undefined) throw new Error(`anvil at ${url} answers chain id ${Number(result)}, not ${chainId}`);
    } catch (error) {
      if (error instanceof Error && /answers chain id/.test(error.message)) throw error;
      if (Date.now() > deadline) throw new Error(`anvil at ${url} did not answer within ${timeoutMs} ms`, { cause: error });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What the node shows after `sendOnAnvil`. */
export interface SentOnAnvil {
  readonly receipt: TransactionReceipt;
  /** The included transaction's type ("eip1559" for viem's default). */
  readonly type: string;
  /** The recipient's balance afterwards. */
  readonly received: bigint;
  /** The sender's nonce afterwards. */
  readonly senderNonce: number;
}

/**
 * Funds `account` on a fresh anvil node, sends `value` to `to` through viem's wallet client (an
 * EIP-1559 transaction, viem's default) and waits for its receipt; stops the node.
 */
export async function sendOnAnvil(account: LocalAccount, to: Address, value: bigint): Promise<SentOnAnvil> {
  const anvil = await startAnvil();
  try {
    const node = createTestClient({ mode: "anvil", chain: foundry, transport: http(anvil.url) }).extend(publicActions);
    await node.setBalance({ address: account.address, value: value + parseEther("1") });
    const wallet = createWalletClient({ account, chain: foundry, transport: http(anvil.url) });
    const hash = await wallet.sendTransaction({ to, value });
    const receipt = await node.waitForTransactionReceipt({ hash });
    return {
      receipt,
      type: (await node.getTransaction({ hash })).type,
      received: await node.getBalance({ address: to }),
      senderNonce: await node.getTransactionCount({ address: account.address }),
    };
  } finally {
    await anvil.stop();
  }
}
