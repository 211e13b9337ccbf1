// "Check a payload": decode a payload as the request page does, from its JSON as the contract
// stores it ({ hash, data (base64), digest? }), and compare its digest with a given item. For
// reading a payload out of band (e.g. one sent over chat before it is requested).
import { fromBase64, fromHex, toHex } from "@cosmjs/encoding";
import { append, h, notice } from "../dom.js";
import { HASH_KINDS, isHashKind } from "@mpc-suite/client";
import { compareDigest, decodePayload, type Payload } from "../payload.js";
import { payloadFields } from "./request.js";

export function checkView(): HTMLElement {
  const out = h("div", { id: "check-out", "aria-live": "polite" });
  const area = h("textarea", { id: "check-payload", rows: 6, spellcheck: "false", "aria-describedby": "check-payload-help" }) as HTMLTextAreaElement;
  const item = h("input", { id: "check-item", type: "text", spellcheck: "false", autocomplete: "off", "aria-describedby": "check-item-help" }) as HTMLInputElement;
  const run = (event: Event) => {
    event.preventDefault();
    out.replaceChildren();
    let payload: Payload;
    try {
      payload = JSON.parse(area.value) as Payload;
      if (!isHashKind(payload.hash)) throw new Error(`"hash" must be one of ${HASH_KINDS.join(", ")}`);
      if (typeof payload.data !== "string") throw new Error(`"data" must be base64 text`);
    } catch (error) {
      out.append(notice("error", h("p", null, `Not a payload: ${error instanceof Error ? error.message : String(error)}`)));
      return;
    }
    let itemBytes: Uint8Array | undefined;
    const raw = item.value.trim();
    if (raw) {
      try {
        itemBytes = /^(0x)?[0-9a-f]+$/i.test(raw) ? fromHex(raw.replace(/^0x/i, "")) : fromBase64(raw);
      } catch {
        out.append(notice("error", h("p", null, "The digest to compare is neither hex nor base64.")));
        return;
      }
    }
    const decoded = decodePayload(payload);
    const check = compareDigest(decoded, itemBytes, payload);
    append(out, [
      h("h3", null, decoded.form),
      decoded.error ? notice("error", h("p", null, `Could not decode: ${decoded.error}`)) : null,
      !decoded.known ? notice("warning", h("p", null, h("strong", null, "Blind signing. "), "The page cannot show what these bytes do.")) : null,
      payloadFields(decoded),
      h(
        "p",
        { "data-testid": "digest-check", "data-matches": String(check.matches) },
        "Digest recomputed in the page ",
        decoded.digest ? h("code", { class: "mono wrap" }, "0x" + toHex(decoded.digest)) : "",
        itemBytes ? `: ${check.detail}.` : ".",
      ),
    ]);
  };
  return h(
    "section",
    { "aria-labelledby": "check-h" },
    h("h2", { id: "check-h" }, "Check a payload"),
    h("p", null, "Paste a payload as a payload request stores it, to see what it says and its digest."),
    h(
      "form",
      { onsubmit: run },
      h("label", { for: "check-payload" }, "Payload JSON"),
      h("p", { id: "check-payload-help", class: "small muted" }, '{"hash": "keccak256" | "sha256" | "sha256d" | "eip191" | "eip712" | "cosmos_sign_doc", "data": "<base64>", "digest": "<base64, eip712 only>"}'),
      area,
      h("label", { for: "check-item" }, "Digest on chain to compare (optional)"),
      h("p", { id: "check-item-help", class: "small muted" }, "hex (0x…) or base64"),
      item,
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "check-run", class: "primary" }, "Decode")),
    ),
    out,
  );
}
