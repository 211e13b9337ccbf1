// Contract events pushed by CometBFT over its websocket (cosmjs's Comet38Client over a
// WebsocketClient, which runs in Node and in browsers). As the connector does, it subscribes to
// the transactions that executed the contract (`execute._contract_address`; CometBFT's query
// syntax refuses the `-` of `wasm-<type>` keys) and picks the contract's custom events itself.
// It also follows the new blocks: an open request passes its deadline in a block that carries
// no transaction of the contract, and the first block says that the subscription is in place.
import { Comet38Client, WebsocketClient } from "@cosmjs/tendermint-rpc";
import { CONTRACT_ADDRESS_ATTR, WASM_EVENT_PREFIX } from "./events.js";

/** A custom event of a contract (`wasm-<type>`, the prefix removed), attributes by name. */
export interface ContractEvent {
  readonly type: string;
  readonly attributes: ReadonlyMap<string, string>;
}

export interface EventSubscription {
  /** Ends the subscription and its connection; a second call does nothing. */
  close(): void;
}

/** Where waits get contract events from. Failures go to `onError`; waits then poll. */
export interface ContractEventSource {
  /**
   * `onBlock`, when given, is called with the height of every new block once the subscription
   * is in place: its first call tells a wait that events are flowing (until then, and with a
   * source that never calls it, the wait polls at its fast interval), and the heights let it
   * re-read a record whose deadline has passed.
   */
  subscribe(
    contract: string,
    onEvent: (event: ContractEvent) => void,
    onError: (error: unknown) => void,
    onBlock?: (height: number) => void,
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

/**
 * Events from a CometBFT 0.38 node's websocket: its endpoint `ws://host:26657/websocket` (as
 * local-chain.json gives it) or the node's address `ws://host:26657` (cosmjs adds `/websocket`).
 */
export class CometEventSource implements ContractEventSource {
  private readonly nodeUrl: string;

  constructor(websocketUrl: string) {
    this.nodeUrl = cometNodeUrl(websocketUrl);
  }

  subscribe(
    contract: string,
    onEvent: (event: ContractEvent) => void,
    onError: (error: unknown) => void,
    onBlock?: (height: number) => void,
  ): EventSubscription {
    const socket = new WebsocketClient(this.nodeUrl, onError);
    const comet = Comet38Client.create(socket);
    const ended = () => onError(new Error("event subscription ended"));
    const query = `tm.event='Tx' AND execute.${CONTRACT_ADDRESS_ATTR}='${contract}'`;
    const subscriptions = [
      comet.subscribeTx(query).subscribe({
        next: (tx) => contractEvents(contract, tx.result.events).forEach(onEvent),
        error: onError,
        complete: ended,
      }),
    ];
    if (onBlock) {
      // Asked for after the transactions on the same socket: the node handles one connection's
      // requests in order, so a first block means that both subscriptions are in place.
      subscriptions.push(
        comet.subscribeNewBlockHeader().subscribe({
          next: (header) => onBlock(header.height),
          error: onError,
          complete: ended,
        }),
      );
    }
    let closed = false;
    return {
      close() {
        if (closed) return; // cosmjs throws on a second disconnect
        closed = true;
        subscriptions.forEach((subscription) => subscription.unsubscribe());
        disconnect(comet, socket);
      },
    };
  }
}

/**
 * The node's address for cosmjs's `WebsocketClient`, which appends `/websocket` itself (given
 * the endpoint, it would dial `.../websocket/websocket` and, failing, retry forever in silence).
 */
export function cometNodeUrl(websocketUrl: string): string {
  return websocketUrl.replace(/\/+$/, "").replace(/\/websocket$/, "");
}

/**
 * Disconnects for good. cosmjs 0.38's sockets leave a websocket open (and a Node process alive)
 * in two ways, both worked around here:
 * - its ReconnectingSocket schedules a reconnect whenever its socket reports itself
 *   disconnected, after an intended `disconnect()` too (at once, and again when the close
 *   completes): the pending timer is cancelled and its socket's `reconnect` made a no-op;
 * - a disconnect while the websocket is still connecting only drops cosmjs's reference to it
 *   ("imitate missing abort API"): the handshake completes and nobody closes it (a wait that
 *   finds its record final at the first read ends that early): it is closed here, which aborts
 *   the handshake (Node's `ws` and browsers alike).
 */
function disconnect(comet: Comet38Client, client: WebsocketClient): void {
  type WebSocketLike = { readonly readyState: number; close(): void };
  type Reconnecting = {
    reconnectTimeout?: ReturnType<typeof setTimeout> | null;
    // QueueingStreamingSocket → StreamingSocket → SocketWrapper → the WebSocket
    socket?: { reconnect?: () => void; socket?: { socket?: { socket?: WebSocketLike } } };
  };
  const reconnecting = (client as unknown as { socket?: Reconnecting }).socket;
  const webSocket = reconnecting?.socket?.socket?.socket?.socket;
  comet.disconnect();
  if (reconnecting) {
    if (reconnecting.reconnectTimeout) clearTimeout(reconnecting.reconnectTimeout);
    reconnecting.reconnectTimeout = null;
    if (reconnecting.socket) reconnecting.socket.reconnect = () => undefined;
  }
  const CONNECTING = 0; // WebSocket.CONNECTING, in browsers and in `ws`
  if (webSocket?.readyState === CONNECTING) webSocket.close();
}
