// "Awaiting my approval": the signature requests and admin actions whose policy in force lets me
// vote and that have no vote of mine, as the contracts compute them (paged by their cursors),
// and my workspaces.
import { h } from "../dom.js";
import { coins } from "../format.js";
import type { Ctx, Rendered } from "../app.js";
import { actionsAwaiting, requestsAwaiting, workspacesOf, type InboxCursor } from "../data.js";
import { actionSummary } from "./action.js";
import { cursor, pager } from "./parts.js";

export async function inboxView(ctx: Ctx): Promise<Rendered> {
  const me = ctx.session.address;
  const [requests, actions, workspaces] = await Promise.all([
    requestsAwaiting(ctx.session, me, cursor<InboxCursor>(ctx, "inbox-requests")),
    actionsAwaiting(ctx.session, me, cursor<InboxCursor>(ctx, "inbox-actions")),
    workspacesOf(ctx.session, me),
  ]);
  const empty = requests.items.length === 0 && actions.items.length === 0 && ctx.page("inbox-requests").length === 0 && ctx.page("inbox-actions").length === 0;
  const node = h(
    "section",
    { "aria-labelledby": "inbox-h" },
    h("h2", { id: "inbox-h" }, "Awaiting my approval"),
    empty
      ? h(
          "div",
          { class: "empty", "data-testid": "inbox-empty" },
          h("p", null, h("strong", null, "Nothing awaits your approval.")),
          h("p", null, "New signature requests and admin actions that need your vote appear here as they are made; this page updates by itself."),
        )
      : null,
    h(
      "section",
      { "aria-labelledby": "inbox-req-h" },
      h("h3", { id: "inbox-req-h" }, `Signature requests (${requests.items.length}${requests.next ? "+" : ""})`),
      requests.items.length === 0
        ? h("p", { class: "muted" }, "No signature request awaits you.")
        : h(
            "ul",
            { class: "cards", "data-testid": "inbox-requests" },
            requests.items.map((r) =>
              h(
                "li",
                { class: "card", "data-request-id": r.id },
                h("a", { href: `#/request/${r.id}`, id: `open-request-${r.id}` }, `Signature request ${r.id}`),
                " ",
                h("span", { class: `badge s-${r.status}` }, r.status),
                h(
                  "p",
                  { class: "small" },
                  `Workspace ${r.workspace_id} · key ${r.key_id} (${r.key_type === "ecdsa_secp256k1" ? "ECDSA secp256k1" : "EdDSA Ed25519"}) · ${r.items.length} item${r.items.length === 1 ? "" : "s"} · ${r.approvals.length} approval${r.approvals.length === 1 ? "" : "s"} · fee ${coins(r.fee)}`,
                ),
                h("p", { class: "small" }, "Approval deadline: ", h("span", { "data-deadline": r.approval_deadline_height }, ctx.deadline(r.approval_deadline_height))),
              ),
            ),
          ),
      pager(ctx, "inbox-requests", requests.next, "Signature requests"),
    ),
    h(
      "section",
      { "aria-labelledby": "inbox-act-h" },
      h("h3", { id: "inbox-act-h" }, `Admin actions (${actions.items.length}${actions.next ? "+" : ""})`),
      actions.items.length === 0
        ? h("p", { class: "muted" }, "No admin action awaits you.")
        : h(
            "ul",
            { class: "cards", "data-testid": "inbox-actions" },
            actions.items.map((a) =>
              h(
                "li",
                { class: "card", "data-action-id": a.id },
                h("a", { href: `#/action/${a.id}`, id: `open-action-${a.id}` }, `Admin action ${a.id}`),
                " ",
                h("span", { class: `badge s-${a.status}` }, a.status),
                h("p", { class: "small" }, `Workspace ${a.workspace_id}: ${actionSummary(a.action)}`),
                h("p", { class: "small" }, "Deadline: ", h("span", { "data-deadline": a.deadline_height }, ctx.deadline(a.deadline_height))),
              ),
            ),
          ),
      pager(ctx, "inbox-actions", actions.next, "Admin actions"),
    ),
    h(
      "section",
      { "aria-labelledby": "inbox-ws-h" },
      h("h3", { id: "inbox-ws-h" }, "My workspaces"),
      workspaces.length === 0
        ? h("p", { class: "muted" }, "You own no workspace on this chain.")
        : h(
            "ul",
            { class: "links" },
            workspaces.map((w) =>
              h("li", null, h("a", { href: `#/workspace/${w.id}`, id: `open-workspace-${w.id}` }, `Workspace ${w.id}${w.alias ? ` “${w.alias}”` : ""}`), ` · ${w.owners.length} owners`),
            ),
          ),
    ),
  );
  return {
    title: "Awaiting my approval",
    node,
    key: JSON.stringify([requests, actions, workspaces, [...ctx.pages]]),
    deadlines: [...requests.items.map((r) => r.approval_deadline_height), ...actions.items.map((a) => a.deadline_height)],
  };
}
