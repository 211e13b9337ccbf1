// The README's quickstart is examples/quickstart.ts verbatim (which the e2e test runs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// compiled to build-test/test/: the package root is two levels up
const root = fileURLToPath(new URL("../../", import.meta.url));

test("README.md shows examples/quickstart.ts as it is", () => {
  const readme = readFileSync(root + "README.md", "utf8");
  const example = readFileSync(root + "examples/quickstart.ts", "utf8");
  const block = /```ts quickstart\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "README.md has a ```ts quickstart block");
  assert.equal(block, example, "copy examples/quickstart.ts into README.md's quickstart block");
});
