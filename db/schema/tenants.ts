import { sql } from "drizzle-orm";
import { char, index, jsonb, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import type { RateLimitOverrides } from "../../workers/api/limits/policies";
import { id, softDelete, tenantIsolation, timestamps } from "./columns";

export const tenantTiers = ["starter", "professional", "enterprise"] as const;
export const tenantStatuses = ["provisioning", "active", "suspended"] as const;

export const tenants = pgTable(
  "tenants",
  {
    id: id(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    /** Home region; a tenant row only ever exists in the database of this region. */
    region: text("region", { enum: ["eu", "lagos"] }).notNull(),
    country: char("country", { length: 2 }).notNull(),
    tier: text("tier", { enum: tenantTiers }).notNull().default("starter"),
    status: text("status", { enum: tenantStatuses }).notNull().default("active"),
    industry: text("industry"),
    defaultCurrency: char("default_currency", { length: 3 }).notNull(),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    /** Plan overrides of the tier's rate limits (workers/api/limits/policies.ts), set by operators. */
    rateLimits: jsonb("rate_limits").$type<RateLimitOverrides>().notNull().default({}),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    uniqueIndex("tenants_slug_key").on(t.slug).where(sql`not ${t.isDeleted}`),
    index("tenants_created_at_idx").on(t.createdAt),
    tenantIsolation(sql`id`),
  ],
).enableRLS();

export type Tenant = typeof tenants.$inferSelect;
