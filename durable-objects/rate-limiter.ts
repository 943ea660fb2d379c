import { DurableObject } from "cloudflare:workers";
import {
  type BackoffCheck,
  type LayeredDecision,
  type LimitCheck,
  type LimitDecision,
  nextAttemptAt,
  type Streak,
  type StreakCheck,
} from "./limit-decision";

export type { BackoffCheck, LayeredDecision, LimitCheck, LimitDecision, Streak, StreakCheck };

/** A lease is at most this fraction (1/n) of the smallest room left in its layers. */
export const LEASE_SHARE = 16;

const UPSERT =
  "insert into windows (policy, window_start, window_ms, count) values {rows} on conflict (policy) do update set window_start = excluded.window_start, window_ms = excluded.window_ms, count = excluded.count";

/**
 * Exact fixed-window counters for one key space (one object per tenant, or per sign-in subject),
 * and failure streaks (consecutive failed sign-ins, for a growing delay).
 * A Durable Object runs one request at a time, so check-and-increment needs no lock: of L+k
 * concurrent calls against a limit of L, exactly L are allowed. Counters hold only ids and
 * numbers, never personal data, so any region may place them.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(
        "create table if not exists windows (policy text primary key, window_start integer not null, window_ms integer not null, count integer not null)",
      );
      this.sql.exec(
        "create table if not exists streaks (key text primary key, failures integer not null, last_at integer not null, forget_ms integer not null)",
      );
    });
  }

  /**
   * All of a request's layers at once, all or nothing: the request is counted in every layer
   * only if every layer has room, so a refused request uses up no one's allowance. One call is
   * one round trip, one read and at most one write, however many layers; the object runs it
   * alone, so it is exact under any concurrency.
   *
   * `want` > 1 asks for a lease: up to that many admissions at once, for the caller to hand out
   * to the same subjects without asking again. The object grants at most 1/LEASE_SHARE of the
   * smallest room left, so a lease is large only far from every limit and shrinks to one
   * admission near it: what passes never exceeds a limit, and near a limit every request is
   * counted here, one by one.
   */
  hit(checks: readonly LimitCheck[], want = 1, now = Date.now()): LayeredDecision {
    const windows = this.#windows(checks, now);
    const room = Math.min(...windows.map((w) => w.check.limit - w.used));
    if (room <= 0) {
      const decisions = windows.map((w) => decision(w, w.used < w.check.limit, w.used));
      return { allowed: false, granted: 0, decisions, now };
    }
    const granted = Math.max(1, Math.min(want, Math.floor(room / LEASE_SHARE)));
    this.sql.exec(
      UPSERT.replace("{rows}", windows.map(() => "(?, ?, ?, ?)").join(", ")),
      ...windows.flatMap((w) => [w.check.key, w.windowStart, w.check.windowMs, w.used + granted]),
    );
    // Expired windows are dead weight: when a window opens, make sure a sweep follows it.
    const opened = windows.filter((w) => w.used === 0);
    if (opened.length > 0) void this.#sweepAfter(Math.min(...opened.map((w) => w.resetAt)));
    return {
      allowed: true,
      granted,
      decisions: windows.map((w) => decision(w, true, w.used + granted)),
      now,
    };
  }

  /** Counts one hit against `policy` (e.g. "sign-in-ip") and says whether it is allowed. */
  consume(policy: string, limit: number, windowMs: number, now = Date.now()): LimitDecision {
    const [result] = this.hit([{ key: policy, limit, windowMs }], 1, now).decisions;
    if (!result) throw new Error("no decision for a single check");
    return result;
  }

  /**
   * Where `policy` stands now, counting nothing: for limits on failures only (sign-in per
   * account), which look first and count only when the attempt fails.
   */
  peek(policy: string, limit: number, windowMs: number, now = Date.now()): LimitDecision {
    const [w] = this.#windows([{ key: policy, limit, windowMs }], now);
    if (!w) throw new Error("no window for a single check");
    return decision(w, w.used < limit, w.used);
  }

  /** The consecutive failures under each key (none once `forgetMs` has passed since the last). */
  streaks(checks: readonly StreakCheck[], now = Date.now()): Streak[] {
    const stored = new Map(
      this.sql
        .exec<{ key: string; failures: number; last_at: number }>(
          `select key, failures, last_at from streaks where key in (${checks.map(() => "?").join(", ")})`,
          ...checks.map((check) => check.key),
        )
        .toArray()
        .map((row) => [row.key, row]),
    );
    return checks.map((check) => {
      const row = stored.get(check.key);
      return row && row.last_at + check.forgetMs > now
        ? { failures: row.failures, lastAt: row.last_at }
        : { failures: 0, lastAt: null };
    });
  }

  /** One more failure under each key, now; answers the streaks as they stand after it. */
  #failed(checks: readonly StreakCheck[], now: number): Streak[] {
    const after = this.streaks(checks, now).map((s) => ({ failures: s.failures + 1, lastAt: now }));
    this.sql.exec(
      `insert into streaks (key, failures, last_at, forget_ms) values ${checks.map(() => "(?, ?, ?, ?)").join(", ")}
       on conflict (key) do update set failures = excluded.failures, last_at = excluded.last_at, forget_ms = excluded.forget_ms`,
      ...checks.flatMap((check, i) => [check.key, after[i]?.failures ?? 1, now, check.forgetMs]),
    );
    void this.#sweepAfter(now + Math.min(...checks.map((check) => check.forgetMs)));
    return after;
  }

  /**
   * An attempt against growing delays, checked and counted at once: refused (counting nothing)
   * while any streak says wait; otherwise counted as a failure in every streak in advance, for
   * the caller to take back (`settled`) if it was not one. Counting first is what makes it exact:
   * of parallel attempts, each sees the ones before it.
   */
  attempt(checks: readonly BackoffCheck[], now = Date.now()): { allowed: boolean; retryAt: number } {
    const streaks = this.streaks(checks, now);
    const failuresOf = new Map(checks.map((check, i) => [check.key, streaks[i]?.failures ?? 0]));
    const retryAt = Math.max(
      0,
      ...checks.map((check, i) => {
        const applies = !check.when || (failuresOf.get(check.when.key) ?? 0) >= check.when.atLeast;
        return applies && streaks[i] ? nextAttemptAt(streaks[i], check) : 0;
      }),
    );
    if (retryAt > now) return { allowed: false, retryAt };
    this.#failed(checks, now);
    return { allowed: true, retryAt: 0 };
  }

  /**
   * After an attempt that was not a failure: `clear` ends those streaks, `undo` takes back the
   * failure `attempt` counted in advance (its time stays: at worst a shared streak's wait starts
   * a moment later).
   */
  settled(clear: readonly string[], undo: readonly string[]): void {
    if (clear.length > 0) {
      this.sql.exec(`delete from streaks where key in (${clear.map(() => "?").join(", ")})`, ...clear);
    }
    if (undo.length > 0) {
      this.sql.exec(
        `update streaks set failures = max(0, failures - 1) where key in (${undo.map(() => "?").join(", ")})`,
        ...undo,
      );
    }
  }

  /** Hits so far in the window containing `now` for each check, and when that window ends. */
  #windows(checks: readonly LimitCheck[], now: number) {
    const stored = new Map(
      this.sql
        .exec<{ policy: string; window_start: number; count: number }>(
          `select policy, window_start, count from windows where policy in (${checks.map(() => "?").join(", ")})`,
          ...checks.map((check) => check.key),
        )
        .toArray()
        .map((row) => [row.policy, row]),
    );
    return checks.map((check) => {
      const windowStart = now - (now % check.windowMs);
      const row = stored.get(check.key);
      return {
        check,
        windowStart,
        resetAt: windowStart + check.windowMs,
        used: row?.window_start === windowStart ? row.count : 0,
      };
    });
  }

  async #sweepAfter(resetAt: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > resetAt + 1000) await this.ctx.storage.setAlarm(resetAt + 1000);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec("delete from windows where window_start + window_ms <= ?", now);
    this.sql.exec("delete from streaks where last_at + forget_ms <= ?", now);
    const next = this.sql
      .exec<{ t: number | null }>(
        "select min(t) as t from (select min(window_start + window_ms) as t from windows union all select min(last_at + forget_ms) from streaks)",
      )
      .one().t;
    // An empty table costs nothing; deleteAll() would also drop the schema under this instance.
    if (next !== null) await this.ctx.storage.setAlarm(next + 1000);
  }
}

/** A window as a decision, with `count` hits in it. */
function decision(w: { check: LimitCheck; resetAt: number }, allowed: boolean, count: number): LimitDecision {
  return { allowed, limit: w.check.limit, remaining: Math.max(0, w.check.limit - count), resetAt: w.resetAt };
}
