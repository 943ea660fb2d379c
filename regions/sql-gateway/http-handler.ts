import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { hasTraceComment } from "../lib/telemetry/sqlcommenter";
import { type Tracing, traceKinds } from "../lib/telemetry/tracing";
import type { SqlBackend } from "./backends/types";
import { GatewayError, toErrorResponse } from "./errors";
import type { Log } from "./log";
import { failureOutcome, type GatewayMetrics, outcomeOf, type RequestKind } from "./metrics";
import { parseConnectionString, parseSqlBody, sqlHeadersSchema, toResultBody } from "./protocol";

export interface HttpHandlerOptions {
  backend: SqlBackend;
  log: Log;
  maxBodyBytes: number;
  /** Set when the gateway exports spans: a request with a `traceparent` gets a server span. */
  tracing?: Tracing | undefined;
  /** Served at GET /metrics (Prometheus text). */
  metrics?: GatewayMetrics | undefined;
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
    "traceparent",
    "tracestate",
    "Nexus-Read-Replica",
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

/**
 * A 503 is the database being away for a moment (a failover, a restart, a full pool): a client may
 * try again, and one second is about the time a switch to a new primary takes to be noticed.
 */
const RETRY_SOON = { "retry-after": "1" };

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
  const { backend, log, maxBodyBytes, tracing, metrics } = options;

  /** Times a /sql request and counts its outcome (a thrown one is counted where it is answered). */
  const handleMeasuredSql = async (
    req: IncomingMessage,
    res: ServerResponse,
    measured: { kind: RequestKind },
  ): Promise<void> => {
    if (!metrics) return handleTracedSql(req, res, measured);
    const stop = metrics.seconds.startTimer();
    try {
      await handleTracedSql(req, res, measured);
      metrics.requests.inc({ kind: kindOf(res), outcome: "ok" });
    } finally {
      stop({ kind: kindOf(res) });
    }
  };

  const handleMetrics = async (res: ServerResponse): Promise<void> => {
    if (!metrics) return send(res, 404, { message: "metrics are off", code: "08P01" });
    const text = await metrics.registry.metrics();
    res.writeHead(200, { "content-type": metrics.registry.contentType });
    res.end(text);
  };

  /**
   * A Worker's `sql batch` span continues here (only when it sent a traceparent: the gateway starts
   * no traces of its own), so the trace shows the gateway's share: queueing for a pooled
   * connection and Postgres itself. Failures mark the span, which keeps the trace.
   */
  const handleTracedSql = (
    req: IncomingMessage,
    res: ServerResponse,
    measured: { kind: RequestKind },
  ): Promise<void> => {
    if (!tracing || typeof req.headers.traceparent !== "string") return handleSql(req, res, measured);
    const parent = tracing.extractRecord(req.headers);
    return tracing.inSpan("sql gateway", { kind: traceKinds.SERVER, parent }, () =>
      handleSql(req, res, measured),
    );
  };

  const handleSql = async (
    req: IncomingMessage,
    res: ServerResponse,
    measured: { kind: RequestKind },
  ): Promise<void> => {
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
    requestKinds.set(res, body.data.kind);
    if (metrics) {
      const statements = body.data.kind === "single" ? [body.data.statement] : body.data.statements;
      const traced = statements.filter((s) => hasTraceComment(s.query)).length;
      if (traced > 0) metrics.statements.inc({ traced: "true" }, traced);
      if (statements.length > traced) metrics.statements.inc({ traced: "false" }, statements.length - traced);
    }
    if (tracing) {
      const statements = body.data.kind === "single" ? [body.data.statement] : body.data.statements;
      tracing.annotate({
        "db.system.name": "postgresql",
        "db.operation.batch.size": statements.length,
        "nexus.sql.commented": statements.some((s) => hasTraceComment(s.query)),
      });
    }
    if (headers.data["nexus-read-replica"]) {
      measured.kind = "read";
      const statements = body.data.kind === "single" ? [body.data.statement] : body.data.statements;
      const options = {
        isolationLevel: headers.data["neon-batch-isolation-level"],
        readOnly: true,
        deferrable: headers.data["neon-batch-deferrable"],
      };
      const { results, servedBy } = backend.readBatch
        ? await backend.readBatch(role, statements, options)
        : { results: await backend.batch(role, statements, options), servedBy: "primary" };
      metrics?.reads.inc({ served_by: servedBy });
      const served = { "nexus-served-by": servedBy };
      if (body.data.kind === "single") {
        const [result] = results;
        send(res, 200, result ? toResultBody(result, arrayMode) : {}, served);
        return;
      }
      send(res, 200, { results: results.map((result) => toResultBody(result, arrayMode)) }, served);
      return;
    }
    if (body.data.kind === "single") {
      const result = await backend.query(role, body.data.statement);
      send(res, 200, toResultBody(result, arrayMode));
      return;
    }
    measured.kind = "batch";
    const results = await backend.batch(role, body.data.statements, {
      isolationLevel: headers.data["neon-batch-isolation-level"],
      readOnly: headers.data["neon-batch-read-only"],
      deferrable: headers.data["neon-batch-deferrable"],
    });
    send(res, 200, { results: results.map((result) => toResultBody(result, arrayMode)) });
  };

  const handleHealth = async (res: ServerResponse): Promise<void> => {
    // The replica is reported, not required: without it marked reads go to the primary.
    const replica = backend.replicaHealth
      ? withTimeout(backend.replicaHealth(), HEALTH_TIMEOUT_MS, "replica health check timed out").then(
          () => ({ replica: "ok" }),
          () => ({ replica: "unavailable" }),
        )
      : Promise.resolve({});
    try {
      await withTimeout(backend.health(), HEALTH_TIMEOUT_MS, "health check timed out");
      send(res, 200, { status: "ok", backend: backend.kind, ...(await replica) });
    } catch (error) {
      const { body } = toErrorResponse(error);
      send(
        res,
        503,
        {
          status: "unavailable",
          backend: backend.kind,
          message: body.message,
          code: body.code,
        },
        RETRY_SOON,
      );
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? "/", "http://gateway");
    if (req.method === "OPTIONS") return send(res, 204, undefined);
    if (pathname === "/sql") {
      if (req.method !== "POST") {
        return send(res, 405, { message: "use POST /sql", code: "08P01" }, { allow: "POST, OPTIONS" });
      }
      const started = performance.now();
      const measured: { kind: RequestKind } = { kind: "query" };
      res.once("finish", () => {
        metrics?.requestSeconds.observe(
          { kind: measured.kind, outcome: outcomeOf(res.statusCode) },
          (performance.now() - started) / 1_000,
        );
      });
      return handleMeasuredSql(req, res, measured);
    }
    if (pathname === "/metrics" && req.method === "GET") return handleMetrics(res);
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
      if (metrics && new URL(req.url ?? "/", "http://gateway").pathname === "/sql") {
        metrics.requests.inc({ kind: kindOf(res), outcome: failureOutcome(status) });
      }
      if (status >= 500) {
        log({
          // The caller's trace (the failed span was the gateway's, ended by now).
          ...(tracing ? tracing.logIds(tracing.extractRecord(req.headers)) : {}),
          level: status === 500 ? "error" : "warn",
          msg: "sql request failed",
          status,
          code: body.code,
          // The gateway's own refusals and the upstream's unavailability say nothing about the
          // statement; anything else (a 500) might quote its values, so only its name and frames.
          ...(status === 500 ? internalFailure(error) : { error: (error as Error).message }),
        });
      }
      send(res, status, body, status === 413 ? { connection: "close" } : status === 503 ? RETRY_SOON : {});
    });
  };
}

function internalFailure(error: unknown): { error: string; stack?: string } {
  if (!(error instanceof Error)) return { error: typeof error };
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return { error: error.name, stack: frames.join("\n") };
}

/** Each /sql request's kind (single, batch), once its body was read, for its metrics' labels. */
const requestKinds = new WeakMap<ServerResponse, string>();

/** `unknown` for a request refused before its body was read. */
function kindOf(res: ServerResponse): string {
  return requestKinds.get(res) ?? "unknown";
}
