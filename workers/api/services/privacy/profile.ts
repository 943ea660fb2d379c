import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import { revealSealed } from "./subject-keys";
import type { Subject, SubjectProfile } from "./types";

type Row = Record<string, string | null>;

const fullName = (first: string | null, last: string | null) =>
  [first, last].filter((p): p is string => Boolean(p?.trim())).join(" ");

/**
 * Identifying values worth looking for in free text: emails, phone numbers, full names (a first
 * name alone would match other people's text). Values with quotes or backslashes are left out:
 * they would not match the JSON text they appear in (text-match.ts).
 */
function plainIdentifiersOf(rows: readonly Row[]): string[] {
  const values = new Set<string>();
  for (const r of rows) {
    for (const v of [
      r.email,
      r.phone,
      r.invite_email,
      fullName(r.first_name ?? null, r.last_name ?? null),
      r.name,
      r.invite_name,
    ]) {
      if (v && v.trim().length >= 3 && !/["\\]/.test(v)) values.add(v.trim());
    }
  }
  return [...values];
}

/**
 * The subject's profile, or null when the tenant holds no such subject (a 404 at creation; a
 * resumed erasure whose subject row is already gone has nothing left to find by text).
 */
export async function loadProfile(
  db: Database,
  tenantId: string,
  subject: Subject,
  /** DATA_ENCRYPTION_KEY: sealed phones and dates of birth are looked for in clear too. */
  rootKey?: string,
): Promise<SubjectProfile | null> {
  const id = subject.id;
  const identifiersOf = async (rows: readonly Row[]) => {
    const found = plainIdentifiersOf(rows);
    if (!rootKey) return found;
    const opened = await revealSealed({ db, tenantId, rootKey }, rows);
    return [...new Set([...found, ...plainIdentifiersOf(opened)])];
  };
  if (subject.type === "tenant") {
    const [rows = []] = await tenantRows(db, tenantId, [
      sql`select name from tenants where id = ${id}::uuid`,
    ]);
    if (rows.length === 0) return null;
    return { subject, ids: [id], identifiers: await identifiersOf(rows as Row[]) };
  }
  if (subject.type === "contact") {
    const [contacts = [], leads = []] = await tenantRows(db, tenantId, [
      sql`select email, phone, first_name, last_name from contacts where tenant_id = ${tenantId} and id = ${id}::uuid`,
      // The contact's leads: recorded for it, or carrying its email (the same person).
      sql`select l.id::text, l.email, l.phone, l.first_name, l.last_name from leads l
          where l.tenant_id = ${tenantId} and (l.contact_id = ${id}::uuid or exists (
            select 1 from contacts c where c.tenant_id = ${tenantId} and c.id = ${id}::uuid
              and c.email is not null and lower(c.email) = lower(l.email)))`,
    ]);
    if (contacts.length === 0) return null;
    const leadIds = (leads as Row[]).map((l) => l.id as string);
    return {
      subject,
      ids: [id, ...leadIds],
      identifiers: await identifiersOf([...(contacts as Row[]), ...(leads as Row[])]),
    };
  }
  if (subject.type === "lead") {
    const [leads = []] = await tenantRows(db, tenantId, [
      sql`select email, phone, first_name, last_name from leads where tenant_id = ${tenantId} and id = ${id}::uuid`,
    ]);
    if (leads.length === 0) return null;
    return { subject, ids: [id], identifiers: await identifiersOf(leads as Row[]) };
  }
  const [members = []] = await tenantRows(db, tenantId, [
    sql`select u.email, u.name, u.phone_number as phone, m.invite_email, m.invite_name
        from memberships m left join users u on u.id = m.user_id
        where m.tenant_id = ${tenantId} and m.user_id = ${id}::uuid`,
  ]);
  if (members.length === 0) return null;
  return { subject, ids: [id], identifiers: await identifiersOf(members as Row[]) };
}
