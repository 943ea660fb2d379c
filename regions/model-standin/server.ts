import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { z } from "zod";
import { listen } from "../lib/node-service";
import { type Script, scriptFor, type WireMessage } from "./script";

// A local stand-in for OpenAI-compatible model deployments (the regional model gateways, a
// provider's EU endpoint), speaking the chat completions wire format: streamed
// `chat.completion.chunk`s with content and tool-call deltas, the usage chunk when
// `stream_options.include_usage` is set, then `data: [DONE]`. One server plays several
// deployments: `POST /{deployment}/v1/chat/completions`. It records which deployment each prompt
// reached (`GET /__standin/requests`), so tests can assert where a tenant's prompt went, and how
// many streams the caller dropped before they ended (`aborted`), so they can see a cancel reach it.

export interface ModelStandInServer {
  url: string;
  port: number;
  /** The base URL a deployment named `name` has on this server (what a deployment's `base_url` is). */
  deploymentUrl(name: string): string;
  close(): Promise<void>;
}

export interface RecordedRequest {
  deployment: string;
  model: string;
  stream: boolean;
  /** Every message's text, joined: what "the prompt reached this deployment" means. */
  prompt: string;
  at: string;
}

const requestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(["system", "user", "assistant", "tool"]),
        content: z.string().nullish(),
        tool_calls: z
          .array(
            z.object({
              id: z.string(),
              type: z.literal("function"),
              function: z.object({ name: z.string(), arguments: z.string() }),
            }),
          )
          .optional(),
        tool_call_id: z.string().optional(),
      }),
    )
    .min(1),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).optional(),
  tools: z.array(z.unknown()).optional(),
});

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_RECORDED = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += (part as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("body too large");
    parts.push(part as Buffer);
  }
  return JSON.parse(Buffer.concat(parts).toString("utf8"));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startModelStandIn(
  options: { port?: number; host?: string } = {},
): Promise<ModelStandInServer> {
  const recorded: RecordedRequest[] = [];
  const counters = { aborted: 0, completed: 0, open: 0 };
  let nextId = 1;

  const stream = async (res: ServerResponse, model: string, script: Script, includeUsage: boolean) => {
    const id = `chatcmpl-standin-${nextId++}`;
    const created = Math.floor(Date.now() / 1000);
    let closed = false;
    res.on("close", () => {
      closed = true;
    });
    counters.open++;
    const chunk = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const write = (text: string) => {
      if (!closed) res.write(text);
    };
    try {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.flushHeaders();
      write(chunk({ role: "assistant", content: "" }));
      if (script.hang) {
        while (!closed) await sleep(50);
        return;
      }
      let sent = 0;
      for (const [index, call] of script.toolCalls.entries()) {
        const half = Math.ceil(call.arguments.length / 2);
        write(
          chunk({
            tool_calls: [
              {
                index,
                id: call.id,
                type: "function",
                function: { name: call.name, arguments: call.arguments.slice(0, half) },
              },
            ],
          }),
        );
        write(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] }));
      }
      for (const piece of script.text) {
        if (closed) return;
        if (script.failAfter !== undefined && sent >= script.failAfter) {
          // What was written reaches the caller first; then the connection is cut mid-stream.
          await new Promise<void>((resolve) => res.write("", () => resolve()));
          await sleep(20);
          res.destroy();
          return;
        }
        if (script.delayMs > 0) await sleep(script.delayMs);
        write(chunk({ content: piece }));
        sent++;
      }
      write(chunk({}, script.toolCalls.length > 0 ? "tool_calls" : "stop"));
      if (includeUsage) {
        const completion = sent + script.toolCalls.length * 2;
        write(
          `data: ${JSON.stringify({
            id,
            object: "chat.completion.chunk",
            created,
            model,
            choices: [],
            usage: {
              prompt_tokens: script.promptTokens,
              completion_tokens: completion,
              total_tokens: script.promptTokens + completion,
            },
          })}\n\n`,
        );
      }
      write("data: [DONE]\n\n");
      res.end();
    } finally {
      counters.open--;
      if (closed && !res.writableFinished) counters.aborted++;
      else counters.completed++;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://standin");
    if (url.pathname === "/__standin/requests") {
      if (req.method === "DELETE") {
        recorded.length = 0;
        return sendJson(res, 200, { cleared: true });
      }
      const deployment = url.searchParams.get("deployment");
      return sendJson(res, 200, {
        requests: recorded.filter((r) => !deployment || r.deployment === deployment),
        ...counters,
      });
    }
    const route = /^\/([a-z0-9][a-z0-9-]*)\/v1\/chat\/completions$/.exec(url.pathname);
    if (!route || req.method !== "POST") {
      return sendJson(res, 404, {
        error: { message: `no route ${req.method} ${url.pathname}`, type: "invalid_request_error" },
      });
    }
    const deployment = route[1] as string;
    let body: z.infer<typeof requestSchema>;
    try {
      const parsed = requestSchema.safeParse(await readJson(req));
      if (!parsed.success) {
        return sendJson(res, 400, {
          error: { message: z.prettifyError(parsed.error), type: "invalid_request_error" },
        });
      }
      body = parsed.data;
    } catch (error) {
      return sendJson(res, 400, { error: { message: String(error), type: "invalid_request_error" } });
    }
    const messages = body.messages as WireMessage[];
    recorded.push({
      deployment,
      model: body.model,
      stream: body.stream === true,
      prompt: messages.map((m) => m.content ?? "").join("\n"),
      at: new Date().toISOString(),
    });
    if (recorded.length > MAX_RECORDED) recorded.shift();
    const script = scriptFor(messages);
    if (script.status !== undefined) {
      return sendJson(res, script.status, { error: { message: "scripted failure", type: "server_error" } });
    }
    if (body.stream) return stream(res, body.model, script, body.stream_options?.include_usage === true);
    if (script.delayMs > 0) await sleep(script.delayMs * Math.max(1, script.text.length));
    const completion = script.text.length + script.toolCalls.length * 2;
    return sendJson(res, 200, {
      id: `chatcmpl-standin-${nextId++}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: script.toolCalls.length > 0 ? null : script.text.join(""),
            ...(script.toolCalls.length > 0
              ? {
                  tool_calls: script.toolCalls.map((c) => ({
                    id: c.id,
                    type: "function",
                    function: { name: c.name, arguments: c.arguments },
                  })),
                }
              : {}),
          },
          finish_reason: script.toolCalls.length > 0 ? "tool_calls" : "stop",
        },
      ],
      usage: {
        prompt_tokens: script.promptTokens,
        completion_tokens: completion,
        total_tokens: script.promptTokens + completion,
      },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(error), type: "server_error" } });
      else res.destroy();
    });
  });
  const address = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const url = `http://${address.address}:${address.port}`;
  return {
    url,
    port: address.port,
    deploymentUrl: (name) => `${url}/${name}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
