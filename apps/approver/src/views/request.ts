// One signature request: its workspace, its key (public key, the addresses it controls), its
// items (a payload decoded with its digest recomputed, or a raw hash shown as blind signing), the
// policy with who approved, rejected or is missing, deadlines, fee, signatures; approve / reject.
import { fromBase64, toHex } from "@cosmjs/encoding";
import { verifyRequestSignatures } from "@mpc-suite/client";
import { facts, h, mono, notice } from "../dom.js";
import { coins } from "../format.js";
import type { Ctx, Rendered } from "../app.js";
import { addresses, key, policyEvaluation, request, signPolicy, voteOnRequest, workspace, type SignatureRequest } from "../data.js";
import { addressLabel, policyView, voteControls } from "./parts.js";
// The decoders (viem, cosmjs registry) load only for a payload request: see payload.ts.
import type { DecodedPayload, Payload } from "../payload.js";
type Decoder = typeof import("../payload.js");

const OPEN = new Set(["partial"]);

export async function requestView(ctx: Ctx, params: readonly string[]): Promise<Rendered> {
  const id = Number(params[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`"${params[0] ?? ""}" is not a request id`);
  const s = ctx.session;
  const r = await request(s, id);
  const [evaluation, k, ws, inForce] = await Promise.all([
    policyEvaluation(s, id).catch(() => undefined),
    key(s, r.key_id),
    workspace(s, r.workspace_id),
    signPolicy(s, r.workspace_id, r.key_id).catch(() => undefined),
  ]);
  const addrs = await addresses(s, k);
  const me = s.address;
  const isOwner = ws.owners.includes(me);
  const open = OPEN.has(r.status);
  const myVote = r.approvals.includes(me) ? "approved" : r.rejections.includes(me) ? "rejected" : undefined;
  const awaitingMe = evaluation?.evaluation.awaiting.includes(me) ?? false;
  const hint = !open
    ? `This request is ${r.status}: voting is over.`
    : !isOwner
      ? "You are not an owner of this request's workspace: you cannot vote on it."
      : myVote
        ? `You ${myVote} this request. The contract counts one vote per owner.`
        : awaitingMe
          ? "This request awaits your vote."
          : "The policy in force does not count your vote, but you are an owner: the contract decides.";

  // A payload request's payloads; none: its items are raw hashes or messages (blind signing).
  const payloads = r.payloads?.length ? r.payloads : undefined;
  const decoder = payloads ? await import("../payload.js") : undefined;
  const outcomeKey = `request:${id}`;
  const node = h(
    "article",
    { "aria-labelledby": "req-h", "data-testid": "request", "data-request-id": id },
    h("h2", { id: "req-h" }, `Signature request ${id} `, h("span", { class: `badge s-${r.status}`, "data-testid": "request-status", "data-status": r.status }, r.status)),
    r.reject_reason ? notice("error", h("p", null, `Rejected: ${r.reject_reason}`)) : null,
    facts([
      ["Workspace", h("a", { href: `#/workspace/${r.workspace_id}`, id: "req-ws-link" }, `Workspace ${r.workspace_id}${ws.alias ? ` “${ws.alias}”` : ""}`)],
      ["Requested by", addressLabel(ctx, r.requester)],
      ["Created at", `height ${r.created_height}`],
      ["Approval deadline", h("span", { "data-deadline": r.approval_deadline_height }, ctx.deadline(r.approval_deadline_height))],
      r.mpc_deadline_height != null && ["Signing deadline", h("span", { "data-deadline": r.mpc_deadline_height }, ctx.deadline(r.mpc_deadline_height))],
      ["Fee paid", h("span", { "data-testid": "request-fee" }, coins(r.fee))],
      ["Keyring", `keyring ${r.keyring_id}: ${r.party_threshold} of ${r.parties.length} parties sign`],
      r.callback ? ["Callback", addressLabel(ctx, r.callback)] : null,
    ]),
    h(
      "section",
      { "aria-labelledby": "key-h" },
      h("h3", { id: "key-h" }, `Key ${k.id}`),
      facts([
        ["Type", k.key_type === "ecdsa_secp256k1" ? "ECDSA secp256k1" : "EdDSA Ed25519"],
        ["Public key (hex)", mono(toHex(fromBase64(k.public_key)), "wrap")],
        ...addrs.rows.map(([label, value]) => [`${label} address`, mono(value, "wrap")] as const),
      ]),
      h(
        "p",
        { class: "small muted", "data-testid": "addresses-source" },
        addrs.source === "keyring"
          ? "Addresses from the keyring's addresses query."
          : addrs.rows.length
            ? "Addresses computed in the page from the public key (this keyring has no addresses query)."
            : "No address is computed for this key type (this keyring has no addresses query).",
      ),
    ),
    itemsView(r, payloads, decoder),
    h(
      "section",
      { "aria-labelledby": "policy-h" },
      h("h3", { id: "policy-h" }, inForce === undefined ? "Policy in force" : inForce.key_policy ? `Policy in force: key ${r.key_id}'s own` : "Policy in force: the workspace's sign policy"),
      evaluation
        ? h(
            "p",
            { "data-testid": "policy-summary" },
            evaluation.evaluation.satisfied
              ? "The policy is met."
              : !evaluation.evaluation.satisfiable
                ? "The policy can no longer be met."
                : `Still missing: ${evaluation.evaluation.awaiting.length} eligible owner${evaluation.evaluation.awaiting.length === 1 ? "" : "s"} may vote.`,
          )
        : null,
      policyView(ctx, r.policy, { approvals: r.approvals, rejections: r.rejections, owners: r.owners }, "policy-tree"),
    ),
    r.signatures && r.signatures.length ? signaturesView(r) : null,
    voteControls(ctx, {
      key: outcomeKey,
      idBase: "req",
      open,
      mayVote: isOwner,
      hint,
      send: (vote) => void ctx.act(outcomeKey, () => voteOnRequest(s, id, vote)),
    }),
  );
  const outcome = ctx.outcomes.get(outcomeKey);
  return {
    title: `Signature request ${id}`,
    node,
    key: JSON.stringify([r, evaluation, addrs, inForce?.key_policy, outcome]),
    deadlines: [r.approval_deadline_height, r.mpc_deadline_height ?? 0],
  };
}

function itemsView(r: SignatureRequest, payloads: Payload[] | undefined, decoder: Decoder | undefined): HTMLElement {
  const ecdsa = r.key_type === "ecdsa_secp256k1";
  return h(
    "section",
    { "aria-labelledby": "items-h" },
    h("h3", { id: "items-h" }, `What is signed (${r.items.length} item${r.items.length === 1 ? "" : "s"})`),
    !payloads
      ? notice(
          "warning",
          h("p", { "data-testid": "blind-signing" }, h("strong", null, "Blind signing. "), ecdsa ? "These items are bare 32-byte hashes: nothing on chain says what they are hashes of. " : "These items are raw messages with no declared form. ", "Approve only if you know, from elsewhere, exactly what was hashed and why."),
        )
      : null,
    h(
      "ol",
      { class: "items", "data-testid": "items" },
      r.items.map((item, i) => {
        const bytes = fromBase64(item);
        const payload = payloads?.[i];
        if (!payload || !decoder) {
          return h(
            "li",
            { class: "item blind", "data-testid": "item" },
            facts([
              [ecdsa ? "Hash (blind)" : "Message (raw)", mono("0x" + toHex(bytes), "wrap")],
              ["Length", `${bytes.length} bytes`],
            ]),
          );
        }
        const decoded = decoder.decodePayload(payload);
        const check = decoder.compareDigest(decoded, bytes, payload);
        return h(
          "li",
          { class: "item", "data-testid": "item", "data-form": decoded.form },
          h("p", null, h("strong", null, decoded.form), ` (hash: ${payload.hash})`),
          !decoded.known ? notice("warning", h("p", { "data-testid": "blind-signing" }, h("strong", null, "Blind signing. "), "The page cannot show what these bytes do.")) : null,
          decoded.error ? notice("error", h("p", null, `Could not decode: ${decoded.error}`)) : null,
          payloadFields(decoded),
          h(
            "p",
            { class: check.matches ? "ok" : "bad", "data-testid": "digest-check", "data-matches": String(check.matches) },
            check.matches ? "✓ " : "✗ ",
            "Digest recomputed in the page ",
            decoded.digest ? mono("0x" + toHex(decoded.digest), "wrap") : "",
            `: ${check.detail}.`,
          ),
        );
      }),
    ),
  );
}

export function payloadFields(decoded: DecodedPayload): HTMLElement {
  return h(
    "div",
    { class: "payload" },
    facts(decoded.fields.map((f) => [f.label, mono(f.value, "wrap")] as const), "facts payload-fields"),
    decoded.sections.map((s) => h("div", { class: "payload-section" }, h("h4", null, s.title), facts(s.fields.map((f) => [f.label, mono(f.value, "wrap")] as const), "facts payload-fields"))),
  );
}

function signaturesView(r: SignatureRequest): HTMLElement {
  let verified: string;
  try {
    verifyRequestSignatures(r);
    verified = "✓ Every signature verifies against the key (checked in the page).";
  } catch (error) {
    verified = `✗ ${error instanceof Error ? error.message : String(error)}`;
  }
  return h(
    "section",
    { "aria-labelledby": "sigs-h" },
    h("h3", { id: "sigs-h" }, "Signatures"),
    h("p", { "data-testid": "signatures-verified" }, verified),
    h("ol", { "data-testid": "signatures" }, (r.signatures ?? []).map((sig) => h("li", null, mono("0x" + toHex(fromBase64(sig)), "wrap")))),
  );
}
