import { POST_IDEMPOTENCY } from "./generated/idempotency";

/** How failed calls are retried. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 turns retrying off). */
  maxRetries?: number;
  /** The first backoff, doubled each retry, with full jitter (default 250 ms). */
  baseDelayMs?: number;
  /** No single wait is longer; a `Retry-After` above it ends the retrying (default 30 s). */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 30_000 };

/** Statuses worth a second try: the request was not acted on, or may be replayed safely. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** What the API does with `Idempotency-Key` on this POST (by path template), or undefined. */
export function idempotencyModeOf(pathname: string): "optional" | "required" | "refused" | undefined {
  const exact = POST_IDEMPOTENCY[pathname];
  if (exact) return exact;
  const segments = pathname.split("/");
  for (const [template, mode] of Object.entries(POST_IDEMPOTENCY)) {
    const parts = template.split("/");
    if (parts.length !== segments.length) continue;
    if (
      parts.every((p, i) => (p.startsWith("{") && p.endsWith("}") ? segments[i] !== "" : p === segments[i]))
    )
      return mode;
  }
  return undefined;
}

/**
 * Whether the same request may be sent again. GET, HEAD, PUT, DELETE and OPTIONS are idempotent
 * by HTTP's definition; a POST only with an `Idempotency-Key` (the server then replays or runs it
 * once); PATCH never (the API gives it no key).
 */
export function mayResend(method: string, headers: Headers): boolean {
  const m = method.toUpperCase();
  if (["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].includes(m)) return true;
  return m === "POST" && headers.has("Idempotency-Key");
}

/** Whether an answer is worth retrying (and 409 `IDEMPOTENCY_KEY_IN_USE`: the first is still running). */
export function isRetryableAnswer(status: number, code: string | undefined): boolean {
  return RETRYABLE_STATUS.has(status) || (status === 409 && code === "IDEMPOTENCY_KEY_IN_USE");
}

/** Whether a fetch failure happened before anything was sent, so even a non-idempotent call may be resent. */
export function failedBeforeSending(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } })?.cause;
  return cause?.code === "ECONNREFUSED" || cause?.code === "ENOTFOUND" || cause?.code === "EAI_AGAIN";
}

/**
 * The wait before retry `attempt` (1-based): the server's `Retry-After` when it gave one, else
 * exponential backoff with full jitter. Undefined: the server asks for longer than `maxDelayMs`.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterSeconds: number | undefined,
  options: Required<RetryOptions>,
  random = Math.random,
): number | undefined {
  if (retryAfterSeconds !== undefined) {
    const ms = retryAfterSeconds * 1000;
    return ms > options.maxDelayMs ? undefined : ms;
  }
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
