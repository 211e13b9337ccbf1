// The policy tree (src/policy.ts) against the contracts' rules (packages/policy/src/evaluate.rs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { policyTree } from "../src/policy.js";

test("owners leaf: 1 of 2 approved is missing; 2 of 2 met; a rejection makes 2-of-2 unmeetable", () => {
  const p = { owners: { threshold: 2 } };
  assert.equal(policyTree(p, { approvals: ["a"], rejections: [], owners: ["a", "b"] }).state, "open");
  assert.equal(policyTree(p, { approvals: ["a", "b"], rejections: [], owners: ["a", "b"] }).state, "met");
  const t = policyTree(p, { approvals: ["a"], rejections: ["b"], owners: ["a", "b"] });
  assert.equal(t.state, "failed");
  assert.deepEqual(t.voters, [{ address: "a", vote: "approved" }, { address: "b", vote: "rejected" }]);
});

test("a named approver counts in its leaf only, the owners leaf counts the others", () => {
  const p = { any_of: { threshold: 2, of: [{ approver: "a" }, { owners: { threshold: 1 } }] } };
  const t = policyTree(p, { approvals: ["a"], rejections: [], owners: ["a", "b", "c"] });
  assert.equal(t.state, "open");
  assert.equal(t.children[0]!.state, "met");
  assert.deepEqual(t.children[1]!.voters.map((v) => v.address), ["b", "c"]);
  assert.equal(policyTree(p, { approvals: ["a", "c"], rejections: [], owners: ["a", "b", "c"] }).state, "met");
  assert.equal(policyTree({ all_of: [{ approver: "a" }, { approver: "b" }] }, { approvals: ["b"], rejections: ["a"], owners: ["a", "b"] }).state, "failed");
});
