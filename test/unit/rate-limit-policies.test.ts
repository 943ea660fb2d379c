import { describe, expect, it } from "vitest";
import { Admissions } from "../../workers/api/limits/admission";
import { BlockedKeys } from "../../workers/api/limits/blocked-keys";
import { layerLimits, rateLimitOverridesSchema } from "../../workers/api/limits/policies";
import { type LayerState, rateLimitHeaders } from "../../workers/api/limits/rate-limit-headers";

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
  /** A limiter with `room` left that grants as RateLimiter.hit does, counting its calls. */
  function limiter(room: number) {
    const calls: number[] = [];
    const ask = async (want: number) => {
      calls.push(want);
      await new Promise((r) => setTimeout(r, 5));
      const granted = room > 0 ? Math.max(1, Math.min(want, Math.floor(room / 16))) : 0;
      room -= granted;
      return {
        allowed: granted > 0,
        granted,
        decisions: [{ allowed: granted > 0, limit: 1000, remaining: room, resetAt: Date.now() + 60_000 }],
        now: Date.now(),
      };
    };
    return { ask, calls };
  }

  it("concurrent requests share one call's lease instead of each asking", async () => {
    const admissions = new Admissions();
    const { ask, calls } = limiter(1000);
    const results = await Promise.all(
      Array.from({ length: 32 }, () => admissions.admit(["t|tenant"], policies, ask)),
    );
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(calls).toEqual([32]);
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
});
