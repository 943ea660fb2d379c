import type { GiveBack, LimitCheck, LimitDecision } from "./limit-decision";

/**
 * Exact sliding windows, as plain arithmetic (the RateLimiter object keeps the rows in SQLite).
 *
 * Each admission is counted until one window length after it, so no interval of a window's length
 * ever holds more than the limit, wherever it starts: a burst of L just before a fixed window's
 * boundary and L just after it can no longer pass 2L. Admissions are grouped in rows by the time
 * they leave the window, rounded up to 1/BUCKETS of the window: a row per key and bucket rather
 * than one per request (at most BUCKETS + 1 live rows per key). Rounding up only ever counts an
 * admission a little longer (at most one bucket), never shorter, so the limit stays exact.
 */
export const BUCKETS = 60;

/** A lease is at most this fraction (1/n) of the smallest room left in its layers. */
export const LEASE_SHARE = 16;

/** Admissions counted together in one key that leave the window at `leavesAt` (epoch ms). */
export interface Charge {
  key: string;
  leavesAt: number;
  count: number;
}

const bucketMs = (windowMs: number) => Math.max(1, Math.floor(windowMs / BUCKETS));

/** When an admission counted at `at` stops counting for `check`: a window later, rounded up. */
export function leavesAt(check: LimitCheck, at: number): number {
  const bucket = bucketMs(check.windowMs);
  return Math.ceil(at / bucket) * bucket + check.windowMs;
}

/**
 * How long a lease's admissions may be handed out: 1/LEASE_SHARE of the shortest window. A lease
 * is counted as if all its admissions came at its end, so each counts for a full window after
 * its use, whenever the isolate hands it out; the price is that a leased admission counts up to
 * this much longer than one asked for alone.
 */
export function leaseMs(checks: readonly LimitCheck[]): number {
  return Math.max(1, Math.floor(Math.min(...checks.map((c) => c.windowMs)) / LEASE_SHARE));
}

/** One key's live admissions (rows with leavesAt > now), in any order. */
export class Standing {
  readonly used: number;
  private readonly rows: { leavesAt: number; count: number }[];

  constructor(
    readonly check: LimitCheck,
    rows: readonly { leavesAt: number; count: number }[],
  ) {
    this.rows = [...rows].sort((a, b) => a.leavesAt - b.leavesAt);
    this.used = this.rows.reduce((sum, r) => sum + r.count, 0);
  }

  get room(): number {
    return this.check.limit - this.used;
  }

  /** The same key with `count` more admissions leaving at `at`. */
  plus(count: number, at: number): Standing {
    return new Standing(this.check, [...this.rows, { leavesAt: at, count }]);
  }

  /**
   * When `remaining` next grows: the time the oldest counted admissions leave; for a full
   * counter, the time enough have left for one more request to pass (what Retry-After says).
   * `now` when nothing is counted.
   */
  resetAt(now: number): number {
    const leaving = Math.max(1, this.used - this.check.limit + 1);
    let left = 0;
    for (const row of this.rows) {
      left += row.count;
      if (left >= leaving) return row.leavesAt;
    }
    return now;
  }

  decision(allowed: boolean, now: number): LimitDecision {
    return {
      allowed,
      limit: this.check.limit,
      remaining: Math.max(0, this.room),
      resetAt: this.resetAt(now),
    };
  }
}

export interface Verdict {
  allowed: boolean;
  granted: number;
  decisions: LimitDecision[];
  /** When the granted admissions are counted as made: `now`, or a lease's last moment. */
  countedAt: number;
  /** The rows to add (nothing when refused). */
  charges: Charge[];
}

/**
 * All of a request's layers at once, all or nothing. `want` > 1 asks for a lease: at most
 * 1/LEASE_SHARE of the smallest room, so leases shrink to one admission near any limit.
 */
export function decide(standings: readonly Standing[], want: number, now: number): Verdict {
  const room = Math.min(...standings.map((s) => s.room));
  if (room <= 0) {
    return {
      allowed: false,
      granted: 0,
      decisions: standings.map((s) => s.decision(s.room > 0, now)),
      countedAt: now,
      charges: [],
    };
  }
  const granted = Math.max(1, Math.min(want, Math.floor(room / LEASE_SHARE)));
  // One admission is the caller's own request, used now; more are a lease, used until its end.
  const countedAt = granted > 1 ? now + leaseMs(standings.map((s) => s.check)) : now;
  const charges = standings.map((s) => ({
    key: s.check.key,
    leavesAt: leavesAt(s.check, countedAt),
    count: granted,
  }));
  return {
    allowed: true,
    granted,
    decisions: standings.map((s, i) => s.plus(granted, charges[i]?.leavesAt ?? now).decision(true, now)),
    countedAt,
    charges,
  };
}

/** The rows a lease's unused admissions were counted in, to take them out again. */
export function givenBack(checks: readonly LimitCheck[], back: GiveBack): Charge[] {
  return checks.map((check) => ({
    key: check.key,
    leavesAt: leavesAt(check, back.countedAt),
    count: back.permits,
  }));
}
