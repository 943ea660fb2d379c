import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { listen } from "../lib/node-service";
import { DIMENSIONS, loadWordVectors, type WordVectors } from "./word-vectors";

/**
 * An OpenAI-wire embedding server for development and tests, standing in for the regions' real
 * ones (OpenAI/Azure in the EU, the text-embeddings server in the Lagos cluster). One process
 * serves several "sites" (`/eu/v1/embeddings`, `/lagos/v1/embeddings`), each recording what text
 * reached it, so tests can assert where a tenant's text went — and where it never went.
 */
export interface EmbeddingStandin {
  url: string;
  port: number;
  vectors: WordVectors;
  close(): Promise<void>;
}

export interface ReceivedRequest {
  site: string;
  model: string;
  input: string[];
  at: string;
}

const DEFAULT_CACHE = fileURLToPath(new URL("../../node_modules/.cache/nexus-word-vectors", import.meta.url));

const embeddingsRequest = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  dimensions: z.number().int().optional(),
  encoding_format: z.enum(["float"]).optional(),
});

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 8 * 1024 * 1024) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startEmbeddingStandin(
  options: { port?: number; host?: string; sites?: readonly string[]; cacheDir?: string } = {},
): Promise<EmbeddingStandin> {
  const sites = options.sites ?? ["eu", "lagos"];
  const vectors = await loadWordVectors(options.cacheDir ?? DEFAULT_CACHE);
  const received: ReceivedRequest[] = [];
  const failNext = new Map<string, number>();

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (url.pathname === "/_control/requests" && req.method === "GET") {
        const site = url.searchParams.get("site");
        return reply(res, 200, { requests: received.filter((r) => !site || r.site === site) });
      }
      if (url.pathname === "/_control/reset" && req.method === "POST") {
        received.length = 0;
        failNext.clear();
        return reply(res, 200, { reset: true });
      }
      if (url.pathname === "/_control/fail" && req.method === "POST") {
        const body = z
          .object({ site: z.string(), count: z.number().int().min(0) })
          .parse(await readJson(req));
        failNext.set(body.site, body.count);
        return reply(res, 200, body);
      }
      const match = /^\/([a-z]+)\/v1\/embeddings$/.exec(url.pathname);
      if (!match?.[1] || !sites.includes(match[1])) {
        return reply(res, 404, { error: { message: "Unknown path", type: "invalid_request_error" } });
      }
      if (req.method !== "POST") return reply(res, 405, { error: { message: "POST only" } });
      const site = match[1];
      const parsed = embeddingsRequest.safeParse(await readJson(req).catch(() => null));
      if (!parsed.success) {
        return reply(res, 400, { error: { message: parsed.error.message, type: "invalid_request_error" } });
      }
      if (parsed.data.dimensions !== undefined && parsed.data.dimensions !== DIMENSIONS) {
        return reply(res, 400, { error: { message: `this model has ${DIMENSIONS} dimensions` } });
      }
      const input = typeof parsed.data.input === "string" ? [parsed.data.input] : parsed.data.input;
      received.push({ site, model: parsed.data.model, input, at: new Date().toISOString() });
      const failures = failNext.get(site) ?? 0;
      if (failures > 0) {
        failNext.set(site, failures - 1);
        return reply(res, 503, { error: { message: "stand-in told to fail", type: "server_error" } });
      }
      reply(res, 200, {
        object: "list",
        model: parsed.data.model,
        data: input.map((text, index) => ({ object: "embedding", index, embedding: vectors.embed(text) })),
        usage: { prompt_tokens: input.join(" ").length, total_tokens: input.join(" ").length },
      });
    })().catch((error: unknown) => reply(res, 500, { error: { message: String(error) } }));
  });
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return {
    url: `http://${options.host ?? "127.0.0.1"}:${address.port}`,
    port: address.port,
    vectors,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
