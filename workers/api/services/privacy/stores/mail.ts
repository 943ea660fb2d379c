import type { PersonalDataStore } from "../types";

/**
 * Queued mail (invitations, resets, codes) is sealed with the region's data key and names no
 * tenant or user in the clear, so it cannot be found by subject; the retention sweep
 * (retention.ts) deletes sent and failed mail after MAIL_RETENTION_DAYS, the longest it lasts.
 */
export const mailStore: PersonalDataStore = {
  name: "mail.outbox",
  where: "postgres",
  description: "Queued and recently sent mail, sealed (deleted 7 days after it was sent or failed).",
  columns: { mail_outbox: ["sealed_message", "last_error"] },
  subjects: [],
  async erase() {
    return { action: "none", rows: 0, reason: "Sealed; swept 7 days after sending" };
  },
};
