import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../durable-objects/rate-limiter";

const limiter = (name: string) => env.RATE_LIMITER!.get(env.RATE_LIMITER!.idFromName(name));

describe("RateLimiter Durable Object", () => {
  it("allows exactly L of L+k concurrent hits", async () => {
    const stub = limiter(`burst-${crypto.randomUUID()}`);
    const decisions = await Promise.all(Array.from({ length: 25 }, () => stub.consume("tenant", 10, 60_000)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    const remaining = decisions
      .filter((d) => d.allowed)
      .map((d) => d.remaining)
      .sort((a, b) => a - b);
    expect(remaining).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(decisions.every((d) => d.limit === 10)).toBe(true);
  });

  it("keeps policies and objects independent, and lets a hit count for exactly one window", async () => {
    const stub = limiter(`windows-${crypto.randomUUID()}`);
    const t0 = 1_000_000_000_000;
    expect((await stub.consume("a", 1, 60_000, t0)).allowed).toBe(true);
    expect((await stub.consume("a", 1, 60_000, t0 + 10)).allowed).toBe(false);
    expect((await stub.consume("b", 1, 60_000, t0 + 10)).allowed).toBe(true);
    // The hit at t0 counts until t0 + 60 s (rounded up to a 1 s bucket, here exact).
    expect(await stub.consume("a", 1, 60_000, t0 + 59_999)).toMatchObject({
      allowed: false,
      resetAt: t0 + 60_000,
    });
    const next = await stub.consume("a", 1, 60_000, t0 + 60_000);
    expect(next).toMatchObject({ allowed: true, remaining: 0, resetAt: t0 + 120_000 });
    expect((await limiter(`other-${crypto.randomUUID()}`).consume("a", 1, 60_000, t0)).allowed).toBe(true);
  });

  it("a burst of L just before a fixed window's boundary and L just after it: L pass, not 2L", async () => {
    const stub = limiter(`boundary-${crypto.randomUUID()}`);
    const boundary = 1_000_000_020_000; // a multiple of 60 s, where a fixed window would reset
    const burst = (at: number) =>
      Promise.all(Array.from({ length: 10 }, () => stub.consume("tenant", 10, 60_000, at)));
    const before = await burst(boundary - 500);
    const after = await burst(boundary + 500);
    expect(before.filter((d) => d.allowed)).toHaveLength(10);
    expect(after.filter((d) => d.allowed)).toHaveLength(0);
    // Refused until the first burst leaves the window, a minute after it (rounded up to its
    // 1 s bucket): that is what Retry-After says.
    expect(after[0]?.resetAt).toBe(boundary + 60_000);
    expect((await stub.consume("tenant", 10, 60_000, boundary + 59_999)).allowed).toBe(false);
    const later = await burst(boundary + 60_000);
    expect(later.filter((d) => d.allowed)).toHaveLength(10);
  });

  it("remaining grows as the oldest hits leave; a full counter resets when one more may pass", async () => {
    const stub = limiter(`sliding-${crypto.randomUUID()}`);
    const t0 = 1_000_000_000_000;
    await stub.consume("k", 3, 60_000, t0);
    await stub.consume("k", 3, 60_000, t0 + 10_000);
    const third = await stub.consume("k", 3, 60_000, t0 + 20_000);
    expect(third).toMatchObject({ allowed: true, remaining: 0, resetAt: t0 + 60_000 });
    expect(await stub.peek("k", 3, 60_000, t0 + 60_000)).toMatchObject({
      allowed: true,
      remaining: 1,
      resetAt: t0 + 70_000,
    });
    expect((await stub.consume("k", 3, 60_000, t0 + 60_000)).allowed).toBe(true);
    expect(await stub.consume("k", 3, 60_000, t0 + 60_001)).toMatchObject({
      allowed: false,
      resetAt: t0 + 70_000,
    });
  });

  it("a lease counts as made at its end, and its unused admissions can be given back", async () => {
    const stub = limiter(`lease-${crypto.randomUUID()}`);
    const t0 = 1_000_000_000_000;
    const checks = [{ key: "k", limit: 1000, windowMs: 60_000 }];
    const lease = await stub.hit(checks, 32, undefined, t0);
    expect(lease).toMatchObject({ allowed: true, granted: 32, countedAt: t0 + 3_750 });
    // Counted until a minute after the lease's end (rounded up to the bucket): 968 left before.
    expect((await stub.peek("k", 1000, 60_000, t0 + 63_999)).remaining).toBe(968);
    expect((await stub.peek("k", 1000, 60_000, t0 + 64_000)).remaining).toBe(1000);
    const back = await stub.hit(checks, 1, { countedAt: lease.countedAt, permits: 20 }, t0 + 4_000);
    expect(back.decisions[0]?.remaining).toBe(1000 - 12 - 1);
  });
  it("keeps the counts an object held in fixed windows, for as long as they may still count", async () => {
    const stub = limiter(`migrate-${crypto.randomUUID()}`);
    await runInDurableObject(stub, async (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("drop table hits");
      sql.exec(
        "create table windows (policy text primary key, window_start integer not null, window_ms integer not null, count integer not null)",
      );
      const start = Date.now() - (Date.now() % 60_000);
      sql.exec(
        "insert into windows values ('k', ?, 60000, 7), ('gone', ?, 60000, 3)",
        start,
        start - 120_000,
      );
      const upgraded = new RateLimiter(state, env);
      await new Promise((r) => setTimeout(r, 10)); // its constructor's blockConcurrencyWhile
      expect(upgraded.peek("k", 10, 60_000)).toMatchObject({ remaining: 3, resetAt: start + 120_000 });
      expect(upgraded.peek("gone", 10, 60_000).remaining).toBe(10);
      expect(sql.exec("select name from sqlite_master where name = 'windows'").toArray()).toEqual([]);
    });
  });

  it("clears rows that have left their window in its alarm", async () => {
    const stub = limiter(`alarm-${crypto.randomUUID()}`);
    await stub.consume("a", 5, 1000, Date.now() - 10_000);
    expect((await stub.consume("a", 1, 60_000)).remaining).toBe(0);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, (_instance, state) => {
      const rows = state.storage.sql.exec<{ n: number }>("select count(*) as n from hits").one().n;
      expect(rows).toBe(1);
    });
  });
});
