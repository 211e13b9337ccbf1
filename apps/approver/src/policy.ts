// A sign or admin policy as a tree, each node with where it stands given the votes that count
// (the request's or action's `approvals` / `rejections`, as the contracts return them) and the
// workspace's current owners. The same rules as packages/policy/src/evaluate.rs: an approver
// named in an `approver` leaf counts there only; the `owners` leaf counts the other owners;
// a node is met when its approvals satisfy it, cannot be met when the rejections make that
// impossible (everyone else assumed to approve), and is missing votes otherwise. The contract's
// own evaluation (`satisfied`, `satisfiable`, `awaiting`) stays the authority for the whole.
import type { WorkspaceTypes } from "@mpc-suite/client";

export type Policy = WorkspaceTypes.Policy;
export type Vote = "approved" | "rejected" | "missing";
export type NodeState = "met" | "failed" | "open";

export interface Voter {
  readonly address: string;
  readonly vote: Vote;
}

export interface PolicyNode {
  /** What the node asks for, in words. */
  readonly label: string;
  readonly state: NodeState;
  /** e.g. "1 of 2 approved" */
  readonly progress: string;
  /** Leaves: who votes here and how. */
  readonly voters: readonly Voter[];
  readonly children: readonly PolicyNode[];
}

export interface Ballots {
  readonly approvals: readonly string[];
  readonly rejections: readonly string[];
  readonly owners: readonly string[];
}

export function namedApprovers(policy: Policy, out: string[] = []): string[] {
  if ("approver" in policy) {
    if (!out.includes(policy.approver)) out.push(policy.approver);
  } else if ("any_of" in policy) policy.any_of.of.forEach((p) => namedApprovers(p, out));
  else if ("all_of" in policy) policy.all_of.forEach((p) => namedApprovers(p, out));
  return out;
}

function vote(address: string, b: Ballots): Vote {
  if (b.approvals.includes(address)) return "approved";
  if (b.rejections.includes(address)) return "rejected";
  return "missing";
}

/** The tree with each node's state. */
export function policyTree(policy: Policy, ballots: Ballots): PolicyNode {
  const named = namedApprovers(policy);
  const others = ballots.owners.filter((o) => !named.includes(o));
  return node(policy, ballots, others);
}

function node(policy: Policy, b: Ballots, others: readonly string[]): PolicyNode {
  if ("approver" in policy) {
    const v = vote(policy.approver, b);
    return {
      label: "this approver",
      state: v === "approved" ? "met" : v === "rejected" ? "failed" : "open",
      progress: v,
      voters: [{ address: policy.approver, vote: v }],
      children: [],
    };
  }
  if ("owners" in policy) {
    const threshold = policy.owners.threshold ?? 1;
    const voters = others.map((address) => ({ address, vote: vote(address, b) }));
    const approved = voters.filter((v) => v.vote === "approved").length;
    const possible = voters.filter((v) => v.vote !== "rejected").length;
    return {
      label:
        `${threshold} of the workspace's owners` +
        (others.length === b.owners.length ? "" : " not named elsewhere in the policy") +
        ` (${others.length})`,
      state: approved >= threshold ? "met" : possible < threshold ? "failed" : "open",
      progress: `${approved} of ${threshold} approved`,
      voters,
      children: [],
    };
  }
  const isAny = "any_of" in policy;
  const list = isAny ? policy.any_of.of : policy.all_of;
  const threshold = isAny ? policy.any_of.threshold : list.length;
  const children = list.map((p) => node(p, b, others));
  const met = children.filter((c) => c.state === "met").length;
  const possible = children.filter((c) => c.state !== "failed").length;
  return {
    label: isAny ? `at least ${threshold} of these ${list.length}` : `all of these ${list.length}`,
    state: met >= threshold ? "met" : possible < threshold ? "failed" : "open",
    progress: `${met} of ${threshold} met`,
    voters: [],
    children,
  };
}

/** Everyone the tree counts a vote of, with that vote (each once). */
export function voters(tree: PolicyNode, out: Voter[] = []): Voter[] {
  for (const v of tree.voters) if (!out.some((o) => o.address === v.address)) out.push(v);
  tree.children.forEach((c) => voters(c, out));
  return out;
}
