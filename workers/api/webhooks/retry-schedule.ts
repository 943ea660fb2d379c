/**
 * When a failed attempt is tried again: 1, 2, 4, 8 and 16 s after attempts 1–5 of a round
 * (SECURITY.md), then the delivery fails; six attempts in all, about half a minute. `baseMs` is
 * WEBHOOK_RETRY_BASE_MS (1000 in every deployment; tests scale it down).
 */
export const MAX_ATTEMPTS_PER_ROUND = 6;

/** Milliseconds until the next attempt after the round's `attempt`-th failed; null: give up. */
export function retryDelayMs(attempt: number, baseMs: number): number | null {
  if (attempt >= MAX_ATTEMPTS_PER_ROUND) return null;
  return baseMs * 2 ** Math.max(0, attempt - 1);
}

/** One attempt's timeout (SECURITY.md): a receiver that hangs costs at most this. */
export const ATTEMPT_TIMEOUT_MS = 30_000;
