import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { REGION_IDS, type RegionId } from "../registry";

/**
 * The local webhook inbox of `npm run dev`: each demo tenant's webhook endpoint points here
 * (`POST /{region}`), so a newcomer can see what the tenant's own server would receive
 * (`invoice.paid`, `payment.succeeded`, …) without writing one. In memory, the newest
 * {@link KEPT} deliveries per region. `GET /` lists them as a page, `GET /{region}` as JSON
 * (`?event_type=invoice.paid` filters). It only records: checking the signature is the receiving
 * server's job (README "Webhooks").
 */
const KEPT = 200;

export interface InboxDelivery {
  received_at: string;
  type: string | null;
  event_id: string | null;
  webhook_id: string | null;
  body: unknown;
}

export interface WebhookInbox {
  url: string;
  /** Where the region's demo tenant's endpoint sends. */
  urlFor(region: RegionId): string;
  close(): Promise<void>;
}

function summary(raw: string, headers: Record<string, string | string[] | undefined>): InboxDelivery {
  let body: unknown = raw;
  try {
    body = JSON.parse(raw);
  } catch {
    // Kept as text: the inbox shows what came, whatever it is.
  }
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  const webhookId = headers["webhook-id"];
  return {
    received_at: new Date().toISOString(),
    type: text(fields.event_type) ?? text(fields.type),
    event_id: text(fields.event_id),
    webhook_id: typeof webhookId === "string" ? webhookId : null,
    body,
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(received: Record<RegionId, InboxDelivery[]>): string {
  const rows = REGION_IDS.flatMap((region) =>
    received[region].map(
      (d) =>
        `<tr><td>${region}</td><td>${escapeHtml(d.received_at)}</td><td><code>${escapeHtml(d.type ?? "?")}</code></td>` +
        `<td><details><summary>${escapeHtml(d.event_id ?? "")}</summary><pre>${escapeHtml(JSON.stringify(d.body, null, 2))}</pre></details></td></tr>`,
    ),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Webhook inbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td{padding:.2rem .6rem;vertical-align:top}pre{font-size:.8rem}</style></head>
<body><h1>Webhook inbox (npm run dev)</h1><p>What the demo tenants' webhook endpoints received, newest first. Reload to refresh.</p>
<table><tr><th>region</th><th>received</th><th>type</th><th>event</th></tr>${rows.join("")}</table></body></html>`;
}

export async function startWebhookInbox(options: { port: number }): Promise<WebhookInbox> {
  const received = { eu: [], lagos: [] } as Record<RegionId, InboxDelivery[]>;
  const isRegion = (name: string): name is RegionId => (REGION_IDS as readonly string[]).includes(name);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://inbox");
    const name = url.pathname.slice(1);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method === "POST" && isRegion(name)) {
        const list = received[name];
        list.unshift(summary(Buffer.concat(chunks).toString("utf8"), req.headers));
        list.length = Math.min(list.length, KEPT);
        res.writeHead(204).end();
      } else if (req.method === "GET" && isRegion(name)) {
        const type = url.searchParams.get("event_type");
        const data = received[name].filter((d) => !type || d.type === type);
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ data }, null, 2));
      } else if (req.method === "GET" && name === "") {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page(received));
      } else {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("POST or GET /eu or /lagos; GET / lists\n");
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    urlFor: (region) => `${url}/${region}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
