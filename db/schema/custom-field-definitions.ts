import { sql } from "drizzle-orm";
import { boolean, check, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { CUSTOM_FIELD_TYPES } from "../presets/preset-schema";
import { id, tenantId, tenantIsolation, timestamps } from "./columns";
import { tenants } from "./tenants";

export const CUSTOM_FIELD_ENTITIES = ["contact", "lead"] as const;
export type CustomFieldEntity = (typeof CUSTOM_FIELD_ENTITIES)[number];

/**
 * The typed custom fields a tenant's contacts and leads carry, copied from its industry preset at
 * activation (db/preset-objects.ts). A tenant with an industry has its `custom_fields` checked
 * against these (workers/api/services/custom-fields.ts).
 */
export const customFieldDefinitions = pgTable(
  "custom_field_definitions",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    entity: text("entity", { enum: CUSTOM_FIELD_ENTITIES }).notNull(),
    fieldKey: text("field_key").notNull(),
    label: text("label").notNull(),
    type: text("type", { enum: CUSTOM_FIELD_TYPES }).notNull(),
    required: boolean("required").notNull().default(false),
    /** The allowed values of an `enum` field; empty for the other types. */
    options: text("options").array().notNull().default(sql`'{}'::text[]`),
    ...timestamps,
  },
  (t) => [
    // Leads with tenant_id: also the index every tenant table has.
    uniqueIndex("custom_field_definitions_tenant_entity_key").on(t.tenantId, t.entity, t.fieldKey),
    check("custom_field_definitions_entity", sql`${t.entity} in ('contact', 'lead')`),
    check("custom_field_definitions_type", sql`${t.type} in ('text', 'number', 'boolean', 'date', 'enum')`),
    tenantIsolation(),
  ],
).enableRLS();

export type CustomFieldDefinition = typeof customFieldDefinitions.$inferSelect;
