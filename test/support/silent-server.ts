import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface SilentServer {
  url: string;
  close(): Promise<void>;
}

/** Longest a request stays unanswered (past every deadline the tests set). */
const HOLD_MS = 30_000;
/** The header that asks for a slow answer instead of none. */
export const TRICKLE_HEADER = "x-silent-trickle";

/**
 * An HTTP origin on 127.0.0.1 that accepts every request, reads it and never answers: a peer
 * that is up but frozen, for deadlines (a region forward, a dependency check) to be shown to pass.
 * A connection closes when the client gives up, or after HOLD_MS.
 *
 * A request with `X-Silent-Trickle: <ms>` instead gets 200 and its headers at once and a body of
 * five pieces spread over that many ms: a slow stream, which a deadline on the start of a
 * response must not cut. A WebSocket upgrade with that header is accepted at once (101) and
 * sends one text frame, `late`, after that many ms: a socket that outlives such a deadline.
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    req.resume();
    const trickle = Number(req.headers[TRICKLE_HEADER]);
    if (Number.isFinite(trickle) && trickle > 0) return void trickleBody(res, trickle);
    const timer = setTimeout(() => req.socket.destroy(), HOLD_MS);
    req.socket.once("close", () => clearTimeout(timer));
  });
  server.on("upgrade", (req: IncomingMessage, socket: Socket) => {
    socket.on("error", () => {});
    const trickle = Number(req.headers[TRICKLE_HEADER]);
    const key = req.headers["sec-websocket-key"];
    // Without the header an upgrade is left unanswered like any request.
    if (!(Number.isFinite(trickle) && trickle > 0) || typeof key !== "string") return;
    const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const late = setTimeout(() => socket.write(Buffer.from([0x81, 4, ...Buffer.from("late")])), trickle);
    socket.once("close", () => clearTimeout(late));
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function trickleBody(res: ServerResponse, totalMs: number): Promise<void> {
  res.writeHead(200, { "content-type": "text/plain" });
  res.flushHeaders();
  for (let i = 0; i < 5; i++) {
    res.write(`piece ${i}\n`);
    await new Promise((resolve) => setTimeout(resolve, totalMs / 5));
  }
  res.end("done\n");
}
