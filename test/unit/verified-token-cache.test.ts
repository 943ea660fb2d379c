import { describe, expect, it } from "vitest";
import type { AccessClaims } from "../../workers/api/auth/token-format";
import { VerifiedTokenCache } from "../../workers/api/auth/verified-token-cache";

const claims = (expiresAt: number): AccessClaims => ({
  userId: "u",
  tenantId: "t",
  region: "eu",
  role: "Owner",
  permissions: null,
  scopes: [],
  jti: "j",
  expiresAt,
  clientId: null,
  sessionId: null,
  machine: false,
});

describe("VerifiedTokenCache", () => {
  it("returns a verified token's claims until the token expires, then forgets it", () => {
    const cache = new VerifiedTokenCache();
    cache.set("tok", claims(1000));
    expect(cache.get("tok", 999)?.userId).toBe("u");
    expect(cache.get("tok", 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("only hits on the exact token bytes", () => {
    const cache = new VerifiedTokenCache();
    cache.set("a.b.c", claims(1000));
    expect(cache.get("a.b.C", 1)).toBeUndefined();
  });

  it("stays bounded, dropping the oldest entry first", () => {
    const cache = new VerifiedTokenCache(2);
    cache.set("one", claims(1000));
    cache.set("two", claims(1000));
    cache.set("three", claims(1000));
    expect(cache.size).toBe(2);
    expect(cache.get("one", 1)).toBeUndefined();
    expect(cache.get("three", 1)).toBeDefined();
  });
});
