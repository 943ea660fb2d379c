// Error types that cross module boundaries. Each maps to exactly one HTTP status in the router,
// so handlers never pick status codes for Redis failures themselves.

/** Redis answered with an error reply (WRONGTYPE, syntax, NOSCRIPT …): the caller's fault, HTTP 400. */
export class RedisCommandError extends Error {
  override readonly name = "RedisCommandError";
}

/** Redis could not be reached or did not answer in time: not the caller's fault, HTTP 503. */
export class RedisUnavailableError extends Error {
  override readonly name = "RedisUnavailableError";
}

/** A request rejected before or instead of reaching Redis, with the status to answer. */
export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
