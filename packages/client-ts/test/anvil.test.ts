// The local EVM node the end-to-end EVM test will use (test/anvil.ts): it starts on a free port,
// viem's test client funds an address there and its balance reads back; then it stops.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestClient, http, parseEther, publicActions } from "viem";
import { foundry } from "viem/chains";
import { startAnvil } from "./anvil.js";

test("anvil starts on a free port, an address funded with setBalance reads its balance back, and it stops", async () => {
  const anvil = await startAnvil();
  try {
    const client = createTestClient({ mode: "anvil", chain: foundry, transport: http(anvil.url) }).extend(publicActions);
    assert.equal(await client.getChainId(), 31337);
    const address = "0x1111111111111111111111111111111111111111";
    assert.equal(await client.getBalance({ address }), 0n);
    await client.setBalance({ address, value: parseEther("42") });
    assert.equal(await client.getBalance({ address }), parseEther("42"));
  } finally {
    await anvil.stop();
  }
  await anvil.stop(); // idempotent
  await assert.rejects(fetch(anvil.url), "stopped: nothing listens on its port");
});

test("two nodes at once get ports of their own", async () => {
  const [a, b] = await Promise.all([startAnvil(), startAnvil({ chainId: 1337 })]);
  try {
    assert.notEqual(a.port, b.port);
    assert.equal(b.chainId, 1337);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});
