import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

/**
 * The relay's own HTTP port: `GET /metrics` (Prometheus text), `GET /health` (200 while the
 * relay runs: liveness, so a dependency outage does not make Kubernetes restart a relay that
 * will recover by itself) and `GET /ready` (200 while NATS and Postgres are reachable, else 503:
 * readiness, so a rollout or a drain waits for a relay that can relay).
 */
export function metricsServer(registry: Registry, ready: () => boolean = () => true): Server {
  return createServer((req, res) => {
    if (req.method === "GET" && req.url === "/metrics") {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(error));
        },
      );
      return;
    }
    if (req.method === "GET" && req.url === "/ready") {
      const ok = ready();
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(ok ? '{"status":"ready"}' : '{"status":"unavailable"}');
      return;
    }
    if (req.method === "GET" && req.url === "/health") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"error":"not found"}');
  });
}
