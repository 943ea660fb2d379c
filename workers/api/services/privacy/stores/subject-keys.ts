import { destroySubjectKey, destroyTenantKeys } from "../subject-keys";
import type { PersonalDataStore } from "../types";

/**
 * The per-person data keys that seal phone numbers and dates of birth (subject-keys.ts). Erasure
 * destroys them (crypto-shredding): every sealed copy the other steps cannot rewrite — JetStream
 * messages kept for days, backups — opens to null from then on. The key's row stays, without key
 * material, as the record that the shred happened. After the CRM rows, so a resumed run's profile
 * still opens the subject's phone to look for it in free text.
 */
export const subjectKeysStore: PersonalDataStore = {
  name: "privacy.subject_keys",
  where: "postgres",
  description:
    "Data keys sealing a person's phone and date of birth; erasure destroys them (crypto-shredding).",
  columns: { subject_keys: ["wrapped_key"] },
  subjects: ["contact", "lead", "tenant"],
  async erase(ctx) {
    const scope = { db: ctx.db, tenantId: ctx.tenantId, rootKey: ctx.config.dataEncryptionKey ?? "" };
    const subject = ctx.profile.subject;
    if (subject.type === "tenant") {
      const { keyIds } = await destroyTenantKeys(scope);
      return { action: keyIds.length ? "purged" : "none", rows: keyIds.length };
    }
    // A contact's profile includes its leads: their keys go too.
    let destroyed = 0;
    for (const id of ctx.profile.ids) {
      for (const type of ["contact", "lead"] as const) {
        destroyed += (await destroySubjectKey(scope, { type, id })).keyIds.length;
      }
    }
    return {
      action: destroyed ? "purged" : "none",
      rows: destroyed,
      reason: "Key destroyed: sealed copies in streams and backups can no longer be opened",
    };
  },
};
