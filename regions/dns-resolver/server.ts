import { createServer } from "node:http";
import { listen } from "../lib/node-service";

/**
 * A DNS-over-HTTPS stand-in speaking the JSON API of Cloudflare's and Google's resolvers
 * (`GET /dns-query?name=…&type=TXT`, `application/dns-json`), over TXT records kept in memory.
 * Development and tests publish a domain's verification record with `PUT /__records`
 * `{name, txt: [...]}` instead of editing a real zone.
 */
export interface DnsResolverServer {
  url: string;
  /** The DNS_RESOLVER_URL value for a Worker. */
  queryUrl: string;
  publish(name: string, txt: string[]): void;
  close(): Promise<void>;
}

const normal = (name: string) => name.trim().toLowerCase().replace(/\.$/, "");

export async function startDnsResolver(
  options: { port?: number; host?: string } = {},
): Promise<DnsResolverServer> {
  const records = new Map<string, string[]>();
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://resolver");
      if (req.method === "GET" && url.pathname === "/dns-query") {
        const name = normal(url.searchParams.get("name") ?? "");
        const type = (url.searchParams.get("type") ?? "A").toUpperCase();
        const found = type === "TXT" || type === "16" ? records.get(name) : undefined;
        res.writeHead(200, { "content-type": "application/dns-json" });
        res.end(
          JSON.stringify({
            Status: found ? 0 : 3,
            Question: [{ name, type: 16 }],
            ...(found
              ? { Answer: found.map((data) => ({ name, type: 16, TTL: 60, data: JSON.stringify(data) })) }
              : {}),
          }),
        );
        return;
      }
      if (req.method === "PUT" && url.pathname === "/__records") {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { name?: unknown; txt?: unknown };
        if (typeof body.name !== "string" || !Array.isArray(body.txt)) {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: "expected {name, txt: string[]}" }));
          return;
        }
        records.set(normal(body.name), body.txt.map(String));
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "not found" }));
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const url = `http://${options.host ?? "127.0.0.1"}:${address.port}`;
  return {
    url,
    queryUrl: `${url}/dns-query`,
    publish: (name, txt) => records.set(normal(name), txt),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
