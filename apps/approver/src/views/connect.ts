// Before a session: the chain the page talks to, and how to connect (Keplr, or a local key on a
// local chain only).
import { h, notice } from "../dom.js";
import { ConfigError, isLocalChain, publicChainConfig, type ChainConfig } from "../chainConfig.js";
import { ConnectRefused, connectKeplr, connectMnemonic, keplr, type Session } from "../wallet.js";

export interface ConnectHandlers {
  readonly config: ChainConfig | undefined;
  readonly configError: string | undefined;
  setConfig(config: ChainConfig): void;
  connected(session: Session): void;
}

export function connectView(handlers: ConnectHandlers): HTMLElement {
  const { config } = handlers;
  const errorBox = h("div", { id: "connect-error", "aria-live": "assertive" });
  const fail = (error: unknown) => {
    const text = error instanceof ConnectRefused || error instanceof ConfigError ? error.message : `Could not connect: ${error instanceof Error ? error.message : String(error)}`;
    errorBox.replaceChildren(notice("error", h("p", { "data-testid": "connect-error" }, text)));
  };
  const busy = (button: HTMLButtonElement, on: boolean) => {
    button.disabled = on;
    button.setAttribute("aria-busy", String(on));
  };

  const configForm = () => {
    const area = h("textarea", { id: "chain-json", rows: 5, spellcheck: "false", "aria-describedby": "chain-json-help" }) as HTMLTextAreaElement;
    return h(
      "form",
      {
        class: "box",
        onsubmit: (event: Event) => {
          event.preventDefault();
          try {
            handlers.setConfig(publicChainConfig(JSON.parse(area.value)));
          } catch (error) {
            fail(error instanceof SyntaxError ? new ConfigError(`Not JSON: ${error.message}`) : error);
          }
        },
      },
      h("label", { for: "chain-json" }, "Chain description (JSON)"),
      h(
        "p",
        { id: "chain-json-help", class: "small muted" },
        "The contents of local-chain.json (written by scripts/local-chain.sh), or the same fields for another chain: chainId, rpc, websocket, rest, prefix, denom, gasPrice, contracts { workspace, keyring, signatureRequests }. Mnemonics in it are ignored.",
      ),
      area,
      h("div", { class: "buttons" }, h("button", { type: "submit", id: "chain-use" }, "Use this chain")),
    );
  };

  if (!config) {
    return h(
      "section",
      { "aria-labelledby": "connect-h" },
      h("h2", { id: "connect-h" }, "Which chain?"),
      handlers.configError ? notice("error", h("p", null, handlers.configError)) : h("p", null, "The page found no chain description (chain.json beside it, or ?config=<url>)."),
      configForm(),
      errorBox,
    );
  }

  const local = isLocalChain(config);
  const k = keplr();
  const keplrButton = h("button", { type: "button", id: "connect-keplr", class: "primary", disabled: !k }, "Connect with Keplr") as HTMLButtonElement;
  keplrButton.addEventListener("click", async () => {
    busy(keplrButton, true);
    try {
      handlers.connected(await connectKeplr(config));
    } catch (error) {
      fail(error);
    } finally {
      busy(keplrButton, false);
    }
  });
  const mnemonic = h("textarea", { id: "mnemonic", rows: 3, spellcheck: "false", autocomplete: "off", "aria-describedby": "mnemonic-help" }) as HTMLTextAreaElement;
  const mnemonicButton = h("button", { type: "submit", id: "connect-mnemonic" }, "Connect with this key") as HTMLButtonElement;
  const mnemonicForm = h(
    "form",
    {
      class: "box",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        busy(mnemonicButton, true);
        try {
          const session = await connectMnemonic(config, mnemonic.value);
          mnemonic.value = "";
          handlers.connected(session);
        } catch (error) {
          fail(error);
        } finally {
          busy(mnemonicButton, false);
        }
      },
    },
    h("h3", null, "A local key (local chains only)"),
    h("label", { for: "mnemonic" }, "Mnemonic"),
    h(
      "p",
      { id: "mnemonic-help", class: "small muted" },
      local
        ? "Kept in this tab's memory only: never stored, gone when you disconnect or close the tab. Only for a local chain's test accounts."
        : `Refused on this chain: ${config.chainId} is not a local chain. A mnemonic is only accepted for a local chain id with its RPC on this machine.`,
    ),
    mnemonic,
    h("div", { class: "buttons" }, mnemonicButton),
  );

  return h(
    "section",
    { "aria-labelledby": "connect-h" },
    h("h2", { id: "connect-h" }, "Connect as an approver"),
    h("p", null, "Chain ", h("strong", { "data-testid": "chain-id" }, config.chainId), " at ", h("code", { class: "mono" }, config.rpc), local ? " (a local chain)." : "."),
    errorBox,
    h(
      "div",
      { class: "box" },
      h("h3", null, "Keplr"),
      k ? h("p", null, "Keplr is asked to add this chain if it does not know it, then for your account.") : h("p", { class: "muted" }, "Keplr is not installed in this browser."),
      h("div", { class: "buttons" }, keplrButton),
    ),
    mnemonicForm,
    h("details", null, h("summary", null, "Use another chain"), configForm()),
  );
}
