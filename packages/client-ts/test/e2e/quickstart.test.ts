// The README's quickstart, as written, against a local chain with running connectors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { quickstart } from "../../examples/quickstart.js";
import { localChain } from "./localChain.js";

const chain = localChain();

test("the quickstart ends with a fulfilled request whose signature verifies", { skip: typeof chain === "string" ? chain : false, timeout: 600_000 }, async () => {
  const result = await quickstart(chain as Exclude<typeof chain, string>);
  assert.equal(result.signature.length, 64);
});
