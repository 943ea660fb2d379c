import { integer, pgTable, primaryKey, timestamp, uuid } from "drizzle-orm/pg-core";
import { tenantIsolation } from "./columns";
import { tenants } from "./tenants";

/**
 * Requests per tenant and hour, and how many of them the rate limiter refused: the console's usage
 * charts (GET /api/v1/nexus/usage). Counters only, no personal data. The Worker adds to them
 * after each response (workers/api/usage/usage-meter.ts).
 */
export const usageCounters = pgTable(
  "usage_counters",
  {
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id),
    hour: timestamp("hour", { withTimezone: true, mode: "string" }).notNull(),
    requests: integer("requests").notNull().default(0),
    rateLimited: integer("rate_limited").notNull().default(0),
  },
  (t) => [primaryKey({ name: "usage_counters_pkey", columns: [t.tenantId, t.hour] }), tenantIsolation()],
).enableRLS();
