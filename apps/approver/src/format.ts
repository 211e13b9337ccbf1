// How numbers, coins, heights and addresses read on the page.
import type { Coin } from "@cosmjs/amino";

export function coins(list: readonly Coin[] | null | undefined): string {
  if (!list || list.length === 0) return "none";
  return list.map((c) => `${c.amount} ${c.denom}`).join(", ");
}

/** "in 42 blocks (about 13 s)" / "passed 3 blocks ago". */
export function deadline(deadlineHeight: number, height: number, blockSeconds: number | undefined): string {
  const left = deadlineHeight - height;
  if (left < 0) return `height ${deadlineHeight}: passed ${-left} block${-left === 1 ? "" : "s"} ago`;
  const est = blockSeconds === undefined ? "" : ` (about ${duration(left * blockSeconds)})`;
  return `height ${deadlineHeight}: ${left} block${left === 1 ? "" : "s"} left${est}`;
}

export function duration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

export function short(address: string): string {
  return address.length > 20 ? `${address.slice(0, 10)}…${address.slice(-6)}` : address;
}
