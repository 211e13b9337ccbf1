// Which chains a typed-in mnemonic may sign on, and what a chain description keeps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isLocalChain, publicChainConfig } from "../src/chainConfig.js";

test("a mnemonic only on a local chain id with a loopback RPC", () => {
  assert.equal(isLocalChain({ chainId: "mpc-localnet", rpc: "http://127.0.0.1:26657" }), true);
  assert.equal(isLocalChain({ chainId: "localnet-1", rpc: "http://localhost:26657" }), true);
  assert.equal(isLocalChain({ chainId: "wasmd-local", rpc: "http://[::1]:26657" }), true);
  assert.equal(isLocalChain({ chainId: "cosmoshub-4", rpc: "http://127.0.0.1:26657" }), false);
  assert.equal(isLocalChain({ chainId: "mpc-localnet", rpc: "https://rpc.example.org" }), false);
  assert.equal(isLocalChain({ chainId: "osmosis-1", rpc: "https://rpc.osmosis.zone" }), false);
  assert.equal(isLocalChain({ chainId: "mpc-localnet", rpc: "not a url" }), false);
});

test("a chain description keeps its public fields only (no mnemonic reaches the page)", () => {
  const config = publicChainConfig({
    chainId: "mpc-localnet",
    rpc: "http://127.0.0.1:1",
    websocket: "ws://127.0.0.1:1/websocket",
    rest: "http://127.0.0.1:2",
    prefix: "wasm",
    gasPrice: "0.025stake",
    contracts: { workspace: "w", keyring: "k", signatureRequests: "s" },
    mnemonics: ["secret words"],
    accounts: [{ mnemonic: "secret words", privateKeyHex: "00" }],
  });
  assert.equal(config.denom, "stake");
  assert.ok(!JSON.stringify(config).includes("secret"));
  assert.throws(() => publicChainConfig({ chainId: "x" }), /no rpc/);
});
