import type { AccessClaims } from "./token-format";

/**
 * Remembers tokens this isolate has already verified, so a client reusing its access token (the
 * common case: one token for 15 minutes) pays the RSA verification once. Keyed by the exact
 * token string, so a hit means the very same signed bytes; entries never outlive the token's own
 * `exp`, and the map is bounded (oldest first out). Per isolate and per config, so a key removed
 * from JWKS (a new deployment, a new isolate) empties it.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, AccessClaims>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, nowSeconds: number): AccessClaims | undefined {
    const claims = this.entries.get(token);
    if (!claims) return undefined;
    if (claims.expiresAt <= nowSeconds) {
      this.entries.delete(token);
      return undefined;
    }
    return claims;
  }

  set(token: string, claims: AccessClaims): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, claims);
  }

  get size(): number {
    return this.entries.size;
  }
}
