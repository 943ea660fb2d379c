import { sql } from "drizzle-orm";
import { isTenant, outcomeOf, tenantChanges, tenantSelect, uuidArray } from "../store-sql";
import { identifierPattern, redactJson, redactText } from "../text-match";
import type { PersonalDataStore, StoreContext } from "../types";

const ids = (ctx: StoreContext) => uuidArray(ctx.profile.ids);

/** A contact, a lead and the leads recorded for a contact are the person: their rows go. */
export const contactsStore: PersonalDataStore = {
  name: "crm.contacts",
  where: "postgres",
  description: "CRM contacts: name, email, phone, company, job title, tags, custom fields.",
  columns: {
    // phone_index: the blind index of the phone (an HMAC), deleted with the row.
    contacts: [
      "first_name",
      "last_name",
      "email",
      "phone",
      "phone_index",
      "company",
      "job_title",
      "tags",
      "custom_fields",
    ],
  },
  subjects: ["contact", "tenant"],
  export: (ctx) =>
    tenantSelect(
      ctx,
      sql`select * from contacts where tenant_id = ${ctx.tenantId} and id = any(${ids(ctx)}) order by created_at`,
    ),
  async erase(ctx) {
    if (isTenant(ctx))
      return outcomeOf(
        await tenantChanges(ctx, [sql`delete from contacts where tenant_id = ${ctx.tenantId}`]),
      );
    if (ctx.profile.subject.type !== "contact") return { action: "none", rows: 0 };
    // References from records the tenant keeps (held invoices are minimised by finance first).
    return outcomeOf(
      await tenantChanges(ctx, [
        sql`update invoices set customer_contact_id = null where tenant_id = ${ctx.tenantId} and customer_contact_id = ${ctx.profile.subject.id}::uuid`,
        sql`delete from contacts where tenant_id = ${ctx.tenantId} and id = ${ctx.profile.subject.id}::uuid`,
      ]).then(([, deleted = 0]) => [deleted]),
    );
  },
};

export const leadsStore: PersonalDataStore = {
  name: "crm.leads",
  where: "postgres",
  description: "CRM leads: name, email, phone, company, title, source, custom fields.",
  columns: {
    leads: ["first_name", "last_name", "email", "phone", "company", "title", "source", "custom_fields"],
  },
  subjects: ["contact", "lead", "tenant"],
  export: (ctx) =>
    tenantSelect(
      ctx,
      sql`select * from leads where tenant_id = ${ctx.tenantId} and (id = any(${ids(ctx)}) or contact_id = any(${ids(ctx)})) order by created_at`,
    ),
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx)) {
      return outcomeOf(
        await tenantChanges(ctx, [
          sql`update leads set converted_opportunity_id = null where tenant_id = ${t} and converted_opportunity_id is not null`,
          sql`update opportunities set lead_id = null where tenant_id = ${t} and lead_id is not null`,
          sql`delete from leads where tenant_id = ${t}`,
        ]).then((c) => [c[2] ?? 0]),
      );
    }
    if (ctx.profile.subject.type === "user") return { action: "none", rows: 0 };
    const mine = sql`tenant_id = ${t} and (id = any(${ids(ctx)}) or contact_id = any(${ids(ctx)}))`;
    const counts = await tenantChanges(ctx, [
      sql`update opportunities set lead_id = null where tenant_id = ${t} and lead_id in (select id from leads where ${mine})`,
      sql`delete from leads where ${mine}`,
    ]);
    return outcomeOf([counts[1] ?? 0]);
  },
};

/**
 * Opportunities are the tenant's business records: a person's are kept, unlinked from them,
 * with their name and custom fields redacted where they quote the person.
 */
export const opportunitiesStore: PersonalDataStore = {
  name: "crm.opportunities",
  where: "postgres",
  description: "Opportunities linked to a contact or lead: name and custom fields.",
  columns: { opportunities: ["name", "custom_fields"] },
  subjects: ["contact", "lead", "tenant"],
  export: (ctx) =>
    tenantSelect(
      ctx,
      sql`select * from opportunities where tenant_id = ${ctx.tenantId} and (contact_id = any(${ids(ctx)}) or lead_id = any(${ids(ctx)})) order by created_at`,
    ),
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx))
      return outcomeOf(await tenantChanges(ctx, [sql`delete from opportunities where tenant_id = ${t}`]));
    if (ctx.profile.subject.type === "user") return { action: "none", rows: 0 };
    const pattern = identifierPattern(ctx.profile.identifiers);
    return outcomeOf(
      await tenantChanges(ctx, [
        sql`update opportunities set contact_id = case when contact_id = any(${ids(ctx)}) then null else contact_id end,
              lead_id = case when lead_id = any(${ids(ctx)}) then null else lead_id end,
              name = ${redactText(sql`name`, pattern)}, custom_fields = ${redactJson(sql`custom_fields`, pattern)}
            where tenant_id = ${t} and (contact_id = any(${ids(ctx)}) or lead_id = any(${ids(ctx)}))`,
      ]),
      "anonymised",
    );
  },
};
