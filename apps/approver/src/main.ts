// Boot: find the chain description, show the connect view until a session exists, then route
// (#/ inbox, #/request/<id>, #/action/<id>, #/workspace/<id>, #/check) inside the shell.
import "./style.css";
import { h } from "./dom.js";
import { short } from "./format.js";
import { ConfigError, publicChainConfig, type ChainConfig } from "./chainConfig.js";
import { Shell, type View } from "./app.js";
import { connectView } from "./views/connect.js";
import { inboxView } from "./views/inbox.js";
import { requestView } from "./views/request.js";
import { actionView } from "./views/action.js";
import { workspaceView } from "./views/workspace.js";
import type { Session } from "./wallet.js";

const main = document.getElementById("main")!;
const status = document.getElementById("live-status")!;
const account = document.getElementById("account")!;
const nav = document.getElementById("nav")!;
const liveRegion = document.getElementById("announce")!;
const shell = new Shell(main, status, liveRegion);

let config: ChainConfig | undefined;
let configError: string | undefined;

const routes: Record<string, View> = {
  "": async (ctx) => inboxView(ctx),
  request: requestView,
  action: actionView,
  workspace: workspaceView,
  check: async () => ({ title: "Check a payload", node: (await import("./views/check.js")).checkView(), key: "check" }),
};

function route(): void {
  const [name = "", ...params] = location.hash.replace(/^#\/?/, "").split("/").filter((p, i) => i === 0 || p !== "");
  nav.querySelectorAll("a").forEach((a) => (a.getAttribute("href") === `#/${name}` ? a.setAttribute("aria-current", "page") : a.removeAttribute("aria-current")));
  if (!shell.ctx) {
    if (name === "check") {
      void import("./views/check.js").then(({ checkView }) => main.replaceChildren(checkView()));
      return;
    }
    showConnect();
    return;
  }
  const view = routes[name];
  if (!view) {
    main.replaceChildren(h("section", null, h("h2", null, "Not found"), h("p", null, "No such page. ", h("a", { href: "#/" }, "What awaits my approval"))));
    return;
  }
  void shell.show(view, params);
}

function showConnect(): void {
  document.title = "Connect · MPC approver";
  main.replaceChildren(
    connectView({
      config,
      configError,
      setConfig: (c) => {
        config = c;
        configError = undefined;
        showConnect();
      },
      connected: (session) => void start(session),
    }),
  );
}

async function start(session: Session): Promise<void> {
  await shell.start(session);
  account.replaceChildren(
    h("span", { title: session.address }, `${session.via === "keplr" ? "Keplr" : "Local key"}: `, h("code", { class: "mono", "data-testid": "account" }, short(session.address))),
    " ",
    h("button", { type: "button", id: "disconnect", onclick: disconnect }, "Disconnect"),
  );
  shell.showStatus();
  shell.announce(`Connected as ${session.address}`);
  route();
}

function disconnect(): void {
  shell.stop();
  account.replaceChildren();
  shell.showStatus();
  location.hash = "#/";
  showConnect();
}

async function loadConfig(): Promise<void> {
  const url = new URLSearchParams(location.search).get("config") ?? "chain.json";
  try {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) throw new ConfigError(response.status === 404 ? "" : `${url}: HTTP ${response.status}`);
    config = publicChainConfig(await response.json());
  } catch (error) {
    config = undefined;
    const text = error instanceof Error ? error.message : String(error);
    configError = text ? `Could not read the chain description ${url}: ${text}` : undefined;
  }
}

// Another account chosen in Keplr: this page's session is no longer that account's.
window.addEventListener("keplr_keystorechange", () => {
  if (shell.ctx?.session.via !== "keplr") return;
  disconnect();
  shell.announce("Keplr's account changed: connect again.");
});
window.addEventListener("hashchange", route);
void loadConfig().then(route);
