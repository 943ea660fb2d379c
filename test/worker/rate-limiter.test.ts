import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";

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

  it("keeps policies and objects independent, and opens a new window on time", async () => {
    const stub = limiter(`windows-${crypto.randomUUID()}`);
    const t0 = 1_000_000_000_000 - (1_000_000_000_000 % 60_000);
    expect((await stub.consume("a", 1, 60_000, t0)).allowed).toBe(true);
    expect((await stub.consume("a", 1, 60_000, t0 + 10)).allowed).toBe(false);
    expect((await stub.consume("b", 1, 60_000, t0 + 10)).allowed).toBe(true);
    const next = await stub.consume("a", 1, 60_000, t0 + 60_000);
    expect(next).toMatchObject({ allowed: true, resetAt: t0 + 120_000 });
    expect((await limiter(`other-${crypto.randomUUID()}`).consume("a", 1, 60_000, t0)).allowed).toBe(true);
  });

  it("clears expired windows in its alarm", async () => {
    const stub = limiter(`alarm-${crypto.randomUUID()}`);
    await stub.consume("a", 5, 1, Date.now() - 10_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.consume("a", 1, 60_000)).remaining).toBe(0);
  });
});
