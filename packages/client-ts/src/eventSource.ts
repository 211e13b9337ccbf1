// Contract events pushed by CometBFT over its websocket (cosmjs's Comet38Client over a
// WebsocketClient, which runs in Node and in browsers). As the connector does, it subscribes to
// the transactions that executed the contract (`execute._contract_address`; CometBFT's query
// syntax refuses the `-` of `wasm-<type>` keys) and picks the contract's custom events itself.
import { Comet38Client, WebsocketClient } from "@cosmjs/tendermint-rpc";
import { CONTRACT_ADDRESS_ATTR, WASM_EVENT_PREFIX } from "./events.js";

/** A custom event of a contract (`wasm-<type>`, the prefix removed), attributes by name. */
export interface ContractEvent {
  readonly type: string;
  readonly attributes: ReadonlyMap<string, string>;
}

export interface EventSubscription {
  close(): void;
}

/** Where waits get contract events from. Failures go to `onError`; waits then poll. */
export interface ContractEventSource {
  subscribe(
    contract: string,
    onEvent: (event: ContractEvent) => void,
    onError: (error: unknown) => void,
  ): EventSubscription;
}

/** The custom events that `contract` emitted, from one transaction's events. */
export function contractEvents(
  contract: string,
  events: ReadonlyArray<{ readonly type: string; readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: string }> }>,
): ContractEvent[] {
  return events.flatMap((event) => {
    if (!event.type.startsWith(WASM_EVENT_PREFIX)) return [];
    const attributes = new Map(event.attributes.map(({ key, value }) => [key, value] as const));
    if (attributes.get(CONTRACT_ADDRESS_ATTR) !== contract) return [];
    return [{ type: event.type.slice(WASM_EVENT_PREFIX.length), attributes }];
  });
}

/** Events from a CometBFT 0.38 node's websocket (`ws://host:26657/websocket`). */
export class CometEventSource implements ContractEventSource {
  constructor(private readonly websocketUrl: string) {}

  subscribe(
    contract: string,
    onEvent: (event: ContractEvent) => void,
    onError: (error: unknown) => void,
  ): EventSubscription {
    const socket = new WebsocketClient(this.websocketUrl, onError);
    const comet = Comet38Client.create(socket);
    const query = `tm.event='Tx' AND execute.${CONTRACT_ADDRESS_ATTR}='${contract}'`;
    const subscription = comet.subscribeTx(query).subscribe({
      next: (tx) => contractEvents(contract, tx.result.events).forEach(onEvent),
      error: onError,
      complete: () => onError(new Error("event subscription ended")),
    });
    return {
      close() {
        subscription.unsubscribe();
        comet.disconnect();
        cancelReconnect(socket);
      },
    };
  }
}

/**
 * cosmjs 0.38's ReconnectingSocket schedules a reconnect whenever its socket reports itself
 * disconnected, after an intended `disconnect()` too (at once, and again when the close
 * completes): the socket would open again, never to be closed, and keep a Node process alive.
 * So its pending timer is cancelled and its socket's `reconnect` made a no-op.
 */
function cancelReconnect(client: WebsocketClient): void {
  type Reconnecting = {
    reconnectTimeout?: ReturnType<typeof setTimeout> | null;
    socket?: { reconnect?: () => void };
  };
  const reconnecting = (client as unknown as { socket?: Reconnecting }).socket;
  if (!reconnecting) return;
  if (reconnecting.reconnectTimeout) clearTimeout(reconnecting.reconnectTimeout);
  reconnecting.reconnectTimeout = null;
  if (reconnecting.socket) reconnecting.socket.reconnect = () => undefined;
}
