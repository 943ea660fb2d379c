import { DurableObject } from "cloudflare:workers";
import {
  type BackoffCheck,
  type GiveBack,
  type LayeredDecision,
  type LimitCheck,
  type LimitDecision,
  nextAttemptAt,
  type Streak,
  type StreakCheck,
} from "./limit-decision";
import { type Charge, decide, givenBack, Standing } from "./sliding-window";

export type { BackoffCheck, GiveBack, LayeredDecision, LimitCheck, LimitDecision, Streak, StreakCheck };

const ADD =
  "insert into hits (policy, leaves_at, count) values {rows} on conflict (policy, leaves_at) do update set count = count + excluded.count";
const TAKE_BACK = "update hits set count = max(0, count - ?) where (policy, leaves_at) in (values {rows})";

/**
 * Exact sliding-window counters for one key space (one object per tenant, or per sign-in
 * subject; see sliding-window.ts). A Durable Object runs one request at a time, so
 * check-and-increment needs no lock: of L+k concurrent calls against a limit of L, exactly L are
 * allowed, and no interval of a window's length admits more than L. Counters hold only ids and
 * numbers, never personal data, so any region may place them. It also keeps failure streaks
 * (consecutive failed sign-ins, for a growing delay).
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.#createSchema();
      this.#fromFixedWindows(Date.now());
    });
  }

  #createSchema(): void {
    this.sql.exec(
      "create table if not exists hits (policy text not null, leaves_at integer not null, count integer not null, primary key (policy, leaves_at)) without rowid",
    );
    this.sql.exec(
      "create table if not exists streaks (key text primary key, failures integer not null, last_at integer not null, forget_ms integer not null)",
    );
  }

  /**
   * A privacy erasure: counters keyed by `id` (a user's or key's) go; without `id` (the tenant's
   * erasure) the whole storage does.
   */
  async forget(id?: string): Promise<void> {
    if (id !== undefined) {
      this.sql.exec("delete from hits where instr(policy, ?) > 0", id);
      this.sql.exec("delete from streaks where instr(key, ?) > 0", id);
      return;
    }
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#createSchema();
  }

  /**
   * All of a request's layers at once, all or nothing: the request is counted in every layer
   * only if every layer has room, so a refused request uses up no one's allowance. One call is
   * one round trip, one read and at most two writes, however many layers; the object runs it
   * alone, so it is exact under any concurrency.
   *
   * `want` > 1 asks for a lease: up to that many admissions at once, for the caller to hand out
   * to the same subjects without asking again until `countedAt`. The object grants at most
   * 1/LEASE_SHARE of the smallest room left, so a lease is large only far from every limit and
   * shrinks to one admission near it, and counts a lease as made at its end, so each leased
   * admission counts for a full window after it is used. `back` returns a previous lease's
   * admissions that were never used.
   */
  hit(checks: readonly LimitCheck[], want = 1, back?: GiveBack, now = Date.now()): LayeredDecision {
    if (back && back.permits > 0) this.#takeBack(givenBack(checks, back));
    const standings = this.#standings(checks, now);
    const verdict = decide(standings, want, now);
    if (verdict.allowed) this.#add(verdict.charges, standings);
    const { allowed, granted, decisions, countedAt } = verdict;
    return { allowed, granted, decisions, now, countedAt };
  }

  /** Counts one hit against `policy` (e.g. "sign-in-ip") and says whether it is allowed. */
  consume(policy: string, limit: number, windowMs: number, now = Date.now()): LimitDecision {
    const [result] = this.hit([{ key: policy, limit, windowMs }], 1, undefined, now).decisions;
    if (!result) throw new Error("no decision for a single check");
    return result;
  }

  /**
   * Where `policy` stands now, counting nothing: for limits on failures only (sign-in per
   * account), which look first and count only when the attempt fails.
   */
  peek(policy: string, limit: number, windowMs: number, now = Date.now()): LimitDecision {
    const [standing] = this.#standings([{ key: policy, limit, windowMs }], now);
    if (!standing) throw new Error("no standing for a single check");
    return standing.decision(standing.room > 0, now);
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

  /** Each check's admissions still in its window at `now`. */
  #standings(checks: readonly LimitCheck[], now: number): Standing[] {
    const rows = this.sql
      .exec<{ policy: string; leaves_at: number; count: number }>(
        `select policy, leaves_at, count from hits where policy in (${checks.map(() => "?").join(", ")}) and leaves_at > ?`,
        ...checks.map((check) => check.key),
        now,
      )
      .toArray();
    return checks.map(
      (check) =>
        new Standing(
          check,
          rows.filter((r) => r.policy === check.key).map((r) => ({ leavesAt: r.leaves_at, count: r.count })),
        ),
    );
  }

  #add(charges: readonly Charge[], standings: readonly Standing[]): void {
    this.sql.exec(
      ADD.replace("{rows}", charges.map(() => "(?, ?, ?)").join(", ")),
      ...charges.flatMap((c) => [c.key, c.leavesAt, c.count]),
    );
    // Rows nobody counts any more are dead weight: when a key starts afresh, a sweep follows it.
    const fresh = charges.filter((_, i) => standings[i]?.used === 0);
    if (fresh.length > 0) void this.#sweepAfter(Math.min(...fresh.map((c) => c.leavesAt)));
  }

  #takeBack(charges: readonly Charge[]): void {
    const [first] = charges;
    if (!first) return;
    this.sql.exec(
      TAKE_BACK.replace("{rows}", charges.map(() => "(?, ?)").join(", ")),
      first.count,
      ...charges.flatMap((c) => [c.key, c.leavesAt]),
    );
  }

  /**
   * Objects created before windows slid hold fixed-window rows: each count is kept until a
   * window after its window's end, the latest any of its requests may still count.
   */
  #fromFixedWindows(now: number): void {
    const old = this.sql.exec("select 1 from sqlite_master where type = 'table' and name = 'windows'");
    if (old.toArray().length === 0) return;
    this.sql.exec(
      "insert into hits (policy, leaves_at, count) select policy, window_start + 2 * window_ms, count from windows where window_start + 2 * window_ms > ? and count > 0 on conflict (policy, leaves_at) do update set count = count + excluded.count",
      now,
    );
    this.sql.exec("drop table windows");
  }

  async #sweepAfter(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at + 1000) await this.ctx.storage.setAlarm(at + 1000);
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    this.sql.exec("delete from hits where leaves_at <= ? or count = 0", now);
    this.sql.exec("delete from streaks where last_at + forget_ms <= ?", now);
    // Next when some key's rows have all left (a busy key's expired rows go once per window, not
    // once per bucket), or a streak is forgotten.
    const next = this.sql
      .exec<{ t: number | null }>(
        "select min(t) as t from (select max(leaves_at) as t from hits group by policy union all select min(last_at + forget_ms) from streaks)",
      )
      .one().t;
    // An empty table costs nothing; deleteAll() would also drop the schema under this instance.
    if (next !== null) await this.ctx.storage.setAlarm(next + 1000);
  }
}
