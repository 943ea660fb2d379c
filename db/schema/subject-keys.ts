import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { instant, tenantId, tenantIsolation } from "./columns";
import { tenants } from "./tenants";

/** Whose personal data a key protects: the subjects a data subject request names. */
export const SUBJECT_TYPES = ["contact", "lead", "user"] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/**
 * Per-subject data keys (crypto-shredding, workers/api/services/privacy/subject-keys.ts). Each
 * row holds one person's AES-256 data key, wrapped by the tenant's key-encryption key, which is
 * derived from the region's DATA_ENCRYPTION_KEY and never stored. Ciphertexts name the row's id;
 * destroying the key (wrapped_key → null, destroyed_at set) makes every copy unreadable, also in
 * backups, outbox rows and JetStream. The destroyed row stays as the proof of the shred; a later
 * write for the same subject gets a new key (the partial unique index).
 */
export const subjectKeys = pgTable(
  "subject_keys",
  {
    id: uuid("id").primaryKey(),
    tenantId: tenantId().references(() => tenants.id),
    subjectType: text("subject_type", { enum: SUBJECT_TYPES }).notNull(),
    subjectId: uuid("subject_id").notNull(),
    /** `<iv b64>.<AES-GCM(KEK, DEK) b64>`; null once destroyed. */
    wrappedKey: text("wrapped_key"),
    /** Which derivation of the tenant KEK wrapped it (room for rotating the region secret). */
    kekVersion: integer("kek_version").notNull().default(1),
    createdAt: instant("created_at").notNull().defaultNow(),
    destroyedAt: instant("destroyed_at"),
  },
  (t) => [
    index("subject_keys_tenant_id_idx").on(t.tenantId),
    uniqueIndex("subject_keys_live_subject_key")
      .on(t.tenantId, t.subjectType, t.subjectId)
      .where(sql`${t.destroyedAt} is null`),
    check("subject_keys_type", sql`${t.subjectType} in ('contact', 'lead', 'user')`),
    check("subject_keys_destroyed", sql`(${t.wrappedKey} is null) = (${t.destroyedAt} is not null)`),
    tenantIsolation(),
  ],
).enableRLS();

export type SubjectKeyRow = typeof subjectKeys.$inferSelect;
