import type { AuthProvider } from "./auth";
import { errorFromResponse, NexusApiError, NexusNetworkError } from "./errors";
import {
  DEFAULT_RETRY,
  failedBeforeSending,
  idempotencyModeOf,
  isRetryableAnswer,
  mayResend,
  type RetryOptions,
  retryDelayMs,
} from "./retry";

export interface TransportOptions {
  auth?: AuthProvider | undefined;
  retry?: RetryOptions | undefined;
  /** The fetch to call (default the global one). */
  fetch?: typeof fetch | undefined;
  /** Sent on every request (e.g. a `User-Agent`). */
  headers?: Record<string, string> | undefined;
  /** Called before each retry: for progress output and tests. */
  onRetry?:
    | ((info: { attempt: number; delayMs: number; request: Request; reason: string }) => void)
    | undefined;
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A `fetch` for openapi-fetch that adds what every call needs: the credential (refreshed once on
 * a 401), an `Idempotency-Key` on each POST that accepts one (the same key on every retry of the
 * call, so a retried create is created once), retries with backoff that honour `Retry-After`,
 * and typed errors: a non-2xx answer throws a NexusApiError built from the envelope.
 */
export function createTransport(options: TransportOptions = {}): typeof fetch {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? defaultSleep;

  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const original = new Request(input, init);
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (!original.headers.has(name)) original.headers.set(name, value);
    }
    if (original.method === "POST" && !original.headers.has("Idempotency-Key")) {
      const mode = idempotencyModeOf(new URL(original.url).pathname);
      if (mode === "optional" || mode === "required")
        original.headers.set("Idempotency-Key", crypto.randomUUID());
    }
    const resendable = mayResend(original.method, original.headers);
    let refreshed = false;

    for (let attempt = 0; ; attempt++) {
      const request = original.clone();
      const credential = await options.auth?.authorization();
      if (credential && !request.headers.has("Authorization"))
        request.headers.set("Authorization", credential);

      let response: Response;
      try {
        response = await doFetch(request);
      } catch (error) {
        const delay = retryDelayMs(attempt + 1, undefined, retry);
        const again =
          (resendable || failedBeforeSending(error)) && attempt < retry.maxRetries && delay !== undefined;
        if (!again)
          throw new NexusNetworkError(`${original.method} ${original.url}: ${reasonOf(error)}`, {
            cause: error,
          });
        options.onRetry?.({
          attempt: attempt + 1,
          delayMs: delay,
          request: original,
          reason: reasonOf(error),
        });
        await sleep(delay);
        continue;
      }
      if (response.ok || (response.status >= 300 && response.status < 400)) return response;

      // An expired access token: refresh once and send again (nothing was done with the 401).
      if (response.status === 401 && !refreshed && options.auth?.refresh) {
        refreshed = true;
        if (await options.auth.refresh()) {
          await response.body?.cancel();
          attempt--;
          continue;
        }
      }
      const error = await errorFromResponse(response);
      const delay = retryDelayMs(attempt + 1, error.retryAfter, retry);
      if (
        resendable &&
        attempt < retry.maxRetries &&
        isRetryableAnswer(error.status, error.code) &&
        delay !== undefined
      ) {
        options.onRetry?.({
          attempt: attempt + 1,
          delayMs: delay,
          request: original,
          reason: `${error.status} ${error.code}`,
        });
        await sleep(delay);
        continue;
      }
      throw error;
    }
  };
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

export { NexusApiError };
