import { sql } from "drizzle-orm";
import { type AnyPgColumn, check, index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, instant, tenantId, tenantIsolation } from "./columns";
import { tenants } from "./tenants";
import { users } from "./users";

/**
 * API keys of machine clients (`nxk_{region}_…`). The key string itself is shown once and never
 * stored: only its SHA-256 (hex). The secret part is 256 bits from the CSPRNG, so a fast hash is
 * enough; a slow KDF (PBKDF2, as for passwords) protects guessable inputs and would only add CPU
 * to every cache miss on the hot path, because nobody can brute-force 2^256.
 *
 * Rotation inserts a successor row (`replaces_id`) and shortens the old row's `expires_at` to the
 * end of its grace period, in one transaction.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    name: text("name").notNull(),
    /** SHA-256 hex of the whole key string. */
    keyHash: text("key_hash").notNull(),
    /** Non-secret reminder shown in lists (`nxk_eu_…Xy3k`: region and the last four characters). */
    hint: text("hint").notNull(),
    /** A system role, never above its creator's (checked when minted and on every verification). */
    role: text("role").notNull(),
    scopes: text("scopes").array().notNull(),
    createdBy: uuid("created_by")
      .notNull()
      .references(() => users.id),
    createdAt: instant("created_at").notNull().defaultNow(),
    /** Required: keys live at most 90 days (API.md). */
    expiresAt: instant("expires_at").notNull(),
    /** Written at most hourly, on verification cache misses, never on every request. */
    lastUsedAt: instant("last_used_at"),
    revokedAt: instant("revoked_at"),
    /** The key this one was rotated from. */
    replacesId: uuid("replaces_id").references((): AnyPgColumn => apiKeys.id),
    /** Set on the old key by its one rotation (compare-and-set on null). */
    replacedById: uuid("replaced_by_id").references((): AnyPgColumn => apiKeys.id),
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_key").on(t.keyHash),
    index("api_keys_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    check("api_keys_max_lifetime", sql`${t.expiresAt} <= ${t.createdAt} + interval '90 days'`),
    tenantIsolation(),
  ],
).enableRLS();

export type ApiKey = typeof apiKeys.$inferSelect;
