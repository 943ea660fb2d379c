import { sql } from "drizzle-orm";
import {
  check,
  index,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { tenantIsolation } from "./columns";
import { tenants } from "./tenants";

/**
 * The stored outcome of a POST sent with `Idempotency-Key`, kept 24 h and replayed byte for
 * byte. Keys are scoped per tenant and credential (`credential` is e.g. `access_token:<user id>`).
 * A row is written in the same transaction as the request's own changes, so a committed change
 * always has its key recorded.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    credential: text("credential").notNull(),
    key: text("key").notNull(),
    /** SHA-256 (hex) of method, path and body: the same key with another request is refused. */
    requestHash: text("request_hash").notNull(),
    responseStatus: smallint("response_status").notNull(),
    /** The few headers a replay repeats (Content-Type, Location). */
    responseHeaders: jsonb("response_headers").$type<Record<string, string>>().notNull().default({}),
    /** The body exactly as first sent (text, not jsonb, which would reorder keys). */
    responseBody: text("response_body").notNull(),
    /** The first request's id (its body's request_id): a caller's X-Request-Id need not be a UUID. */
    requestId: text("request_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string", precision: 3 })
      .notNull()
      .defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "string", precision: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.credential, t.key] }),
    index("idempotency_keys_expires_idx").on(t.expiresAt),
    check("idempotency_keys_key_length", sql`char_length(${t.key}) between 1 and 255`),
    tenantIsolation(),
  ],
).enableRLS();
