/** What the RateLimiter object answers: plain data, importable without the Workers runtime. */

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /**
   * Epoch milliseconds at which `remaining` next grows (the window slides): when the oldest
   * counted requests leave it, or, for a full counter, when the next request would pass.
   */
  resetAt: number;
}

/** One counter a request is checked against: `key` names the layer and subject. */
export interface LimitCheck {
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * A lease's admissions that were never handed out (its time ran out first), returned on the
 * caller's next call for the same checks so they stop counting.
 */
export interface GiveBack {
  /** The lease's `countedAt`, as the object answered it. */
  countedAt: number;
  permits: number;
}

export interface LayeredDecision {
  /** True only when every check had room; then each was counted `granted` times. */
  allowed: boolean;
  /** Requests admitted by this call (0 when refused): 1, or a lease of several (see `hit`). */
  granted: number;
  /** One per check, in order: as it stands after this request. */
  decisions: LimitDecision[];
  /** This object's clock, so callers compute time to reset without trusting their own. */
  now: number;
  /**
   * By this object's clock, the last moment a lease's admissions may be used (`now` for a single
   * admission): they are counted as made then. The caller measures the lease's time from before
   * its call, so however late the answer arrives, it never hands one out after this.
   */
  countedAt: number;
}

/** A run of consecutive failures (sign-in), kept until `forgetMs` after the last one. */
export interface StreakCheck {
  key: string;
  forgetMs: number;
}

export interface Streak {
  failures: number;
  /** Epoch milliseconds of the last failure; null when there is no streak. */
  lastAt: number | null;
}

/**
 * A streak that delays attempts: after `free` consecutive failures, the nth failure must be
 * followed by a wait of 2^(n - free) s (at most `capMs`) before the next attempt is checked.
 * `when`: the streak applies only while another streak of the same call has `atLeast` failures.
 */
export interface BackoffCheck extends StreakCheck {
  free: number;
  capMs: number;
  when?: { key: string; atLeast: number };
}

/** When a streak lets the next attempt be checked (epoch ms; 0: at once). */
export function nextAttemptAt(streak: Streak, policy: { free: number; capMs: number }): number {
  if (streak.lastAt === null || streak.failures < policy.free) return 0;
  return streak.lastAt + Math.min(policy.capMs, 1000 * 2 ** (streak.failures - policy.free));
}
