import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, softDelete, tenantId, tenantIsolation, timestamps } from "./columns";
import { tenants } from "./tenants";

export const contacts = pgTable(
  "contacts",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    firstName: text("first_name").notNull(),
    lastName: text("last_name"),
    email: text("email"),
    phone: text("phone"),
    company: text("company"),
    jobTitle: text("job_title"),
    tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
    ownerId: uuid("owner_id"),
    customFields: jsonb("custom_fields").$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    index("contacts_tenant_id_idx").on(t.tenantId),
    // Serves the default listing (newest first) as one index range scan per page.
    index("contacts_tenant_created_idx").on(
      t.tenantId,
      t.createdAt.desc().nullsFirst(),
      t.id.desc().nullsFirst(),
    ),
    uniqueIndex("contacts_tenant_email_key")
      .on(t.tenantId, sql`lower(${t.email})`)
      .where(sql`not ${t.isDeleted} and ${t.email} is not null`),
    tenantIsolation(),
  ],
).enableRLS();

export type Contact = typeof contacts.$inferSelect;
