import { type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { withTraceComment } from "../../../regions/lib/telemetry/sqlcommenter";
import { statementId } from "../lib/log-error";
import { currentRegion, recordMetric } from "./metrics";
import { tracingActive, workerTracing } from "./tracing";

/** Statement ids kept on a span (`select contacts #1f2e3d4c, …`): enough to tell batches apart. */
const SUMMARISED_STATEMENTS = 8;

interface WireStatement {
  query: string;
  params?: unknown[];
}

/**
 * The SQL-over-HTTP fetch (Neon's driver through neonConfig.fetchFunction, and the lean batch
 * reader of db/http-reads.ts): one `sql batch` client span per call, `traceparent` to the
 * gateway, and — when the trace is head-sampled — a sqlcommenter comment on every statement, so
 * Postgres shows the trace too. Unsampled, the body is left untouched (statements keep their
 * prepared names at the gateway) and the span only times the call.
 */
export const tracedSqlFetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
  const started = performance.now();
  let status = 0;
  try {
    const response = await sqlFetch(input, init);
    status = response.status;
    return response;
  } finally {
    // Database batch latency, whatever the tracing: one point per round trip.
    recordMetric({
      metric: "db_batch",
      region: currentRegion(),
      name: "http",
      outcome: status === 200 ? "ok" : "failed",
      value: performance.now() - started,
      status,
    });
  }
};

const sqlFetch = (input: RequestInfo | URL, init: RequestInit): Promise<Response> => {
  if (!tracingActive()) return fetch(input, init);
  return workerTracing.inSpan(
    "sql batch",
    { kind: SpanKind.CLIENT, attributes: { "db.system.name": "postgresql", "nexus.db.path": "http" } },
    async (span) => {
      const headers = new Headers(init.headers);
      workerTracing.inject(headers);
      let body = init.body;
      const traceparent = workerTracing.sampledTraceparent();
      if (traceparent && typeof body === "string") body = commented(body, traceparent, span);
      const response = await fetch(input, { ...init, headers, body: body ?? null });
      span.setAttribute("http.response.status_code", response.status);
      if (!response.ok) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute("error.type", response.status === 400 ? "postgres error" : String(response.status));
      }
      return response;
    },
  );
};

/** The body with each statement commented; the span learns what the batch ran (ids, never text). */
function commented(body: string, traceparent: string, span: Span): string {
  let parsed: { query?: string; params?: unknown[]; queries?: WireStatement[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return body;
  }
  const statements: WireStatement[] =
    parsed.queries ?? (parsed.query !== undefined ? [parsed as WireStatement] : []);
  if (statements.length === 0) return body;
  span.setAttribute("db.operation.batch.size", statements.length);
  span.setAttribute(
    "db.query.summary",
    statements
      .slice(0, SUMMARISED_STATEMENTS)
      .map((s) => statementId(s.query))
      .join(", "),
  );
  span.setAttribute("nexus.sql.commented", true);
  for (const statement of statements) statement.query = withTraceComment(statement.query, traceparent);
  return JSON.stringify(parsed);
}
