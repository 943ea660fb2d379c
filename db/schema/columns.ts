import { sql } from "drizzle-orm";
import { boolean, pgPolicy, pgRole, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The role the Workers connect as. It owns nothing, so row-level security always applies to it
 * (migrations also FORCE it, so even an owner connection would be filtered).
 */
export const appRole = pgRole("nexus_app").existing();

/**
 * The tenant a request acts for, set with `set_config('app.tenant_id', …, true)` in the same
 * batch as the query. Unset reads as '' after a pooled connection has seen a previous
 * transaction, hence nullif: no tenant means no rows, never a cast error.
 */
export const CURRENT_TENANT = sql`nullif(current_setting('app.tenant_id', true), '')::uuid`;

export const id = () => uuid("id").primaryKey().defaultRandom();
export const tenantId = () => uuid("tenant_id").notNull();

/** A point in time as the API shows it: timestamptz to the millisecond, read as an ISO string. */
export const instant = (name: string) =>
  timestamp(name, { withTimezone: true, mode: "string", precision: 3 });

export const timestamps = {
  createdAt: instant("created_at").notNull().defaultNow(),
  updatedAt: instant("updated_at").notNull().defaultNow(),
};

export const softDelete = {
  isDeleted: boolean("is_deleted").notNull().default(false),
  deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "string" }),
};

/** The second wall behind the application's `tenant_id` filters. */
export const tenantIsolation = (column = sql`tenant_id`) =>
  pgPolicy("tenant_isolation", {
    as: "permissive",
    for: "all",
    to: appRole,
    using: sql`${column} = ${CURRENT_TENANT}`,
    withCheck: sql`${column} = ${CURRENT_TENANT}`,
  });
