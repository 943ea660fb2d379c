import { ApiError } from "./errors";

interface PgLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
  /** drizzle's DrizzleQueryError: its message is the SQL text and the parameters. */
  query?: unknown;
  params?: unknown;
}

function* causes(error: unknown): Generator<PgLikeError> {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    yield current as PgLikeError;
    current =
      (current as { cause?: unknown; sourceError?: unknown }).cause ??
      (current as { sourceError?: unknown }).sourceError;
  }
}

/** The unique index a failure violated (code 23505), when it is one: callers that name the conflict. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  for (const e of causes(error)) {
    if (e.code === "23505" && typeof e.constraint === "string") return e.constraint;
  }
  return undefined;
}

/**
 * Maps a database failure to what the client should see. Constraint violations are the
 * client's conflict; anything that means "the database is not reachable right now" is a 503
 * with Retry-After (never a hang, never a 500 with internals).
 */
export function fromDatabaseError(error: unknown): ApiError | undefined {
  for (const e of causes(error)) {
    const code = typeof e.code === "string" ? e.code : undefined;
    if (code === "23505")
      return new ApiError("CONFLICT", "A record with these unique fields already exists", { cause: error });
    if (code === "23503")
      return new ApiError("VALIDATION_ERROR", "A referenced record does not exist", { cause: error });
    if (code === "22P02" || code === "22001" || code === "22003") {
      return new ApiError("VALIDATION_ERROR", "A value has an invalid format or size", { cause: error });
    }
    // Class 08 (connection), 53 (insufficient resources), 57P0x (shutdown) and admin shutdown.
    if (code && (/^08/.test(code) || /^53/.test(code) || /^57P0/.test(code))) {
      return ApiError.unavailable("Database unavailable", 5, error);
    }
    // A call past its deadline (AbortSignal.timeout on SQL over HTTP, DatabaseTimeoutError on
    // the WebSocket path). A write may or may not have committed: the client retries, and an
    // Idempotency-Key makes that retry safe.
    if (e.name === "TimeoutError") return ApiError.unavailable("Database unavailable", 5, error);
    // The wrapper's message carries the statement's parameters: what they say decides nothing.
    const message = typeof e.message === "string" && e.params === undefined ? e.message : "";
    if (
      /fetch failed|Error connecting to database|HTTP status 5\d\d|network connection|ECONNREFUSED|timed? ?out/i.test(
        message,
      )
    ) {
      return ApiError.unavailable("Database unavailable", 5, error);
    }
  }
  return undefined;
}

/** The SQLSTATE of a database failure (its own or a wrapped cause's), when it has one. */
export function databaseErrorCode(error: unknown): string | undefined {
  for (const e of causes(error)) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}
