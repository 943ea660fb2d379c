import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the receiver got it; `at` is the Node clock's arrival time (ms). */
export interface ReceivedWebhook {
  at: number;
  headers: Record<string, string>;
  body: string;
  status: number;
}

export interface WebhookReceiver {
  url: string;
  close(): Promise<void>;
}

/**
 * A webhook receiver for tests and the bench, on 127.0.0.1 with a random port. Each test uses
 * its own path name (`POST {url}/hooks/{name}`), so tests never see each other's deliveries.
 *
 * - `POST /hooks/{name}`: recorded; answers 500 while the name has failures left, else 200.
 * - `POST /control/{name}?fail=N`: the next N deliveries to the name fail.
 * - `POST /control/{name}?hang=N`: the next N deliveries get no answer (recorded with status 0;
 *   the connection is dropped when the sender gives up, or after HANG_MS).
 * - `GET /control/{name}`: what the name received, oldest first.
 */
/** Longest a hung delivery's connection stays open (past every sender's timeout in tests). */
const HANG_MS = 10_000;

function headersOf(raw: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
  );
}

export async function startWebhookReceiver(
  onDelivery: (name: string, received: ReceivedWebhook) => void = () => {},
): Promise<WebhookReceiver> {
  const received = new Map<string, ReceivedWebhook[]>();
  const failures = new Map<string, number>();
  const hangs = new Map<string, number>();
  const server = createServer((req, res) => {
    const at = Date.now();
    const url = new URL(req.url ?? "/", "http://receiver");
    const [, kind, name = ""] = url.pathname.split("/");
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (kind === "hooks" && req.method === "POST") {
        const hanging = (hangs.get(name) ?? 0) > 0;
        const failing = !hanging && (failures.get(name) ?? 0) > 0;
        if (hanging) hangs.set(name, (hangs.get(name) ?? 1) - 1);
        if (failing) failures.set(name, (failures.get(name) ?? 1) - 1);
        // 0: no answer was given.
        const status = hanging ? 0 : failing ? 500 : 200;
        const body = Buffer.concat(chunks).toString("utf8");
        const entry = { at, headers: headersOf(req.headers), body, status };
        received.set(name, [...(received.get(name) ?? []), entry]);
        onDelivery(name, entry);
        if (hanging) {
          const timer = setTimeout(() => req.socket.destroy(), HANG_MS);
          req.socket.once("close", () => clearTimeout(timer));
          return;
        }
        res.writeHead(status, { "content-type": "text/plain" });
        return res.end(status === 200 ? "ok" : "try again");
      }
      if (kind === "control" && req.method === "POST") {
        failures.set(name, Number(url.searchParams.get("fail") ?? "0"));
        hangs.set(name, Number(url.searchParams.get("hang") ?? "0"));
        res.writeHead(204);
        return res.end();
      }
      if (kind === "control" && req.method === "GET") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify(received.get(name) ?? []));
      }
      res.writeHead(404);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
