import { redactForLog } from "../../../regions/lib/telemetry/log-fields";
import { writeLog } from "../observability/log";

// Logs leave the tenant's home region (Workers Logs), so an error's text loses what could be
// personal data before it is written: e-mail addresses, and the query of any URL in it.
export { redactForLog };

/**
 * One JSON line per failure, with the request id, so the log explains what a 500 hid.
 *
 * Never a statement's parameters or values: drizzle's DrizzleQueryError message is the SQL and
 * its parameters, and a Postgres message can quote a value (`invalid input syntax for type uuid:
 * "ada@example.com"`). A database failure is logged by what identifies it instead: the statement
 * (its command, table and a fingerprint of its text) and the Postgres error fields that name
 * schema objects (code, constraint, table, column).
 */
export function logError(
  msg: string,
  requestId: string | undefined,
  error: unknown,
  extra: Record<string, unknown> = {},
) {
  writeLog({ ...extra, ...describeError(error), level: "error", msg, request_id: requestId });
}

interface ErrorFields {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  /** DrizzleQueryError */
  query?: unknown;
  params?: unknown;
  cause?: unknown;
  /** NeonDbError: what fetch threw */
  sourceError?: unknown;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

function* chain(error: unknown): Generator<ErrorFields> {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    yield current as ErrorFields;
    const e = current as ErrorFields;
    current = e.cause ?? e.sourceError;
  }
}

/** A statement wrapper or a Postgres error: its message may quote what the statement carried. */
function mayCarryValues(e: ErrorFields): boolean {
  return e.params !== undefined || (typeof e.code === "string" && SQLSTATE.test(e.code));
}

function summary(e: ErrorFields): string {
  const name = typeof e.name === "string" ? e.name : "Error";
  if (mayCarryValues(e) || typeof e.message !== "string" || e.message === "") return name;
  return redactForLog(`${name}: ${e.message}`);
}

/** `insert contacts #1f2e3d4c`: which statement, without its text (which may hold literals). */
export function statementId(sqlText: string): string {
  const text = sqlText.trim().toLowerCase();
  const command = /^\(?\s*(\w+)/.exec(text)?.[1] ?? "sql";
  const target = /\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?/.exec(text)?.[1];
  // FNV-1a: synchronous (crypto.subtle is not) and enough to tell statements apart in a log.
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  const fingerprint = (hash >>> 0).toString(16).padStart(8, "0");
  return `${command}${target ? ` ${target}` : ""} #${fingerprint}`;
}

/** The fields logError writes for `error`: safe for any log line (see above). */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error))
    return { error: typeof error === "string" ? redactForLog(error) : typeof error };
  const fields: Record<string, unknown> = {};
  const causes: string[] = [];
  for (const e of chain(error)) {
    causes.push(summary(e));
    if (fields.statement === undefined && typeof e.query === "string")
      fields.statement = statementId(e.query);
    if (fields.pg_code === undefined && typeof e.code === "string" && SQLSTATE.test(e.code)) {
      fields.pg_code = e.code;
      for (const key of ["constraint", "table", "column"] as const) {
        if (typeof e[key] === "string") fields[`pg_${key}`] = e[key];
      }
    }
  }
  const [first, ...rest] = causes;
  // The stack's first line repeats the message; only the frames are kept.
  const frames = (error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return {
    error: first,
    ...(rest.length > 0 ? { causes: rest } : {}),
    ...fields,
    stack: frames.length > 0 ? frames.join("\n") : undefined,
  };
}
