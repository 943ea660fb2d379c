import { sql } from "drizzle-orm";
import { type AnyPgColumn, check, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { id, softDelete, tenantId, tenantIsolation, timestamps } from "./columns";
import { contacts } from "./contacts";
import { opportunities } from "./opportunities";
import { tenants } from "./tenants";

export const LEAD_SOURCES = ["web", "referral", "event", "import", "other"] as const;
export const LEAD_STATUSES = ["new", "contacted", "qualified", "unqualified", "converted"] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

const quoted = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));

/**
 * Someone who may become a customer. Converting one (services/lead-conversion.ts) creates its
 * opportunity, and its contact when it has none, and leaves the lead read-only as the record of
 * where the deal came from.
 */
export const leads = pgTable(
  "leads",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    contactId: uuid("contact_id").references(() => contacts.id),
    firstName: text("first_name").notNull(),
    lastName: text("last_name"),
    email: text("email"),
    phone: text("phone"),
    company: text("company"),
    title: text("title"),
    source: text("source", { enum: LEAD_SOURCES }).notNull().default("other"),
    status: text("status", { enum: LEAD_STATUSES }).notNull().default("new"),
    ownerId: uuid("owner_id"),
    customFields: jsonb("custom_fields").$type<Record<string, unknown>>().notNull().default({}),
    convertedAt: timestamp("converted_at", { withTimezone: true, mode: "string", precision: 3 }),
    convertedOpportunityId: uuid("converted_opportunity_id").references((): AnyPgColumn => opportunities.id),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    // Serves the listing (newest first) as one index range scan per page; leads with tenant_id.
    index("leads_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    check("leads_source", sql`${t.source} in (${quoted(LEAD_SOURCES)})`),
    check("leads_status", sql`${t.status} in (${quoted(LEAD_STATUSES)})`),
    // Converted exactly when it has its opportunity and the time: conversion sets all three.
    check(
      "leads_converted",
      sql`(${t.status} = 'converted') = (${t.convertedAt} is not null and ${t.convertedOpportunityId} is not null)`,
    ),
    tenantIsolation(),
  ],
).enableRLS();

export type Lead = typeof leads.$inferSelect;
