/** The one error type of the API. Each code maps to exactly one HTTP status (API.md). */

export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  LOOP_DETECTED: 508,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export interface ErrorDetail {
  code: ErrorCode;
  message: string;
  field?: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly details: ErrorDetail[];
  /** Extra response headers (WWW-Authenticate, Retry-After, Allow…). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      field?: string;
      details?: ErrorDetail[];
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.headers = options.headers ?? {};
    this.details = options.details ?? [
      { code, message, ...(options.field === undefined ? {} : { field: options.field }) },
    ];
  }

  static validation(details: { field?: string; message: string }[]): ApiError {
    const first = details[0]?.message ?? "Invalid request";
    return new ApiError("VALIDATION_ERROR", first, {
      details: details.map((d) => ({ code: "VALIDATION_ERROR" as const, ...d })),
    });
  }

  static notFound(what = "Resource"): ApiError {
    return new ApiError("NOT_FOUND", `${what} not found`);
  }

  static unauthenticated(
    message: string,
    error: "invalid_token" | "invalid_request" = "invalid_token",
  ): ApiError {
    // RFC 6750 §3: a missing credential gets a bare challenge, a bad one names the error.
    const challenge =
      error === "invalid_request" ? 'Bearer realm="nexus"' : `Bearer realm="nexus", error="${error}"`;
    return new ApiError("UNAUTHENTICATED", message, { headers: { "WWW-Authenticate": challenge } });
  }

  static unavailable(message: string, retryAfterSeconds = 5, cause?: unknown): ApiError {
    return new ApiError("SERVICE_UNAVAILABLE", message, {
      headers: { "Retry-After": String(retryAfterSeconds) },
      cause,
    });
  }
}
