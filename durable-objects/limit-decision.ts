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
