// CometEventSource's websocket against a local HTTP server that answers the upgrade itself:
// where it dials, and that closing a subscription closes its websocket (even mid-handshake) and
// dials no more.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { AddressInfo } from "node:net";
import { CometEventSource } from "../src/index.js";
import { until } from "./until.js";

const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** A server whose websocket handshakes complete `delayMs` after the request; what it saw. */
async function slowWebsocketServer(delayMs: number) {
  const paths: string[] = [];
  const upgraded = { count: 0 };
  const closed: Array<Promise<void>> = [];
  const sockets: Duplex[] = [];
  const server = createServer();
  server.on("upgrade", (request: IncomingMessage, socket: Duplex) => {
    paths.push(request.url ?? "");
    sockets.push(socket);
    closed.push(new Promise((resolve) => socket.once("close", () => resolve())));
    socket.on("error", () => undefined);
    socket.on("end", () => socket.destroy()); // the client hung up (the server's socket is half-open)
    // The client's frames: a close frame (opcode 8) is answered with one, and the server hangs up.
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const frame = clientFrame(buffered);
        if (!frame) return;
        buffered = buffered.subarray(frame.length);
        if (frame.opcode === 8) socket.end(Buffer.from([0x88, 0]));
      }
    });
    setTimeout(() => {
      if (socket.destroyed) return;
      const accept = createHash("sha1").update(request.headers["sec-websocket-key"] + WEBSOCKET_GUID).digest("base64");
      socket.write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      upgraded.count += 1;
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/websocket`,
    paths,
    upgraded,
    closed,
    stop: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}

/** The opcode and length of the first whole (masked) client frame in `data`. */
function clientFrame(data: Buffer): { opcode: number; length: number } | undefined {
  if (data.length < 2) return undefined;
  let length = data[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  const total = offset + 4 + length; // clients mask every frame: a 4-byte key
  return data.length < total ? undefined : { opcode: data[0]! & 0x0f, length: total };
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms).unref()),
  ]);

test("closing a subscription while its websocket is still connecting closes the websocket", { timeout: 10_000 }, async () => {
  // The handshake is held back 1 s: the subscription is closed as soon as the server sees the
  // upgrade request, well inside that second.
  const server = await slowWebsocketServer(1_000);
  // The endpoint as local-chain.json gives it: dialled as is, not as .../websocket/websocket.
  const subscription = new CometEventSource(server.url).subscribe("wasm1contract", () => undefined, () => undefined, () => undefined);
  try {
    await until(() => server.paths.length > 0, 5_000, "the upgrade request");
    assert.deepEqual(server.paths, ["/websocket"]);
    subscription.close();
    // cosmjs alone would let the handshake complete and leave the websocket open for good.
    await within(server.closed[0]!, 3_000, "the websocket closed");
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the handshake and any reconnect
    assert.equal(server.paths.length, 1, "no reconnect");
  } finally {
    subscription.close(); // a failed assertion must not leave it reconnecting (the process would hang)
    await server.stop();
  }
});

test("closing a subscription whose websocket is open closes it, with no reconnect", { timeout: 10_000 }, async () => {
  const server = await slowWebsocketServer(0);
  const subscription = new CometEventSource(server.url.replace("/websocket", "")).subscribe("wasm1contract", () => undefined, () => undefined);
  try {
    await until(() => server.upgraded.count > 0, 5_000, "the handshake");
    await new Promise((resolve) => setTimeout(resolve, 200)); // the client reads the 101
    assert.deepEqual(server.paths, ["/websocket"]);
    subscription.close();
    await within(server.closed[0]!, 3_000, "the websocket closed");
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(server.paths.length, 1, "no reconnect");
  } finally {
    subscription.close();
    await server.stop();
  }
});
