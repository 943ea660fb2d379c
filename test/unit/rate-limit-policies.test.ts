import { describe, expect, it } from "vitest";
import type { GiveBack } from "../../durable-objects/limit-decision";
import { Admissions } from "../../workers/api/limits/admission";
import { BlockedKeys } from "../../workers/api/limits/blocked-keys";
import { layerLimits, rateLimitOverridesSchema } from "../../workers/api/limits/policies";
import { type LayerState, rateLimitHeaders } from "../../workers/api/limits/rate-limit-headers";
import { MemoryLimiter } from "./memory-limiter";

const state = (
  layer: LayerState["layer"],
  remaining: number,
  resetInMs: number,
  allowed = true,
): LayerState => ({
  layer,
  limit: 10,
  windowSeconds: 60,
  remaining,
  resetInMs,
  allowed,
});

describe("plan limits", () => {
  it("tiers set the tenant layer; the others are shared", () => {
    expect(layerLimits("starter").tenant).toEqual({ limit: 100, windowSeconds: 60 });
    expect(layerLimits("professional").tenant).toEqual({ limit: 500, windowSeconds: 60 });
    expect(layerLimits("enterprise")).toEqual({
      tenant: { limit: 2000, windowSeconds: 60 },
      user: { limit: 1000, windowSeconds: 3600 },
      ip: { limit: 10_000, windowSeconds: 3600 },
      burst: { limit: 200, windowSeconds: 60 },
    });
  });

  it("overrides replace single layers and are validated", () => {
    const limits = layerLimits("starter", { user: { limit: 5, window_seconds: 10 } });
    expect(limits.user).toEqual({ limit: 5, windowSeconds: 10 });
    expect(limits.tenant.limit).toBe(100);
    expect(rateLimitOverridesSchema.safeParse({ user: { limit: 0, window_seconds: 10 } }).success).toBe(
      false,
    );
    expect(rateLimitOverridesSchema.safeParse({ everyone: { limit: 5, window_seconds: 10 } }).success).toBe(
      false,
    );
  });
});

describe("rate-limit headers", () => {
  const policies = [
    { layer: "tenant", limit: 100, windowSeconds: 60 },
    { layer: "burst", limit: 10, windowSeconds: 60 },
  ] as const;

  it("the governing layer is the one with least room", () => {
    const headers = rateLimitHeaders(
      policies,
      [state("tenant", 40, 30_000), state("burst", 3, 10_500)],
      1_000_000,
    );
    expect(headers["RateLimit-Policy"]).toBe('"tenant";q=100;w=60, "burst";q=10;w=60');
    expect(headers.RateLimit).toBe('"tenant";r=40;t=30, "burst";r=3;t=11');
    expect(headers["X-RateLimit-Remaining"]).toBe("3");
    expect(headers["X-RateLimit-Reset"]).toBe(String(Math.ceil((1_000_000 + 10_500) / 1000)));
    expect(headers["Retry-After"]).toBeUndefined();
  });

  it("on a refusal, the refusing layer that resets last, rounded up", () => {
    const headers = rateLimitHeaders(
      policies,
      [state("tenant", 0, 42_001, false), state("burst", 0, 5_000, false)],
      0,
    );
    expect(headers["Retry-After"]).toBe("43");
    expect(headers["X-RateLimit-Limit"]).toBe("10");
  });
});

describe("blocked keys", () => {
  it("refuse until the window's end, then forget", () => {
    const blocked = new BlockedKeys();
    blocked.remember("t|tenant", state("tenant", 0, 5_000, false), 1_000);
    expect(blocked.refusing(["t|tenant", "t|user"], 3_000)).toEqual([state("tenant", 0, 3_000, false)]);
    expect(blocked.refusing(["t|tenant"], 6_000)).toEqual([]);
  });
});

describe("admissions", () => {
  const policies = [{ layer: "tenant", limit: 1000, windowSeconds: 60 }] as const;
  const check = (limit: number, windowMs = 60_000) => ({ key: "t|tenant", limit, windowMs });
  /** A RateLimiter over memory, 5 ms away, counting its calls. */
  function limiter(limit: number) {
    const object = new MemoryLimiter();
    const ask = async (want: number, back?: GiveBack) => {
      await new Promise((r) => setTimeout(r, 5));
      return object.hit([check(limit)], want, back, Date.now());
    };
    return { ask, calls: object.calls };
  }

  it("concurrent requests share one call's lease instead of each asking", async () => {
    const admissions = new Admissions();
    const { ask, calls } = limiter(1000);
    const results = await Promise.all(
      Array.from({ length: 32 }, () => admissions.admit(["t|tenant"], policies, ask)),
    );
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(calls.map((c) => c.want)).toEqual([32]);
    // Remaining counts down one by one across the lease: 999 … 968.
    expect(results.map((r) => r.states[0]?.remaining).sort((a = 0, b = 0) => b - a)).toEqual(
      Array.from({ length: 32 }, (_, i) => 999 - i),
    );
  });

  it("admits exactly the room under a burst, then refuses without asking", async () => {
    const admissions = new Admissions();
    const { ask, calls } = limiter(50);
    const results = await Promise.all(
      Array.from({ length: 80 }, () => admissions.admit(["t|tenant"], policies, ask)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(50);
    const asked = calls.length;
    expect((await admissions.admit(["t|tenant"], policies, ask)).allowed).toBe(false);
    expect(calls.length).toBe(asked);
  });

  it("a lease runs from before its call: a slow answer or a skewed object clock never stretches it", async () => {
    let now = 1_000_000;
    const object = new MemoryLimiter();
    const admissions = new Admissions(() => now);
    // The object's clock is 7 s ahead, and its answer takes 900 ms to arrive.
    const ask = async (want: number, back?: GiveBack) => {
      const answer = object.hit([check(1000)], want, back, now + 7_000);
      now += 900;
      return answer;
    };
    expect((await admissions.admit(["t|tenant"], policies, ask)).allowed).toBe(true);
    // Leases last 1/16 of the window (3.75 s), from 1_000_000 by this isolate's clock.
    now = 1_000_000 + 3_749;
    expect((await admissions.admit(["t|tenant"], policies, ask)).allowed).toBe(true);
    expect(object.calls).toHaveLength(1);
    now = 1_000_000 + 3_750;
    await admissions.admit(["t|tenant"], policies, ask);
    expect(object.calls).toHaveLength(2);
  });

  it("permits a lease did not hand out in time are given back on the next call", async () => {
    let now = 1_000_000;
    const object = new MemoryLimiter();
    const admissions = new Admissions(() => now);
    const ask = async (want: number, back?: GiveBack) => object.hit([check(1000)], want, back, now);
    await admissions.admit(["t|tenant"], policies, ask); // 32 counted: 1 used, 31 leased
    await admissions.admit(["t|tenant"], policies, ask); // one of the 31
    expect(object.used("t|tenant", now)).toBe(32);
    now += 4_000; // the lease has run out with 30 unused
    await admissions.admit(["t|tenant"], policies, ask);
    expect(object.calls[1]?.back).toMatchObject({ permits: 30 });
    // 2 used before, 32 for the new call's lease (1 used): the 30 no longer count.
    expect(object.used("t|tenant", now)).toBe(34);
  });

  it("no window-length interval admits more than L: isolates, leases, a late and skewed object", async () => {
    const windowMs = 2_000;
    const limit = 600;
    let now = 5_000_000 - 700; // a fixed window's boundary falls inside the run
    const object = new MemoryLimiter();
    const isolates = Array.from({ length: 3 }, () => new Admissions(() => now));
    // Calls and answers cross a network that delivers them whenever the run lets it.
    const queue: (() => void)[] = [];
    const hop = () => new Promise<void>((resolve) => queue.push(resolve));
    const ask = async (want: number, back?: GiveBack) => {
      await hop();
      const answer = object.hit([check(limit, windowMs)], want, back, now + 250);
      await hop();
      return answer;
    };
    const admitted: number[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const pending: Promise<void>[] = [];
    for (let step = 0; step < 2000; step++) {
      now += Math.floor(random() * 8);
      // Quiet spells (leases, each handed out over its whole time) between bursts at the limit.
      const burst = Math.floor(step / 250) % 2 === 1;
      for (let i = Math.floor(random() * (burst ? 8 : 2)); i > 0; i--) {
        const isolate = isolates[Math.floor(random() * isolates.length)] as Admissions;
        pending.push(
          isolate.admit(["t|tenant"], policies, ask).then((r) => {
            if (r.allowed) admitted.push(now);
          }),
        );
      }
      for (let i = queue.length - 1; i >= 0; i--) {
        if (random() < 0.5) queue.splice(i, 1)[0]?.();
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    while (queue.length > 0) {
      queue.splice(0).forEach((deliver) => {
        deliver();
      });
      await new Promise((r) => setTimeout(r, 0));
    }
    await Promise.all(pending);

    admitted.sort((a, b) => a - b);
    let most = 0;
    for (let first = 0, last = 0; last < admitted.length; last++) {
      while ((admitted[last] ?? 0) - (admitted[first] ?? 0) >= windowMs) first++;
      most = Math.max(most, last - first + 1);
    }
    expect(most).toBeLessThanOrEqual(limit);
    // The run pressed the limit (the check above is not vacuous) and leases were in play.
    expect(most).toBeGreaterThan(limit * 0.9);
    expect(object.calls.some((c) => c.want > 1 && c.back)).toBe(true);
  });
});
