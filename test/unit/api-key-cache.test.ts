import { describe, expect, it } from "vitest";
import { apiKeyHint, mintApiKey, parseApiKey } from "../../workers/api/auth/api-key-format";
import { API_KEY_ISOLATE_TTL_WITH_UPSTASH_MS, isolateTrustMs } from "../../workers/api/auth/api-key-trust";
import { TtlCache } from "../../workers/api/lib/ttl-cache";

describe("TtlCache (isolate copies of API keys and directory entries)", () => {
  it("serves an entry for its TTL only, or for the shorter TTL it was set with", () => {
    const cache = new TtlCache<string>(1000);
    cache.set("h", "k1", 0);
    expect(cache.get("h", 999)).toBe("k1");
    expect(cache.get("h", 1000)).toBeUndefined();
    cache.set("h", "k1", 0, 500);
    expect(cache.get("h", 500)).toBeUndefined();
  });

  it("is bounded, evicting the least recently used", () => {
    const cache = new TtlCache<string>(1000, 2);
    cache.set("a", "a", 0);
    cache.set("b", "b", 0);
    cache.get("a", 1);
    cache.set("c", "c", 0);
    expect(cache.get("b", 1)).toBeUndefined();
    expect(cache.get("a", 1)).toBe("a");
    expect(cache.size).toBe(2);
  });

  it("deletes and clears, and caches nothing with a TTL of 0", () => {
    const cache = new TtlCache<string>(1000);
    cache.set("h", "k1", 0);
    cache.delete("h");
    expect(cache.get("h", 1)).toBeUndefined();
    cache.set("h", "k1", 0);
    cache.clear();
    expect(cache.size).toBe(0);
    const off = new TtlCache<string>(0);
    off.set("h", "k1", 0);
    expect(off.size).toBe(0);
  });
});

describe("how long an isolate trusts a verified API key", () => {
  const key = {
    keyId: "k",
    tenantId: "t",
    role: "Member",
    scopes: [],
    expiresAt: 1_000_000,
    trustedUntil: 60_000,
  };
  const config = (upstash: boolean, ttlSeconds = 60) => ({ ttlMs: ttlSeconds * 1000, upstash });

  it("keeps its own copy briefly while Upstash holds the shared one, for the whole TTL otherwise", () => {
    expect(isolateTrustMs(config(true), key, 0)).toBe(API_KEY_ISOLATE_TTL_WITH_UPSTASH_MS);
    expect(isolateTrustMs(config(false), key, 0)).toBe(60_000);
    expect(isolateTrustMs(config(true, 2), key, 0)).toBe(2_000);
  });

  it("never past the time the database was last asked plus the TTL, nor past the key's expiry", () => {
    expect(isolateTrustMs(config(true), key, 55_000)).toBe(5_000);
    expect(isolateTrustMs(config(false), { ...key, expiresAt: 30_000 }, 0)).toBe(30_000);
    expect(isolateTrustMs(config(true), key, 60_000)).toBeLessThanOrEqual(0);
  });
});

describe("API key format", () => {
  const tenant = "aaaaaaaa-0000-4000-8000-000000000001";

  it("names its region by code (eu, ng for Lagos) and carries its tenant", () => {
    const eu = mintApiKey("eu", tenant);
    const ng = mintApiKey("lagos", tenant);
    expect(eu).toMatch(/^nxk_eu_[A-Za-z0-9_-]{64}$/);
    expect(ng).toMatch(/^nxk_ng_/);
    expect(parseApiKey(eu)).toEqual({ region: "eu", tenantId: tenant });
    expect(parseApiKey(ng)).toEqual({ region: "lagos", tenantId: tenant });
    expect(mintApiKey("eu", tenant)).not.toBe(eu);
    expect(apiKeyHint(eu)).toBe(`nxk_eu_…${eu.slice(-4)}`);
  });

  it("rejects anything else without I/O", () => {
    const eu = mintApiKey("eu", tenant);
    for (const bad of [
      "",
      "nxk_eu_",
      eu.slice(0, -1),
      `${eu}A`,
      eu.replace("nxk_eu_", "nxk_us_"),
      ` ${eu}`,
    ]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });
});
