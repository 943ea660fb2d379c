/**
 * What a structured log line may hold. Logs leave a tenant's home region (Workers Logs, a log
 * pipeline), so a line keeps only fields named here — ids, names, counts, outcomes — and every
 * string in it loses what could still be personal data (an e-mail address, a URL's query).
 * An allowlist, not a scrubber: a new field is dropped (and named in `dropped_fields`) until it
 * is added here, reviewed. The Worker, the SQL gateway and the outbox relay all log through it.
 */
export const LOG_FIELDS: ReadonlySet<string> = new Set([
  // every line
  "time",
  "level",
  "msg",
  "service",
  "region",
  "request_id",
  "trace_id",
  "span_id",
  // the request line
  "tenant",
  "tenant_id",
  "method",
  "route",
  "status",
  "duration_ms",
  // failures (workers/api/lib/log-error.ts describeError: names, codes, frames; never messages of values)
  "error",
  "causes",
  "statement",
  "pg_code",
  "pg_constraint",
  "pg_table",
  "pg_column",
  "stack",
  "code",
  "reason",
  // events, deliveries, jobs
  "sink",
  "ids",
  "event_id",
  "event_type",
  "correlation_id",
  "delivery_id",
  "endpoint_id",
  "run_id",
  "mail_id",
  "activation",
  "step",
  "kind",
  "type",
  "published",
  "failed",
  "given_up",
  "janitor",
  "template",
  "awaited",
  "attempt",
  // the regional services
  "url",
  "backend",
  "server",
  "slot",
  "stream",
  "user",
  "batch",
  "count",
  "pending",
  "signal",
  "port",
  "pool",
  "pipeline",
  "replicas",
  "failures",
  "bytes",
  "startup",
  "closing",
  "metrics",
  "event",
]);

/** E-mail addresses, and the query of any URL: what an error text or an id field could still carry. */
export function redactForLog(text: string): string {
  return text
    .replace(/(\bhttps?:\/\/[^\s?#"']*)\?[^\s#"']*/gi, "$1?[query]")
    .replace(/[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gi, "[email]");
}

function safeValue(value: unknown): unknown {
  if (typeof value === "string") return redactForLog(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  if (Array.isArray(value)) {
    return value.filter((v) => typeof v === "string" || typeof v === "number").map(safeValue);
  }
  // Objects say too much to be reviewed field by field here: a line flattens what it needs.
  return undefined;
}

/** The line as it may be written: allow-listed fields, redacted strings, the rest named as dropped. */
export function safeLogLine(line: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(line)) {
    if (value === undefined) continue;
    const safe = LOG_FIELDS.has(key) ? safeValue(value) : undefined;
    if (safe === undefined) dropped.push(key);
    else kept[key] = safe;
  }
  if (dropped.length > 0) kept.dropped_fields = dropped;
  return kept;
}
