import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { SqlBackend } from "./backends/types";
import { GatewayError, toErrorResponse } from "./errors";
import type { Log } from "./log";
import { parseConnectionString, parseSqlBody, sqlHeadersSchema, toResultBody } from "./protocol";

export interface HttpHandlerOptions {
  backend: SqlBackend;
  log: Log;
  maxBodyBytes: number;
}

// Neon answers browsers too (the driver runs there); the connection string is the credential,
// so allowing any origin exposes nothing a caller does not already hold.
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": [
    "Authorization",
    "Content-Type",
    "Neon-Connection-String",
    "Neon-Raw-Text-Output",
    "Neon-Array-Mode",
    "Neon-Batch-Isolation-Level",
    "Neon-Batch-Read-Only",
    "Neon-Batch-Deferrable",
  ].join(", "),
  "access-control-max-age": "86400",
};

/** A health probe answers within this, whatever the database is doing. */
const HEALTH_TIMEOUT_MS = 2_000;

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    ...(payload ? { "content-type": "application/json" } : {}),
    "content-length": String(Buffer.byteLength(payload)),
    ...extraHeaders,
  });
  res.end(payload);
}

function describeIssues(error: z.ZodError, subject: string): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? `${subject} ${issue.path.join(".")}` : subject;
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

function bodyTooLarge(maxBodyBytes: number): GatewayError {
  return new GatewayError(413, "54000", `request body exceeds ${maxBodyBytes} bytes`);
}

/**
 * Reads the body, refusing early when it is declared or turns out too large. On overflow the rest
 * is drained, not destroyed, so the 413 still reaches the client.
 */
function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBodyBytes) return Promise.reject(bodyTooLarge(maxBodyBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.off("data", onData);
        req.resume();
        reject(bodyTooLarge(maxBodyBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
    // A client that hangs up mid-body must not leave this promise pending forever.
    req.once("close", () => {
      if (!req.complete) reject(new GatewayError(400, "08P01", "request body was cut off"));
    });
  });
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayError(503, "57014", message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createHttpHandler(
  options: HttpHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { backend, log, maxBodyBytes } = options;

  const handleSql = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.headers.authorization) {
      // Neon's JWT (authorize) mode: silently ignoring the token would run the statements with
      // the connection string's full rights, so refuse instead.
      throw new GatewayError(
        400,
        "0A000",
        "Authorization tokens are not supported by this gateway; use the connection string's credentials",
      );
    }
    const headers = sqlHeadersSchema.safeParse(req.headers);
    if (!headers.success) throw new GatewayError(400, "08P01", describeIssues(headers.error, "header"));
    const role = parseConnectionString(headers.data["neon-connection-string"]);
    if (!role) {
      throw new GatewayError(
        400,
        "28000",
        "Neon-Connection-String must look like postgres://user[:password]@host/database",
      );
    }

    const text = await readBody(req, maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GatewayError(400, "08P01", "request body is not valid JSON");
    }
    const body = parseSqlBody(json);
    if (!body.success) throw new GatewayError(400, "08P01", describeIssues(body.error, "body"));

    const arrayMode = headers.data["neon-array-mode"] ?? false;
    if (body.data.kind === "single") {
      const result = await backend.query(role, body.data.statement);
      send(res, 200, toResultBody(result, arrayMode));
      return;
    }
    const results = await backend.batch(role, body.data.statements, {
      isolationLevel: headers.data["neon-batch-isolation-level"],
      readOnly: headers.data["neon-batch-read-only"],
      deferrable: headers.data["neon-batch-deferrable"],
    });
    send(res, 200, { results: results.map((result) => toResultBody(result, arrayMode)) });
  };

  const handleHealth = async (res: ServerResponse): Promise<void> => {
    try {
      await withTimeout(backend.health(), HEALTH_TIMEOUT_MS, "health check timed out");
      send(res, 200, { status: "ok", backend: backend.kind });
    } catch (error) {
      const { body } = toErrorResponse(error);
      send(res, 503, {
        status: "unavailable",
        backend: backend.kind,
        message: body.message,
        code: body.code,
      });
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? "/", "http://gateway");
    if (req.method === "OPTIONS") return send(res, 204, undefined);
    if (pathname === "/sql") {
      if (req.method !== "POST") {
        return send(res, 405, { message: "use POST /sql", code: "08P01" }, { allow: "POST, OPTIONS" });
      }
      return handleSql(req, res);
    }
    if (pathname === "/health") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return send(res, 405, { message: "use GET /health", code: "08P01" }, { allow: "GET, HEAD" });
      }
      return handleHealth(res);
    }
    send(res, 404, { message: `no such endpoint: ${req.method} ${pathname}`, code: "08P01" });
  };

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      const { status, body } = toErrorResponse(error);
      if (status >= 500) {
        log({
          level: status === 500 ? "error" : "warn",
          msg: "sql request failed",
          status,
          code: body.code,
          // The gateway's own refusals and the upstream's unavailability say nothing about the
          // statement; anything else (a 500) might quote its values, so only its name and frames.
          ...(status === 500 ? internalFailure(error) : { error: (error as Error).message }),
        });
      }
      send(res, status, body, status === 413 ? { connection: "close" } : {});
    });
  };
}

function internalFailure(error: unknown): { error: string; stack?: string } {
  if (!(error instanceof Error)) return { error: typeof error };
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return { error: error.name, stack: frames.join("\n") };
}
