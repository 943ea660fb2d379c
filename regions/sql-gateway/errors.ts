// How failures become HTTP answers. The driver only reads error fields from a 400 (it copies them
// onto NeonDbError), so statement errors are 400s carrying every Postgres field; the gateway's own
// refusals and an unreachable database get other statuses with a small {message, code} body.

/** Fields of a Postgres ErrorResponse that NeonDbError exposes, in the driver's order. */
export const POSTGRES_ERROR_FIELDS = [
  "severity",
  "code",
  "detail",
  "hint",
  "position",
  "internalPosition",
  "internalQuery",
  "where",
  "schema",
  "table",
  "column",
  "dataType",
  "constraint",
  "file",
  "line",
  "routine",
] as const;

export type PostgresError = Error & { severity: string; code: string } & Partial<
    Record<(typeof POSTGRES_ERROR_FIELDS)[number], string>
  >;

/** A refusal or failure decided by the gateway itself; `code` is a Postgres SQLSTATE. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "GatewayError";
  }
}

/** node-postgres and PGlite both throw pg-protocol's DatabaseError; match on shape, not class. */
export function isPostgresError(error: unknown): error is PostgresError {
  if (!(error instanceof Error)) return false;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string";
}

// Server-side errors that mean "the database cannot serve you right now", not "your SQL is wrong":
// connection exceptions, shutdown/startup, and connection-slot exhaustion.
function isUnavailableCode(code: string): boolean {
  return (
    code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300"
  );
}

const NETWORK_FAILURES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ECONNABORTED: "connection aborted",
  EPIPE: "connection closed",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host lookup failed",
};

// node-postgres reports these by message only.
const CLIENT_FAILURES: [RegExp, string][] = [
  [/timeout exceeded when trying to connect/i, "timed out connecting or waiting for a free connection"],
  [/connection terminated/i, "connection to the database was lost"],
  [/not queryable/i, "connection to the database was lost"],
  [/does not support SSL/i, "the database does not accept TLS, which the upstream's sslmode requires"],
  [
    /self[- ]signed certificate|unable to verify|certificate|altnames/i,
    "the database's TLS certificate was not accepted",
  ],
];

/**
 * A short, address-free reason when `error` means the database could not be reached or the
 * connection broke; null for anything else.
 */
export function describeConnectionFailure(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code in NETWORK_FAILURES) return NETWORK_FAILURES[code] ?? null;
  for (const [pattern, reason] of CLIENT_FAILURES) if (pattern.test(error.message)) return reason;
  return null;
}

/** The error the gateway answers with when it cannot reach the database at all. */
export function databaseUnavailable(reason: string): GatewayError {
  return new GatewayError(503, "08006", `database unavailable: ${reason}`);
}

export interface ErrorResponse {
  status: number;
  body: Record<string, unknown>;
}

export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof GatewayError) {
    return { status: error.status, body: { message: error.message, code: error.code } };
  }
  if (isPostgresError(error)) {
    if (isUnavailableCode(error.code)) {
      return { status: 503, body: { message: error.message, code: error.code } };
    }
    const body: Record<string, unknown> = { message: error.message };
    for (const field of POSTGRES_ERROR_FIELDS) {
      const value = error[field];
      if (value !== undefined && value !== null) body[field] = value;
    }
    return { status: 400, body };
  }
  // Whatever this is, its text may describe internals; the detail goes to the log instead.
  return { status: 500, body: { message: "internal gateway error", code: "XX000" } };
}
