import { DurableObject } from "cloudflare:workers";

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch milliseconds at which the current window ends. */
  resetAt: number;
}

/** One counter a request is checked against: `key` names the layer and subject. */
export interface LimitCheck {
  key: string;
  limit: number;
  windowMs: number;
}

export interface LayeredDecision {
  /** True only when every check had room; then each was counted. */
  allowed: boolean;
  /** One per check, in order: as it stands after this request. */
  decisions: LimitDecision[];
  /** This object's clock, so callers compute time to reset without trusting their own. */
  now: number;
}

/**
 * Exact fixed-window counters for one key space (one object per tenant, user or IP). A Durable
 * Object runs one request at a time, so check-and-increment needs no lock: of L+k concurrent
 * calls against a limit of L, exactly L are allowed. Counters hold only ids and numbers, never
 * personal data, so any region may place them.
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
    });
  }

  /**
   * Where `policy` stands now, counting nothing: for limits on failures only (sign-in per
   * account), which look first and count only when the attempt fails.
   */
  peek(policy: string, limit: number, windowMs: number, now = Date.now()): LimitDecision {
    const { used, resetAt } = this.#window(policy, windowMs, now);
    return { allowed: used < limit, limit, remaining: Math.max(0, limit - used), resetAt };
  }

  /** Hits so far in the window containing `now`, and when that window ends. */
  #window(policy: string, windowMs: number, now: number) {
    const windowStart = now - (now % windowMs);
    const row = this.sql
      .exec<{ window_start: number; count: number }>(
        "select window_start, count from windows where policy = ?",
        policy,
      )
      .toArray()[0];
    return {
      windowStart,
      resetAt: windowStart + windowMs,
      used: row && row.window_start === windowStart ? row.count : 0,
    };
  }

  /** Counts one hit against `policy` (e.g. "tenant:100/60") and says whether it is allowed. */
  consume(policy: string, limit: number, windowMs: number, now = Date.now()): LimitDecision {
    const { windowStart, resetAt, used } = this.#window(policy, windowMs, now);
    if (used >= limit) return { allowed: false, limit, remaining: 0, resetAt };
    this.#count(policy, windowStart, windowMs, used, resetAt);
    return { allowed: true, limit, remaining: limit - used - 1, resetAt };
  }

  /**
   * All of a request's layers at once, all or nothing: the request is counted in every layer
   * only if every layer has room, so a refused request uses up no one's allowance. One call is
   * one round trip, however many layers; the object runs it alone, so it is exact under any
   * concurrency.
   */
  hit(checks: readonly LimitCheck[], now = Date.now()): LayeredDecision {
    const windows = checks.map((check) => ({ check, ...this.#window(check.key, check.windowMs, now) }));
    const allowed = windows.every((w) => w.used < w.check.limit);
    const decisions = windows.map(({ check, windowStart, resetAt, used }): LimitDecision => {
      if (!allowed) {
        return {
          allowed: used < check.limit,
          limit: check.limit,
          remaining: Math.max(0, check.limit - used),
          resetAt,
        };
      }
      this.#count(check.key, windowStart, check.windowMs, used, resetAt);
      return { allowed: true, limit: check.limit, remaining: check.limit - used - 1, resetAt };
    });
    return { allowed, decisions, now };
  }

  #count(policy: string, windowStart: number, windowMs: number, used: number, resetAt: number): void {
    this.sql.exec(
      "insert into windows (policy, window_start, window_ms, count) values (?, ?, ?, ?) on conflict (policy) do update set window_start = excluded.window_start, window_ms = excluded.window_ms, count = excluded.count",
      policy,
      windowStart,
      windowMs,
      used + 1,
    );
    // Expired windows are dead weight: on a window's first hit, schedule a sweep for after it.
    if (used === 0) void this.#sweepAfter(resetAt);
  }

  async #sweepAfter(resetAt: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > resetAt + 1000) await this.ctx.storage.setAlarm(resetAt + 1000);
  }

  override async alarm(): Promise<void> {
    this.sql.exec("delete from windows where window_start + window_ms <= ?", Date.now());
    const next = this.sql
      .exec<{ t: number | null }>("select min(window_start + window_ms) as t from windows")
      .one().t;
    // An empty table costs nothing; deleteAll() would also drop the schema under this instance.
    if (next !== null) await this.ctx.storage.setAlarm(next + 1000);
  }
}
