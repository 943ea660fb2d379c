import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  char,
  check,
  date,
  foreignKey,
  index,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { id, softDelete, tenantId, tenantIsolation, timestamps } from "./columns";
import { contacts } from "./contacts";
import { leads } from "./leads";
import { pipelineStages } from "./pipeline-stages";
import { tenants } from "./tenants";

export const OPPORTUNITY_STATUSES = ["open", "won", "lost"] as const;

/**
 * A deal moving through the tenant's pipeline. `status` is derived from the stage (its terminal
 * flag), never written by clients; `closed_at` is when it entered the won or lost stage.
 */
export const opportunities = pgTable(
  "opportunities",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    name: text("name").notNull(),
    contactId: uuid("contact_id").references(() => contacts.id),
    leadId: uuid("lead_id").references((): AnyPgColumn => leads.id),
    ownerId: uuid("owner_id"),
    stageKey: text("stage_key").notNull(),
    /** Money as numeric(12,2); the API carries it as a decimal string ("1250.00"). */
    amount: numeric("amount", { precision: 12, scale: 2 }),
    currency: char("currency", { length: 3 }).notNull(),
    expectedCloseDate: date("expected_close_date", { mode: "string" }),
    status: text("status", { enum: OPPORTUNITY_STATUSES }).notNull().default("open"),
    closedAt: timestamp("closed_at", { withTimezone: true, mode: "string", precision: 3 }),
    customFields: jsonb("custom_fields").$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    index("opportunities_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    // The stage exists in this tenant's pipeline: the database holds it too, not only the service.
    foreignKey({
      name: "opportunities_stage_fk",
      columns: [t.tenantId, t.stageKey],
      foreignColumns: [pipelineStages.tenantId, pipelineStages.stageKey],
    }),
    check("opportunities_status", sql`${t.status} in ('open', 'won', 'lost')`),
    check("opportunities_closed", sql`(${t.status} = 'open') = (${t.closedAt} is null)`),
    check("opportunities_amount", sql`${t.amount} >= 0`),
    tenantIsolation(),
  ],
).enableRLS();

export type Opportunity = typeof opportunities.$inferSelect;
