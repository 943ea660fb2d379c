import { sql } from "drizzle-orm";
import { char, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, tenantIsolation } from "./columns";

export const activationStates = ["running", "completed", "failed"] as const;
export type ActivationState = (typeof activationStates)[number];

/**
 * One open sign-up (POST /api/v1/nexus/activate), in the new tenant's home region. It holds the
 * request the ActivationRun Durable Object works from, so the object itself stores ids and step
 * states only (a Lagos object's storage may sit outside Lagos: no personal data there). The ids
 * of what the run creates are chosen here, up front, which is what makes every step idempotent.
 *
 * The owner's password arrives hashed and the personal fields are cleared once the run has
 * copied them into `users` (see workers/api/activation/steps.ts).
 */
export const activations = pgTable(
  "activations",
  {
    id: id(),
    /** The tenant this run creates (no foreign key: the first step inserts it). */
    tenantId: uuid("tenant_id").notNull(),
    ownerId: uuid("owner_id").notNull(),
    businessName: text("business_name").notNull(),
    slug: text("slug").notNull(),
    country: char("country", { length: 2 }).notNull(),
    presetId: text("preset_id").notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    ownerEmail: text("owner_email"),
    ownerName: text("owner_name"),
    passwordHash: text("password_hash"),
    /** The request's `options` (validated: workers/api/schemas/activation.ts). */
    options: jsonb("options").$type<Record<string, unknown>>().notNull().default({}),
    state: text("state", { enum: activationStates }).notNull().default("running"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string", precision: 3 })
      .notNull()
      .defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "string", precision: 3 }),
  },
  (t) => [
    // A second sign-up of the same business or owner while one is running or done is a 409;
    // a failed run frees both.
    uniqueIndex("activations_slug_key").on(t.slug).where(sql`${t.state} <> 'failed'`),
    uniqueIndex("activations_owner_email_key")
      .on(sql`lower(${t.ownerEmail})`)
      .where(sql`${t.state} <> 'failed'`),
    index("activations_tenant_id_idx").on(t.tenantId),
    tenantIsolation(),
  ],
).enableRLS();

export type Activation = typeof activations.$inferSelect;
