// A workspace: owners, admin and sign policies, keys' own policies, keys, and the history of its
// signature requests (status and signatures) and admin actions, each paged.
import { fromBase64, toHex } from "@cosmjs/encoding";
import { facts, h, mono } from "../dom.js";
import type { Ctx, Rendered } from "../app.js";
import { actionsOf, keyPolicies, keysOf, requestsOf, workspace } from "../data.js";
import { actionSummary } from "./action.js";
import { addressLabel, cursor, pager, policyPlain } from "./parts.js";

export async function workspaceView(ctx: Ctx, params: readonly string[]): Promise<Rendered> {
  const id = Number(params[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`"${params[0] ?? ""}" is not a workspace id`);
  const s = ctx.session;
  const lists = { keys: `ws${id}-keys`, requests: `ws${id}-requests`, actions: `ws${id}-actions` };
  const [ws, kp, keys, requests, actions] = await Promise.all([
    workspace(s, id),
    keyPolicies(s, id),
    keysOf(s, id, cursor<number>(ctx, lists.keys)),
    requestsOf(s, id, cursor<number>(ctx, lists.requests)),
    actionsOf(s, id, cursor<number>(ctx, lists.actions)),
  ]);
  const node = h(
    "article",
    { "aria-labelledby": "ws-h", "data-testid": "workspace" },
    h("h2", { id: "ws-h" }, `Workspace ${id}${ws.alias ? ` “${ws.alias}”` : ""}`),
    facts([
      ["Created", `height ${ws.created_height} by `],
      ws.parent_id != null && ["Parent", h("a", { href: `#/workspace/${ws.parent_id}` }, `Workspace ${ws.parent_id}`)],
      ws.children.length > 0 && ["Children", h("span", null, ws.children.map((c, i) => [i ? ", " : "", h("a", { href: `#/workspace/${c}` }, `Workspace ${c}`)]))],
    ]),
    h(
      "section",
      { "aria-labelledby": "ws-owners-h" },
      h("h3", { id: "ws-owners-h" }, `Owners (${ws.owners.length})`),
      h("ul", { class: "plainlist", "data-testid": "owners" }, ws.owners.map((o) => h("li", null, addressLabel(ctx, o)))),
    ),
    h(
      "section",
      { "aria-labelledby": "ws-pol-h" },
      h("h3", { id: "ws-pol-h" }, "Policies"),
      facts([
        ["Admin policy", policyPlain(ctx, ws.admin_policy, "admin-policy")],
        ["Sign policy", policyPlain(ctx, ws.sign_policy, "sign-policy")],
        ...kp.map((p) => [`Key ${p.key_id}'s own policy`, policyPlain(ctx, p.policy)] as const),
      ]),
    ),
    h(
      "section",
      { "aria-labelledby": "ws-keys-h" },
      h("h3", { id: "ws-keys-h" }, "Keys"),
      keys.items.length === 0
        ? h("p", { class: "muted" }, "No key yet.")
        : h(
            "ul",
            { class: "cards" },
            keys.items.map((k) =>
              h(
                "li",
                { class: "card" },
                h("strong", null, `Key ${k.id}`),
                ` · ${k.key_type === "ecdsa_secp256k1" ? "ECDSA secp256k1" : "EdDSA Ed25519"} · keyring ${k.keyring_id} (${k.party_threshold} of ${k.parties.length})`,
                h("p", { class: "small" }, "Public key ", mono(toHex(fromBase64(k.public_key)), "wrap")),
              ),
            ),
          ),
      pager(ctx, lists.keys, keys.next, "Keys"),
    ),
    h(
      "section",
      { "aria-labelledby": "ws-req-h" },
      h("h3", { id: "ws-req-h" }, "Signature requests (in id order)"),
      requests.items.length === 0
        ? h("p", { class: "muted" }, "No signature request yet.")
        : h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { "data-testid": "history" },
              h("caption", { class: "sr-only" }, "Signature requests of this workspace"),
              h("thead", null, h("tr", null, h("th", { scope: "col" }, "Request"), h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Votes"), h("th", { scope: "col" }, "Signatures"))),
              h(
                "tbody",
                null,
                requests.items.map((r) =>
                  h(
                    "tr",
                    { "data-request-id": r.id },
                    h("td", null, h("a", { href: `#/request/${r.id}` }, `#${r.id}`)),
                    h("td", null, h("span", { class: `badge s-${r.status}` }, r.status)),
                    h("td", null, String(r.key_id)),
                    h("td", null, `${r.approvals.length} ✓ ${r.rejections.length} ✗`),
                    h("td", null, r.signatures?.length ? r.signatures.map((sig) => h("div", null, mono("0x" + toHex(fromBase64(sig)).slice(0, 24) + "…"))) : "—"),
                  ),
                ),
              ),
            ),
          ),
      pager(ctx, lists.requests, requests.next, "Signature requests"),
    ),
    h(
      "section",
      { "aria-labelledby": "ws-act-h" },
      h("h3", { id: "ws-act-h" }, "Admin actions"),
      actions.items.length === 0
        ? h("p", { class: "muted" }, "No admin action yet.")
        : h(
            "ul",
            { class: "cards" },
            actions.items.map((a) => h("li", { class: "card" }, h("a", { href: `#/action/${a.id}` }, `Admin action ${a.id}`), " ", h("span", { class: `badge s-${a.status}` }, a.status), h("p", { class: "small" }, actionSummary(a.action)))),
          ),
      pager(ctx, lists.actions, actions.next, "Admin actions"),
    ),
  );
  // "Created ... by" gets the creator appended (facts takes one node per row).
  node.querySelector("dd")?.append(addressLabel(ctx, ws.creator));
  return { title: `Workspace ${id}`, node, key: JSON.stringify([ws, kp, keys, requests, actions, [...ctx.pages]]) };
}
