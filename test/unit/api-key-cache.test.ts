import { describe, expect, it } from "vitest";
import { ApiKeyCache, type VerifiedApiKey } from "../../workers/api/auth/api-key-cache";
import { apiKeyHint, mintApiKey, parseApiKey } from "../../workers/api/auth/api-key-format";

const key = (keyId: string, expiresAt = 10_000): VerifiedApiKey => ({
  keyId,
  tenantId: "t",
  role: "Member",
  scopes: [],
  expiresAt,
});

describe("ApiKeyCache", () => {
  it("serves an entry for its TTL only, and never past the key's own expiry", () => {
    const cache = new ApiKeyCache(1000);
    cache.set("h", key("k1"), 0);
    expect(cache.get("h", 999)?.keyId).toBe("k1");
    expect(cache.get("h", 1000)).toBeUndefined();
    cache.set("h", key("k1", 500), 0);
    expect(cache.get("h", 500)).toBeUndefined();
  });

  it("is bounded, evicting the least recently used", () => {
    const cache = new ApiKeyCache(1000, 2);
    cache.set("a", key("a"), 0);
    cache.set("b", key("b"), 0);
    cache.get("a", 1);
    cache.set("c", key("c"), 0);
    expect(cache.get("b", 1)).toBeUndefined();
    expect(cache.get("a", 1)?.keyId).toBe("a");
    expect(cache.size).toBe(2);
  });

  it("forgets a key by id, and caches nothing with a TTL of 0", () => {
    const cache = new ApiKeyCache(1000);
    cache.set("h", key("k1"), 0);
    cache.forget("k1");
    expect(cache.get("h", 1)).toBeUndefined();
    const off = new ApiKeyCache(0);
    off.set("h", key("k1"), 0);
    expect(off.size).toBe(0);
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
