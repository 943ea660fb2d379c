import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { type RawData, WebSocket, WebSocketServer } from "ws";
import type { SqlBackend, WireConnection } from "./backends/types";
import type { Log } from "./log";

// The Neon driver's WebSocket mode: it opens ws://gateway/v1?address=host:port (or /v2, the
// driver's default wsProxy suffix) and tunnels the raw Postgres protocol in binary messages. The
// address is only logged: every tunnel goes to the backend's one database, so the gateway is
// never an open TCP proxy.

export interface WebSocketRelayOptions {
  backend: SqlBackend;
  log: Log;
  /** Largest single WebSocket message accepted from a client. */
  maxMessageBytes: number;
}

export interface WebSocketRelay {
  readonly sessionCount: number;
  close(): Promise<void>;
}

const TUNNEL_PATHS = new Set(["/v1", "/v2"]);
/** Database → client bytes queued in the WebSocket before the database side is paused. */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;
/** On shutdown, clients get this long to see the close frame before their sockets are cut. */
const CLOSE_GRACE_MS = 1_000;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function rejectUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function attachWebSocketRelay(server: Server, options: WebSocketRelayOptions): WebSocketRelay {
  const { backend, log } = options;
  // Compression would cost CPU on every tiny protocol message for little gain; the driver does
  // not ask for it either.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    perMessageDeflate: false,
  });
  const sessions = new Set<WebSocket>();

  const relay = (ws: WebSocket, requestedAddress: string | null): void => {
    sessions.add(ws);
    const openedAt = Date.now();
    let bytesIn = 0;
    let bytesOut = 0;
    let unflushed = 0;
    let databasePaused = false;

    const wire: WireConnection = backend.openWire({
      onData(chunk) {
        if (ws.readyState !== WebSocket.OPEN) return;
        bytesOut += chunk.length;
        unflushed += chunk.length;
        ws.send(chunk, { binary: true }, () => {
          unflushed -= chunk.length;
          if (databasePaused && unflushed < LOW_WATER_BYTES) {
            databasePaused = false;
            wire.resume();
          }
        });
        if (!databasePaused && unflushed > HIGH_WATER_BYTES) {
          databasePaused = true;
          wire.pause();
        }
      },
      onClose(error) {
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
          ws.close(error ? 1011 : 1000, error ? "database connection failed" : "database connection closed");
        }
      },
      onDrain() {
        ws.resume();
      },
    });

    ws.on("message", (data, isBinary) => {
      if (!isBinary) {
        ws.close(1003, "binary messages only");
        return;
      }
      const chunk = toBuffer(data);
      bytesIn += chunk.length;
      if (!wire.write(chunk)) ws.pause();
    });
    ws.on("error", (error) => {
      log({ level: "warn", msg: "websocket error", error: error.message });
    });
    ws.on("close", (code) => {
      sessions.delete(ws);
      wire.end();
      log({
        level: "debug",
        msg: "websocket session closed",
        requestedAddress,
        code,
        bytesIn,
        bytesOut,
        durationMs: Date.now() - openedAt,
      });
    });
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => socket.destroy());
    const url = new URL(req.url ?? "/", "http://gateway");
    if (!TUNNEL_PATHS.has(url.pathname)) {
      rejectUpgrade(socket, "404 Not Found");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => relay(ws, url.searchParams.get("address")));
  };
  server.on("upgrade", onUpgrade);

  return {
    get sessionCount() {
      return sessions.size;
    },
    async close() {
      server.off("upgrade", onUpgrade);
      const open = [...sessions];
      for (const ws of open) ws.close(1001, "gateway shutting down");
      await Promise.race([
        Promise.all(
          open.map((ws) =>
            ws.readyState === WebSocket.CLOSED
              ? undefined
              : new Promise((resolve) => ws.once("close", resolve)),
          ),
        ),
        new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref()),
      ]);
      for (const ws of open) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
