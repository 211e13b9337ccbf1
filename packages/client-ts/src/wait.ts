// Waiting until a record (a signature or key request) reaches a final status. Contract events
// make the wait prompt; polling makes it certain: it runs alone while no subscription is live
// (none given, not in place yet, or failed), and slowly beside one. An open request also ends
// by passing its deadline, which no transaction announces (it reads as `expired` in queries
// until someone settles it): the source's new blocks tell the wait when the record's deadline
// height is behind, and it reads the record then.
import type { ContractEvent, ContractEventSource } from "./eventSource.js";
import { ContractRefusal, WaitTimeout } from "./errors.js";

export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Give up after this long (default 10 minutes). */
  readonly timeoutMs?: number;
  /** Polling interval while no event subscription is live (default 2 s). */
  readonly pollIntervalMs?: number;
  /** Polling interval beside a live subscription (default 30 s): a safety net, as events and blocks end the wait. */
  readonly subscribedPollIntervalMs?: number;
}

export interface WatchSpec<R extends { readonly status: string }> {
  /** Reads the record (a query). */
  load(): Promise<R>;
  isFinal(record: R): boolean;
  /**
   * The last height at which the open record can still move (from the next block on it reads
   * as expired); absent: only events and polls end the wait.
   */
  deadlineHeight?(record: R): number | undefined;
  /** Events that may mean the record changed; absent: polling only. */
  readonly events?: {
    readonly source: ContractEventSource;
    readonly contract: string;
    concerns(event: ContractEvent): boolean;
  };
}

export const WAIT_DEFAULTS = {
  timeoutMs: 10 * 60_000,
  pollIntervalMs: 2_000,
  subscribedPollIntervalMs: 30_000,
} as const;

/** The record once final. Rejects with `WaitTimeout`, the signal's reason, or a refusal. */
export function waitUntilFinal<R extends { readonly status: string }>(
  spec: WatchSpec<R>,
  options: WaitOptions = {},
): Promise<R> {
  const timeoutMs = options.timeoutMs ?? WAIT_DEFAULTS.timeoutMs;
  const pollMs = options.pollIntervalMs ?? WAIT_DEFAULTS.pollIntervalMs;
  const subscribedPollMs = options.subscribedPollIntervalMs ?? WAIT_DEFAULTS.subscribedPollIntervalMs;
  const { signal } = options;

  return new Promise<R>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let done = false;
    let live = false; // the subscription is in place (a block came) and delivered no error
    let failed = false; // the subscription delivered an error: polling from now on
    let recordDeadline: number | undefined; // of the record as last read, while open
    let readPast: number | undefined; // the record deadline a block past it made the wait read
    let lastStatus: string | undefined;
    let lastError: unknown;
    let checking = false;
    let recheck = false;
    let pollTimer: ReturnType<typeof setTimeout> | undefined;
    let subscription: { close(): void } | undefined;

    const finish = (outcome: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(pollTimer);
      signal?.removeEventListener("abort", onAbort);
      subscription?.close();
      outcome();
    };
    const onAbort = () => finish(() => reject(signal!.reason));
    const deadline = setTimeout(
      () => finish(() => reject(new WaitTimeout(timeoutMs, lastStatus, { cause: lastError }))),
      timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });

    // One query at a time; an event during a query asks for one more right after it.
    const check = async (): Promise<void> => {
      if (done) return;
      if (checking) {
        recheck = true;
        return;
      }
      checking = true;
      try {
        const record = await spec.load();
        lastStatus = record.status;
        if (spec.isFinal(record)) return finish(() => resolve(record));
        recordDeadline = spec.deadlineHeight?.(record);
      } catch (error) {
        // A refusal (e.g. no such request) will not change by waiting; anything else (the
        // node unreachable for a moment) is tried again at the next poll.
        if (error instanceof ContractRefusal) return finish(() => reject(error));
        lastError = error;
      } finally {
        checking = false;
      }
      if (recheck) {
        recheck = false;
        return check();
      }
    };
    const schedulePoll = () => {
      if (done) return;
      clearTimeout(pollTimer); // one timer, whoever schedules
      pollTimer = setTimeout(async () => {
        await check();
        schedulePoll();
      }, live ? subscribedPollMs : pollMs);
    };
    if (spec.events) {
      const { source, contract, concerns } = spec.events;
      const onBlock = (height: number) => {
        if (done || failed) return;
        if (!live) {
          // In place now: read once for what happened before, then poll slowly.
          live = true;
          void check();
          schedulePoll();
        } else if (recordDeadline !== undefined && height > recordDeadline && readPast !== recordDeadline) {
          // Once per deadline: the record now reads as expired, or has moved on to a new one.
          readPast = recordDeadline;
          void check();
        }
      };
      try {
        subscription = source.subscribe(
          contract,
          (event) => {
            if (concerns(event)) void check();
          },
          (error) => {
            // Fall back to polling at the fast interval from now on.
            lastError = error;
            if (failed) return;
            failed = true;
            live = false;
            subscription?.close();
            clearTimeout(pollTimer);
            void check().then(schedulePoll);
          },
          onBlock,
        );
      } catch (error) {
        failed = true;
        lastError = error;
      }
    }
    // The record may be final already (or become so before the subscription is up).
    void check().then(schedulePoll);
  });
}
