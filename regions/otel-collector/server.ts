import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listen } from "../lib/node-service";
import { spanJson, spansOf } from "./otlp-spans";
import { tracePage, tracesPage } from "./pages";
import { TraceStore } from "./trace-store";

/**
 * A stand-in for an OpenTelemetry collector and trace viewer (Jaeger, Tempo) for `npm run dev`
 * and the tests: `POST /v1/traces` takes OTLP/HTTP JSON as any OTLP exporter sends it and keeps
 * the spans in memory; `GET /` lists recent traces, `GET /traces/{id}` shows one as a waterfall,
 * `GET /api/traces[/{id}]` answers JSON. Protobuf bodies are refused (415): our exporters send JSON.
 */
export interface TraceCollector {
  url: string;
  /** What Workers and services are given as their traces endpoint. */
  tracesEndpoint: string;
  store: TraceStore;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;
const TRACE_ID = /^[0-9a-f]{32}$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, "application/json", JSON.stringify(value));

export async function startTraceCollector(options: {
  port: number;
  host?: string;
  maxSpans?: number;
}): Promise<TraceCollector> {
  const store = new TraceStore(options.maxSpans ?? 50_000);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://collector");
    if (req.method === "POST" && url.pathname === "/v1/traces") {
      if (!(req.headers["content-type"] ?? "").startsWith("application/json")) {
        return json(res, 415, { message: "OTLP/HTTP JSON only (content-type: application/json)" });
      }
      let spans: ReturnType<typeof spansOf>;
      try {
        spans = spansOf(JSON.parse(await readBody(req)));
      } catch (error) {
        return json(res, 400, {
          message: `not an OTLP/JSON trace export: ${(error as Error).message.slice(0, 300)}`,
        });
      }
      store.add(spans);
      // ExportTraceServiceResponse: an empty one means every span was accepted.
      return json(res, 200, {});
    }
    if (req.method === "GET" && url.pathname === "/api/traces")
      return json(res, 200, { traces: store.recent(100) });
    const one = /^\/api\/traces\/([0-9a-f]{32})$/.exec(url.pathname);
    if (req.method === "GET" && one?.[1]) return json(res, 200, { spans: store.trace(one[1]).map(spanJson) });
    if (req.method === "DELETE" && url.pathname === "/api/traces") {
      store.clear();
      res.writeHead(204);
      return res.end();
    }
    if (req.method === "GET" && url.pathname === "/")
      return send(res, 200, "text/html; charset=utf-8", tracesPage(store.recent(100)));
    if (req.method === "GET" && url.pathname === "/traces") {
      const id = (url.searchParams.get("id") ?? "").trim().toLowerCase();
      res.writeHead(303, { location: TRACE_ID.test(id) ? `/traces/${id}` : "/" });
      return res.end();
    }
    const page = /^\/traces\/([0-9a-f]{32})$/.exec(url.pathname);
    if (req.method === "GET" && page?.[1])
      return send(res, 200, "text/html; charset=utf-8", tracePage(page[1], store.trace(page[1])));
    json(res, 404, { message: `no such endpoint: ${req.method} ${url.pathname}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => json(res, 500, { message: "collector failed" }));
  });
  const address = await listen(server, options.port, options.host ?? "127.0.0.1");
  const url = `http://127.0.0.1:${address.port}`;
  return {
    url,
    tracesEndpoint: `${url}/v1/traces`,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
