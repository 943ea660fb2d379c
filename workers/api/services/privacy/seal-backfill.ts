import { sql } from "drizzle-orm";
import { type Database, regionDatabase } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import { loadConfig } from "../../env";
import { sealContactFields } from "./sensitive-fields";
import { sealForSubject } from "./subject-keys";

/**
 * Seals the sensitive fields of contacts and leads stored before they were sealed on write
 * (migration 0026; seeded or older rows), a batch per tenant per run of the scheduled handler. A row that
 * changed meanwhile is left for the next run: the update matches the values it read. Events and
 * outbox rows written before are not rewritten (the erasure job purges those).
 */
export interface SealBackfillResult {
  tenants: number;
  sealed: number;
}

const TENANTS_PER_RUN = 20;
const CONTACTS_PER_TENANT = 100;

interface UnsealedRow {
  id: string;
  phone: string | null;
  custom_fields: Record<string, unknown>;
  fields_text: string;
}

export async function sealUnsealedContacts(
  db: Database,
  rootKey: string | undefined,
): Promise<SealBackfillResult> {
  if (!rootKey) return { tenants: 0, sealed: 0 };
  const tenants = (
    await db.execute(sql`select unsealed_personal_data_tenants(${TENANTS_PER_RUN}) as tenant_id`)
  ).rows as { tenant_id: string }[];
  let sealed = 0;
  for (const { tenant_id: tenantId } of tenants) {
    const [rows = []] = await tenantRows(db, tenantId, [
      sql`select id, phone, custom_fields, custom_fields::text as fields_text from contacts
        where tenant_id = ${tenantId}
          and ((phone is not null and phone not like 'nxs1.%')
            or (jsonb_typeof(custom_fields->'date_of_birth') not in ('null')
                and coalesce(custom_fields->>'date_of_birth', '') not like 'nxs1.%'))
        limit ${CONTACTS_PER_TENANT}`,
    ]);
    const scope = { db, tenantId, rootKey };
    for (const row of rows as UnsealedRow[]) {
      const next = await sealContactFields(
        () => scope,
        row.id,
        { phone: row.phone, customFields: row.custom_fields },
        { keepSealed: true },
      );
      if (!next.changed) continue;
      const [updated = []] = await tenantRows(db, tenantId, [
        sql`update contacts set phone = ${next.phone}, phone_index = coalesce(${next.phoneIndex}, phone_index),
            custom_fields = ${JSON.stringify(next.customFields)}::jsonb
          where tenant_id = ${tenantId} and id = ${row.id}
            and phone is not distinct from ${row.phone} and custom_fields::text = ${row.fields_text}
          returning id`,
      ]);
      sealed += updated.length;
    }
    sealed += await sealLeadPhones(db, tenantId, rootKey);
  }
  return { tenants: tenants.length, sealed };
}

/** A tenant's leads with a phone in clear: sealed under each lead's key. */
async function sealLeadPhones(db: Database, tenantId: string, rootKey: string): Promise<number> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select id, phone from leads where tenant_id = ${tenantId}
      and phone is not null and phone not like 'nxs1.%' limit ${CONTACTS_PER_TENANT}`,
  ]);
  let sealed = 0;
  for (const row of rows as { id: string; phone: string }[]) {
    const phone = await sealForSubject({ db, tenantId, rootKey }, { type: "lead", id: row.id }, row.phone);
    const [updated = []] = await tenantRows(db, tenantId, [
      sql`update leads set phone = ${phone} where tenant_id = ${tenantId} and id = ${row.id} and phone = ${row.phone}
        returning id`,
    ]);
    sealed += updated.length;
  }
  return sealed;
}

/** The cron's run of it: the region's database and DATA_ENCRYPTION_KEY. */
export function sealScheduled(env: Env): Promise<SealBackfillResult> {
  const config = loadConfig(env);
  return sealUnsealedContacts(regionDatabase(config), config.dataEncryptionKey);
}
