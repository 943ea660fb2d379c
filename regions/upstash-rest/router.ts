import type { IncomingMessage, ServerResponse } from "node:http";
import { presentedToken, tokenChecker } from "./auth";
import { type CommandContext, runCommand, runPipeline, runTransaction } from "./command-handlers";
import { responseEncoding } from "./encoding";
import { HttpError, RedisCommandError, RedisUnavailableError } from "./errors";
import { readBody, sendJson } from "./http-io";
import type { Log, RedisGateway } from "./redis-gateway";
import {
  type Command,
  commandBatchSchema,
  commandSchema,
  parseJsonBody,
  parsePathCommand,
} from "./request-parsing";

// Maps a request to an endpoint: /health (no auth), then the bearer token for everything else,
// then POST / (JSON command), /pipeline, /multi-exec, or the path form /cmd/arg/arg.

export interface RouterOptions {
  gateway: RedisGateway;
  token: string;
  log: Log;
  maxBodyBytes: number;
}

/** Upstash answers 405 for any other method. */
const ALLOWED_METHODS = new Set(["GET", "HEAD", "POST", "PUT"]);
const HEALTH_PING_TIMEOUT_MS = 1_000;

interface Outcome {
  status: number;
  body: unknown;
}

export function createRouter(
  options: RouterOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { gateway, log, maxBodyBytes } = options;
  const isValidToken = tokenChecker(options.token);

  async function route(
    req: IncomingMessage,
    path: string,
    query: URLSearchParams,
    seen: { command?: string },
  ): Promise<Outcome> {
    const method = req.method ?? "GET";
    if (path === "/health" && (method === "GET" || method === "HEAD")) {
      try {
        await gateway.ping(HEALTH_PING_TIMEOUT_MS);
        return { status: 200, body: { status: "ok" } };
      } catch (error) {
        return { status: 503, body: { status: "unavailable", error: (error as Error).message } };
      }
    }
    if (!isValidToken(presentedToken(req.headers.authorization, query.get("_token")))) {
      return { status: 401, body: { error: "Unauthorized" } };
    }
    if (!ALLOWED_METHODS.has(method)) throw new HttpError(405, `ERR method ${method} is not allowed`);
    const format = req.headers["upstash-response-format"];
    if (typeof format === "string" && format.toLowerCase() !== "json") {
      throw new HttpError(400, `ERR response format '${format}' is not supported; only json is`);
    }
    const ctx: CommandContext = { gateway, encoding: responseEncoding(req.headers["upstash-encoding"]) };
    const hasBody = method === "POST" || method === "PUT";
    const body = hasBody ? await readBody(req, maxBodyBytes) : Buffer.alloc(0);

    if (path === "/pipeline" || path === "/multi-exec") {
      if (!hasBody) throw new HttpError(405, `ERR ${path} needs a POST body`);
      const commands = parseJsonBody(commandBatchSchema, body);
      seen.command = path.slice(1);
      const run = path === "/pipeline" ? runPipeline : runTransaction;
      return { status: 200, body: await run(ctx, commands) };
    }
    let command: Command;
    if (path === "/" || path === "") {
      if (!hasBody) throw new HttpError(400, "ERR no command given: POST a JSON array or use /cmd/arg/…");
      command = parseJsonBody(commandSchema, body);
    } else {
      command = parsePathCommand(path, query, body);
    }
    seen.command = command[0]?.toLowerCase();
    return { status: 200, body: await runCommand(ctx, command) };
  }

  function failure(error: unknown): Outcome {
    if (error instanceof HttpError) return { status: error.status, body: { error: error.message } };
    // Upstash answers Redis errors with 400 so the client throws an UpstashError with the message.
    if (error instanceof RedisCommandError) return { status: 400, body: { error: error.message } };
    if (error instanceof RedisUnavailableError) {
      return { status: 503, body: { error: `ERR Redis unavailable: ${error.message}` } };
    }
    return { status: 500, body: { error: "ERR internal server error" } };
  }

  return async (req, res) => {
    const started = performance.now();
    const rawUrl = req.url ?? "/";
    const queryAt = rawUrl.indexOf("?");
    // The raw path is split by hand: URL parsing would resolve "." and ".." segments inside keys.
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? "" : rawUrl.slice(queryAt + 1));
    const seen: { command?: string } = {};
    let outcome: Outcome;
    try {
      outcome = await route(req, path, query, seen);
    } catch (error) {
      outcome = failure(error);
      if (outcome.status === 500) {
        log({ level: "error", event: "internal_error", error: (error as Error)?.stack ?? String(error) });
      }
    }
    sendJson(res, outcome.status, outcome.body);
    if (outcome.status >= 400) {
      // Only the command name is logged: arguments may carry cached values.
      log({
        level: outcome.status >= 500 ? "error" : "warn",
        event: "request",
        method: req.method,
        command: seen.command,
        status: outcome.status,
        error: (outcome.body as { error?: string }).error,
        ms: Math.round(performance.now() - started),
      });
    }
  };
}
