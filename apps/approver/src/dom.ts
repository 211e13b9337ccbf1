// A small helper for building DOM nodes (no framework): h("p", { class: "x" }, "text", child).
type Child = Node | string | number | false | null | undefined | readonly Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else parent.appendChild(typeof child === "object" ? (child as Node) : document.createTextNode(String(child)));
  }
}

/** A definition list of label / value rows. */
export function facts(rows: ReadonlyArray<readonly [string, Child] | false | null | undefined>, cls = "facts"): HTMLDListElement {
  return h(
    "dl",
    { class: cls },
    rows.filter((r): r is readonly [string, Child] => !!r).map(([label, value]) => h("div", { class: "row" }, h("dt", null, label), h("dd", null, value))),
  );
}

/** A status word as a badge (text, not colour alone, says it). */
export function badge(status: string, testId?: string): HTMLSpanElement {
  return h("span", { class: `badge s-${status}`, "data-status": status, "data-testid": testId }, status);
}

export function notice(kind: "error" | "warning" | "info" | "success", ...children: Child[]): HTMLDivElement {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, ...children);
}

export function mono(text: string, cls = ""): HTMLElement {
  return h("code", { class: `mono ${cls}`.trim() }, text);
}
