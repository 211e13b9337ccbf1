// One admin action: what it changes (beside what is in force now), the workspace's admin policy
// with who approved, rejected or is missing, its deadline; approve / reject.
import { facts, h, notice } from "../dom.js";
import type { WorkspaceTypes } from "@mpc-suite/client";
import type { Ctx, Rendered } from "../app.js";
import { action, keyPolicies, voteOnAction, workspace, type Workspace } from "../data.js";
import { addressLabel, policyPlain, policyView, voteControls } from "./parts.js";

type Action = WorkspaceTypes.AdminAction;

/** One line for lists. */
export function actionSummary(a: Action): string {
  if ("add_owner" in a) return `add owner ${a.add_owner.owner}`;
  if ("remove_owner" in a) return `remove owner ${a.remove_owner.owner}`;
  if ("set_admin_policy" in a) return a.set_admin_policy.policy ? "set the admin policy" : "reset the admin policy to the default";
  if ("set_sign_policy" in a) return a.set_sign_policy.policy ? "set the sign policy" : "reset the sign policy to the default";
  if ("set_key_policy" in a) return a.set_key_policy.policy ? `set key ${a.set_key_policy.key_id}'s own policy` : `remove key ${a.set_key_policy.key_id}'s own policy`;
  return a.set_alias.alias ? `rename the workspace to “${a.set_alias.alias}”` : "remove the workspace's alias";
}

async function changeView(ctx: Ctx, a: Action, ws: Workspace): Promise<HTMLElement> {
  const box = (...rows: Array<readonly [string, Node | string]>) => h("div", { "data-testid": "action-change" }, facts(rows));
  if ("add_owner" in a) return box(["Adds owner", addressLabel(ctx, a.add_owner.owner)], ["Owners now", `${ws.owners.length}`], ["Owners after", `${ws.owners.length + (ws.owners.includes(a.add_owner.owner) ? 0 : 1)}`]);
  if ("remove_owner" in a) return box(["Removes owner", addressLabel(ctx, a.remove_owner.owner)], ["Owners now", `${ws.owners.length}`], ["Owners after", `${ws.owners.length - 1}`], ["Note", "every vote this owner cast on open records stops counting"]);
  if ("set_admin_policy" in a) return box(["Admin policy now", policyPlain(ctx, ws.admin_policy)], ["Admin policy after", policyPlain(ctx, a.set_admin_policy.policy)]);
  if ("set_sign_policy" in a) return box(["Sign policy now", policyPlain(ctx, ws.sign_policy)], ["Sign policy after", policyPlain(ctx, a.set_sign_policy.policy)]);
  if ("set_key_policy" in a) {
    const current = (await keyPolicies(ctx.session, ws.id)).find((p) => p.key_id === a.set_key_policy.key_id)?.policy;
    return box(
      ["Key", `key ${a.set_key_policy.key_id}`],
      ["Its policy now", current ? policyPlain(ctx, current) : "none of its own (the workspace's sign policy)"],
      ["Its policy after", a.set_key_policy.policy ? policyPlain(ctx, a.set_key_policy.policy) : "none of its own (the workspace's sign policy)"],
    );
  }
  return box(["Alias now", ws.alias ?? "(none)"], ["Alias after", a.set_alias.alias ?? "(none)"]);
}

export async function actionView(ctx: Ctx, params: readonly string[]): Promise<Rendered> {
  const id = Number(params[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`"${params[0] ?? ""}" is not an admin action id`);
  const s = ctx.session;
  const a = await action(s, id);
  const ws = await workspace(s, a.workspace_id);
  const me = s.address;
  const open = a.status === "pending";
  const isOwner = ws.owners.includes(me);
  const myVote = a.approvals.includes(me) ? "approved" : a.rejections.includes(me) ? "rejected" : undefined;
  const hint = !open
    ? `This action is ${a.status}: voting is over.`
    : !isOwner
      ? "You are not an owner of this workspace: you cannot vote on it."
      : myVote
        ? `You ${myVote} this action.`
        : a.evaluation.awaiting.includes(me)
          ? "This action awaits your vote."
          : "The admin policy does not count your vote, but you are an owner: the contract decides.";
  const outcomeKey = `action:${id}`;
  const change = await changeView(ctx, a.action, ws);
  const node = h(
    "article",
    { "aria-labelledby": "act-h", "data-testid": "action", "data-action-id": id },
    h("h2", { id: "act-h" }, `Admin action ${id} `, h("span", { class: `badge s-${a.status}`, "data-testid": "action-status", "data-status": a.status }, a.status)),
    facts([
      ["Workspace", h("a", { href: `#/workspace/${a.workspace_id}`, id: "act-ws-link" }, `Workspace ${a.workspace_id}${ws.alias ? ` “${ws.alias}”` : ""}`)],
      ["Proposed by", addressLabel(ctx, a.proposer)],
      ["Created at", `height ${a.created_height}`],
      ["Deadline", h("span", { "data-deadline": a.deadline_height }, ctx.deadline(a.deadline_height))],
    ]),
    h("section", { "aria-labelledby": "change-h" }, h("h3", { id: "change-h" }, `What it changes: ${actionSummary(a.action)}`), change),
    h(
      "section",
      { "aria-labelledby": "apol-h" },
      h("h3", { id: "apol-h" }, "Admin policy in force"),
      h(
        "p",
        { "data-testid": "policy-summary" },
        a.evaluation.satisfied ? "The policy is met." : !a.evaluation.satisfiable ? "The policy can no longer be met." : `Still missing: ${a.evaluation.awaiting.length} eligible owner${a.evaluation.awaiting.length === 1 ? "" : "s"} may vote.`,
      ),
      policyView(ctx, ws.admin_policy ?? { owners: { threshold: 1 } }, { approvals: a.approvals, rejections: a.rejections, owners: ws.owners }, "policy-tree"),
    ),
    a.status === "pending" && a.evaluation.satisfied ? notice("info", h("p", null, "The policy is met but the action has not run: anyone may execute it.")) : null,
    voteControls(ctx, { key: outcomeKey, idBase: "act", open, mayVote: isOwner, hint, send: (vote) => void ctx.act(outcomeKey, () => voteOnAction(s, id, vote)) }),
  );
  return { title: `Admin action ${id}`, node, key: JSON.stringify([a, ws, ctx.outcomes.get(outcomeKey)]), deadlines: [a.deadline_height] };
}
