/** What a verified API key lets its holder do. */
export interface VerifiedApiKey {
  keyId: string;
  tenantId: string;
  role: string;
  scopes: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

interface Entry {
  key: VerifiedApiKey;
  /** Epoch milliseconds after which the database must be asked again. */
  freshUntil: number;
}

/**
 * API keys this isolate verified recently, keyed by the key's SHA-256, so a known key costs no
 * database round trip. An entry is trusted for `ttlMs` only: a key revoked (or rotated) in
 * another isolate or region stops working here within that bound. The key's own expiry is checked
 * on every hit, so a rotation's grace period ends on time even for a cached key. Bounded, least
 * recently used out first.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(hash: string, nowMs: number): VerifiedApiKey | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    this.entries.delete(hash);
    if (entry.freshUntil <= nowMs || entry.key.expiresAt <= nowMs) return undefined;
    this.entries.set(hash, entry); // most recently used goes last
    return entry.key;
  }

  set(hash: string, key: VerifiedApiKey, nowMs: number): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(hash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(hash, { key, freshUntil: nowMs + this.ttlMs });
  }

  /** Drops a key this isolate just revoked or rotated, so here the change is immediate. */
  forget(keyId: string): void {
    for (const [hash, entry] of this.entries) {
      if (entry.key.keyId === keyId) this.entries.delete(hash);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
