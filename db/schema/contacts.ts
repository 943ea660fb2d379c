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
    /** Ciphertext under the contact's subject key (services/privacy/sensitive-fields.ts), never clear text. */
    phone: text("phone"),
    /** Blind index of the phone number (HMAC under the tenant's index key): what `?phone=` matches. */
    phoneIndex: text("phone_index"),
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
    index("contacts_tenant_phone_index_idx")
      .on(t.tenantId, t.phoneIndex)
      .where(sql`${t.phoneIndex} is not null`),
    tenantIsolation(),
  ],
).enableRLS();

export type Contact = typeof contacts.$inferSelect;
