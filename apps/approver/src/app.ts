// The page's shell: the session, the current view and its refreshes. A view loads what it shows
// and renders it; the shell swaps the DOM only when what is shown changed (keeping focus on the
// control that had it, by id), re-renders on every event of the contracts (CometBFT websocket,
// through the client package's event source), updates the deadlines' block counts on every new
// block, re-reads when a shown deadline passes, and polls every 10 s while the websocket is down.
import type { EventSubscription } from "@mpc-suite/client";
import { h } from "./dom.js";
import { deadline as deadlineText } from "./format.js";
import type { TxOutcome } from "./data.js";
import { blockSeconds, height } from "./data.js";
import type { Session } from "./wallet.js";

export interface Rendered {
  readonly title: string;
  readonly node: HTMLElement;
  /** What the view shows, as a string: the DOM is replaced only when it changes. */
  readonly key: string;
  /** Deadline heights shown: passing one re-reads the view. */
  readonly deadlines?: readonly number[];
}

export type View = (ctx: Ctx, params: readonly string[]) => Promise<Rendered>;

export type Outcome = TxOutcome | "sending";

export class Ctx {
  height = 0;
  blockSeconds: number | undefined;
  readonly outcomes = new Map<string, Outcome>();
  /** Paging state per list, e.g. a stack of cursors. */
  readonly pages = new Map<string, unknown[]>();
  live = false;

  constructor(
    readonly session: Session,
    readonly shell: Shell,
  ) {}

  /** Runs a transaction for `key` (e.g. "request:12"), its outcome shown by the view that has the key. */
  async act(key: string, run: () => Promise<TxOutcome>): Promise<void> {
    if (this.outcomes.get(key) === "sending") return;
    this.outcomes.set(key, "sending");
    void this.shell.refresh();
    const outcome = await run();
    this.outcomes.set(key, outcome);
    this.shell.announce(outcome.text);
    // The vote's buttons may be gone now (the record moved on): focus goes to the outcome.
    this.shell.focusNext = "[data-testid=tx-outcome]";
    await this.shell.refresh();
  }

  deadline(h: number): string {
    return deadlineText(h, this.height, this.blockSeconds);
  }

  page<C>(list: string): C[] {
    let stack = this.pages.get(list) as C[] | undefined;
    if (!stack) this.pages.set(list, (stack = []));
    return stack;
  }
}

export class Shell {
  ctx: Ctx | undefined;
  private view: View | undefined;
  private params: readonly string[] = [];
  private shownKey = "";
  private deadlines: readonly number[] = [];
  private subscriptions: EventSubscription[] = [];
  private refreshing: Promise<void> | undefined;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private generation = 0;
  private navigatedPending = false;
  /** After the next render, focus this (e.g. a transaction's outcome). */
  focusNext: string | undefined;

  constructor(
    readonly main: HTMLElement,
    readonly status: HTMLElement,
    readonly liveRegion: HTMLElement,
  ) {}

  announce(text: string): void {
    // Cleared first so that the same text is read again.
    this.liveRegion.textContent = "";
    setTimeout(() => (this.liveRegion.textContent = text), 50);
  }

  async start(session: Session): Promise<void> {
    this.stop();
    const ctx = new Ctx(session, this);
    this.ctx = ctx;
    ctx.height = await height(session);
    ctx.blockSeconds = await blockSeconds(session);
    this.subscribe();
    this.poller = setInterval(() => {
      if (!ctx.live) void this.refresh();
    }, 10_000);
  }

  stop(): void {
    this.subscriptions.forEach((s) => s.close());
    this.subscriptions = [];
    if (this.poller) clearInterval(this.poller);
    this.ctx?.session.disconnect();
    this.ctx = undefined;
    this.shownKey = "";
  }

  private subscribe(): void {
    const ctx = this.ctx;
    if (!ctx?.session.mpc.events) return;
    const events = ctx.session.mpc.events;
    const { contracts } = ctx.session.config;
    const onError = () => {
      if (this.ctx !== ctx) return;
      ctx.live = false;
      this.showStatus();
      this.subscriptions.forEach((s) => s.close());
      this.subscriptions = [];
      setTimeout(() => this.ctx === ctx && this.subscriptions.length === 0 && this.subscribe(), 5000);
    };
    const onEvent = () => this.soon();
    this.subscriptions = [
      events.subscribe(contracts.signatureRequests, onEvent, onError, (h) => this.onBlock(ctx, h)),
      events.subscribe(contracts.workspace, onEvent, onError),
    ];
  }

  private onBlock(ctx: Ctx, h: number): void {
    if (this.ctx !== ctx) return;
    const first = !ctx.live;
    ctx.live = true;
    const before = ctx.height;
    ctx.height = Math.max(ctx.height, h);
    this.showStatus();
    this.main.querySelectorAll<HTMLElement>("[data-deadline]").forEach((el) => {
      el.textContent = ctx.deadline(Number(el.dataset["deadline"]));
    });
    // A shown deadline passed (the record now reads expired), or events may have been missed.
    if (first || this.deadlines.some((d) => d >= before && d < ctx.height)) this.soon();
  }

  showStatus(): void {
    const ctx = this.ctx;
    if (!ctx) {
      this.status.textContent = "";
      return;
    }
    this.status.replaceChildren(
      h("span", { class: ctx.live ? "dot on" : "dot off", "aria-hidden": "true" }),
      ctx.live ? `live · block ${ctx.height}` : `not live (re-reading every 10 s) · block ${ctx.height}`,
    );
  }

  /** Shows `view` (after a navigation). */
  async show(view: View, params: readonly string[]): Promise<void> {
    this.view = view;
    this.params = params;
    this.shownKey = "";
    this.generation++;
    await this.refresh(true);
  }

  /** A refresh shortly (events come in bursts: one per party answer). */
  soon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, 200);
  }

  /** Re-reads and re-renders the current view; concurrent calls coalesce. */
  async refresh(navigated = false): Promise<void> {
    if (navigated) this.navigatedPending = true;
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    const nav = this.navigatedPending;
    this.navigatedPending = false;
    this.refreshing = this.render(nav).finally(() => (this.refreshing = undefined));
    await this.refreshing;
    if (this.again) {
      this.again = false;
      await this.refresh();
    }
  }

  private async render(navigated: boolean): Promise<void> {
    const view = this.view;
    const ctx = this.ctx;
    if (!view || !ctx) return;
    const generation = this.generation;
    let rendered: Rendered;
    try {
      rendered = await view(ctx, this.params);
    } catch (error) {
      rendered = failure(error);
    }
    if (generation !== this.generation || this.ctx !== ctx) {
      if (navigated) this.navigatedPending = true; // the next pass renders the new view as a navigation
      return;
    }
    this.deadlines = rendered.deadlines ?? [];
    document.title = `${rendered.title} · MPC approver`;
    if (rendered.key === this.shownKey && !navigated) return;
    this.shownKey = rendered.key;
    const focusedId = (document.activeElement as HTMLElement | null)?.id;
    const scroll = window.scrollY;
    this.main.replaceChildren(rendered.node);
    if (navigated) {
      const heading = this.main.querySelector<HTMLElement>("h2");
      heading?.setAttribute("tabindex", "-1");
      heading?.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    } else {
      if (focusedId) document.getElementById(focusedId)?.focus({ preventScroll: true });
      window.scrollTo(0, scroll);
    }
    if (this.focusNext) {
      const target = this.main.querySelector<HTMLElement>(this.focusNext);
      this.focusNext = undefined;
      if (target) {
        target.setAttribute("tabindex", "-1");
        target.focus();
      }
    }
  }
}

function failure(error: unknown): Rendered {
  const text = error instanceof Error ? error.message : String(error);
  return {
    title: "Error",
    key: `error:${text}`,
    node: h(
      "section",
      null,
      h("h2", null, "Something went wrong"),
      h("div", { class: "notice error", role: "alert" }, h("p", null, text)),
      h("p", null, h("a", { href: "#/" }, "Back to what awaits my approval")),
    ),
  };
}
