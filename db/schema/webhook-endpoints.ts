import { sql } from "drizzle-orm";
import { boolean, check, index, pgTable, text } from "drizzle-orm/pg-core";
import { id, instant, softDelete, tenantId, tenantIsolation, timestamps } from "./columns";
import { tenants } from "./tenants";

/**
 * Where a tenant's events are delivered (workers/api/webhooks/). Signing secrets are stored
 * sealed with AES-256-GCM under the region's `DATA_ENCRYPTION_KEY` (auth/credentials/secret-box.ts,
 * bound to the row id): the dispatcher needs them in clear to sign, so unlike API keys they
 * cannot be hashed, and a database dump alone must not let anyone forge deliveries.
 *
 * Rotation moves the current secret to `previous_secret_sealed`, valid until
 * `previous_expires_at`; deliveries are signed with both until then. Deleting an endpoint is soft
 * and drops both secrets.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    /** Canonical form (as the URL guard answered it): what is fetched. */
    url: text("url").notNull(),
    description: text("description"),
    /** `noun.verb` or `noun.*` filters; empty: every event (webhooks/event-types.ts). */
    eventTypes: text("event_types").array().notNull().default(sql`'{}'::text[]`),
    enabled: boolean("enabled").notNull().default(true),
    /** The current secret, sealed; null only once deleted. */
    secretSealed: text("secret_sealed"),
    previousSecretSealed: text("previous_secret_sealed"),
    previousExpiresAt: instant("previous_expires_at"),
    secretRotatedAt: instant("secret_rotated_at"),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    // Serves the listing (newest first) and every tenant_id lookup.
    index("webhook_endpoints_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    check("webhook_endpoints_secret_while_live", sql`${t.isDeleted} or ${t.secretSealed} is not null`),
    check(
      "webhook_endpoints_previous_secret_expires",
      sql`(${t.previousSecretSealed} is null) = (${t.previousExpiresAt} is null)`,
    ),
    tenantIsolation(),
  ],
).enableRLS();

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
