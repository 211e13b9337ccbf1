// Pieces the views share: the policy tree, the vote controls with their outcome, pagers, links.
import { h, notice } from "../dom.js";
import { short } from "../format.js";
import { policyTree, type Ballots, type Policy, type PolicyNode } from "../policy.js";
import type { Ctx } from "../app.js";

const STATE_TEXT = { met: "met", failed: "cannot be met", open: "missing votes" } as const;
const STATE_ICON = { met: "✓", failed: "✗", open: "…" } as const;
const VOTE_ICON = { approved: "✓", rejected: "✗", missing: "○" } as const;

export function addressLabel(ctx: Ctx, address: string): HTMLElement {
  const me = address === ctx.session.address;
  return h("span", { class: "addr", title: address }, h("code", { class: "mono" }, address), me ? h("strong", null, " (you)") : null);
}

/** The policy as a nested list: each node met / cannot be met / missing votes; each voter approved / rejected / missing. */
export function policyView(ctx: Ctx, policy: Policy, ballots: Ballots, testId: string): HTMLElement {
  return h("ul", { class: "policy", "data-testid": testId }, nodeView(ctx, policyTree(policy, ballots)));
}

function nodeView(ctx: Ctx, n: PolicyNode): HTMLElement {
  return h(
    "li",
    { class: `node st-${n.state}`, "data-state": n.state },
    h(
      "div",
      { class: "node-head" },
      h("span", { class: "icon", "aria-hidden": "true" }, STATE_ICON[n.state]),
      h("span", { class: "node-label" }, n.label),
      h("span", { class: "node-state" }, ` — ${STATE_TEXT[n.state]} (${n.progress})`),
    ),
    n.voters.length > 0
      ? h(
          "ul",
          { class: "voters" },
          n.voters.map((v) =>
            h(
              "li",
              { class: `voter v-${v.vote}`, "data-voter": v.address, "data-vote": v.vote },
              h("span", { class: "icon", "aria-hidden": "true" }, VOTE_ICON[v.vote]),
              addressLabel(ctx, v.address),
              h("span", { class: "vote" }, ` ${v.vote}`),
            ),
          ),
        )
      : null,
    n.children.length > 0 ? h("ul", null, n.children.map((c) => nodeView(ctx, c))) : null,
  );
}

/**
 * Approve / reject for a record still open, and the outcome of the last vote sent from here.
 * Offered to any owner while the record is open; the contract decides (its text is shown when
 * it refuses).
 */
export function voteControls(
  ctx: Ctx,
  opts: { key: string; idBase: string; open: boolean; mayVote: boolean; hint: string; send: (vote: "approve" | "reject") => void },
): HTMLElement {
  const outcome = ctx.outcomes.get(opts.key);
  const sending = outcome === "sending";
  return h(
    "section",
    { class: "vote-box", "aria-labelledby": `${opts.idBase}-vote-h` },
    h("h3", { id: `${opts.idBase}-vote-h` }, "Your vote"),
    h("p", { class: "hint", "data-testid": "vote-hint" }, opts.hint),
    opts.open && opts.mayVote
      ? h(
          "div",
          { class: "buttons" },
          h("button", { id: `${opts.idBase}-approve`, type: "button", class: "primary", disabled: sending, onclick: () => opts.send("approve") }, "Approve"),
          h("button", { id: `${opts.idBase}-reject`, type: "button", class: "danger", disabled: sending, onclick: () => opts.send("reject") }, "Reject"),
        )
      : null,
    sending
      ? notice("info", h("p", { "data-testid": "tx-outcome" }, "Sending… (sign in your wallet if it asks)"))
      : outcome
        ? notice(
            outcome.ok ? "success" : "error",
            h("p", { "data-testid": "tx-outcome", "data-ok": String(outcome.ok) }, outcome.text),
            outcome.txHash ? h("p", { class: "small" }, "Transaction ", h("code", { class: "mono" }, outcome.txHash)) : null,
          )
        : null,
  );
}

/** Previous / next for a list paged by cursors (the stack holds the cursors of the pages before). */
export function pager<C>(ctx: Ctx, list: string, next: C | null, label: string): HTMLElement | null {
  const stack = ctx.page<C | null>(list);
  if (stack.length === 0 && next === null) return null;
  return h(
    "nav",
    { class: "pager", "aria-label": `${label} pages` },
    h(
      "button",
      {
        type: "button",
        id: `${list}-prev`,
        disabled: stack.length === 0,
        onclick: () => {
          stack.pop();
          void ctx.shell.refresh();
        },
      },
      "Previous page",
    ),
    h("span", { class: "page-no" }, `page ${stack.length + 1}`),
    h(
      "button",
      {
        type: "button",
        id: `${list}-next`,
        disabled: next === null,
        onclick: () => {
          stack.push(next);
          void ctx.shell.refresh();
        },
      },
      "Next page",
    ),
  );
}

/** The cursor of the page shown (null: the first). */
export function cursor<C>(ctx: Ctx, list: string): C | null {
  const stack = ctx.page<C | null>(list);
  return stack.length ? stack[stack.length - 1]! : null;
}

export { short };

/** A policy as a nested list, without votes (what a workspace sets, what an action would set). */
export function policyPlain(ctx: Ctx, policy: Policy | null | undefined, testId?: string): HTMLElement {
  if (!policy) return h("p", { "data-testid": testId }, "the default: any one owner");
  return h("ul", { class: "policy plain", "data-testid": testId }, plainNode(ctx, policy));
}

function plainNode(ctx: Ctx, p: Policy): HTMLElement {
  if ("approver" in p) return h("li", null, "approver ", addressLabel(ctx, p.approver));
  if ("owners" in p) return h("li", null, `${p.owners.threshold ?? 1} of the owners (not named elsewhere)`);
  if ("any_of" in p) return h("li", null, `at least ${p.any_of.threshold} of:`, h("ul", null, p.any_of.of.map((c) => plainNode(ctx, c))));
  return h("li", null, "all of:", h("ul", null, p.all_of.map((c) => plainNode(ctx, c))));
}
