/** One error the API's envelope names (`errors[]`). */
export interface ApiErrorDetail {
  code: string;
  message: string;
  field?: string;
}

/**
 * A non-2xx answer of the API, from its envelope `{status: "error", errors, request_id}`. `code`
 * is the first error's (`VALIDATION_ERROR`, `NOT_FOUND`, `RATE_LIMITED`, …); `requestId` is what
 * support needs.
 */
export class NexusApiError extends Error {
  override readonly name = "NexusApiError";
  readonly status: number;
  readonly code: string;
  readonly errors: ApiErrorDetail[];
  readonly requestId: string | undefined;
  /** Seconds from `Retry-After`, when the answer had one (429, 503). */
  readonly retryAfter: number | undefined;

  constructor(init: {
    status: number;
    errors: ApiErrorDetail[];
    requestId?: string | undefined;
    retryAfter?: number | undefined;
  }) {
    const first = init.errors[0] ?? { code: "HTTP_ERROR", message: `HTTP ${init.status}` };
    super(
      init.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; ") || first.message,
    );
    this.status = init.status;
    this.code = first.code;
    this.errors = init.errors;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
  }

  /** The message of the error about this field, if any (`error.fieldError("email")`). */
  fieldError(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

/** The request never got an answer (refused connection, reset, timeout). */
export class NexusNetworkError extends Error {
  override readonly name = "NexusNetworkError";
}

/** An OAuth endpoint's RFC 6749 error (`invalid_grant`, …). */
export class NexusOAuthError extends Error {
  override readonly name = "NexusOAuthError";
  constructor(
    readonly error: string,
    description?: string,
  ) {
    super(description ? `${error}: ${description}` : error);
  }
}

/** `Retry-After` as seconds (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Reads an error answer into a NexusApiError (the envelope when it is one, else the status). */
export async function errorFromResponse(response: Response): Promise<NexusApiError> {
  const retryAfter = parseRetryAfter(response.headers.get("Retry-After"));
  const requestId = response.headers.get("X-Request-Id") ?? undefined;
  const text = await response.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const envelope = body as { errors?: unknown; request_id?: unknown } | undefined;
  const errors = Array.isArray(envelope?.errors)
    ? envelope.errors.filter(
        (e): e is ApiErrorDetail => typeof e === "object" && e !== null && typeof e.code === "string",
      )
    : [
        {
          code: `HTTP_${response.status}`,
          message: text.slice(0, 200) || response.statusText || `HTTP ${response.status}`,
        },
      ];
  return new NexusApiError({
    status: response.status,
    errors,
    requestId: typeof envelope?.request_id === "string" ? envelope.request_id : requestId,
    retryAfter,
  });
}
