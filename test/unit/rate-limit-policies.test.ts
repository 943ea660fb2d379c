import { describe, expect, it } from "vitest";
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
