import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../app-env";
import { fromDatabaseError } from "./db-errors";
import { failure } from "./envelope";
import { ApiError } from "./errors";
import { logError } from "./log-error";

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    // Raised by Hono's own validators, e.g. a body that is not valid JSON.
    if (error.status === 400) return new ApiError("BAD_REQUEST", "Malformed request body", { cause: error });
    if (error.status === 413)
      return new ApiError("PAYLOAD_TOO_LARGE", "Request body too large", { cause: error });
    // @hono/zod-openapi's media-type gate, should a body reach it that the edge's rules let by.
    if (error.status === 415)
      return new ApiError("UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", { cause: error });
  }
  return (
    fromDatabaseError(error) ?? new ApiError("INTERNAL_ERROR", "Internal server error", { cause: error })
  );
}

/** The one place an exception becomes a response. A 500 never shows internals; the log has them. */
export function handleError(error: unknown, c: Context<AppEnv>): Response {
  const apiError = toApiError(error);
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  if (apiError.status >= 500) {
    const cause = apiError.cause ?? error;
    logError("request failed", requestId, cause, { code: apiError.code });
  }
  for (const [name, value] of Object.entries(apiError.headers)) c.header(name, value);
  c.header("X-Request-Id", requestId);
  return c.json(failure(apiError.details, requestId), apiError.status);
}
