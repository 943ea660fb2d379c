import { sql } from "drizzle-orm";
import { tenantRows } from "../../../db/rows";
import { tenantBatch } from "../../../db/tenant-batch";
import { fromDatabaseError } from "../lib/db-errors";
import { ApiError } from "../lib/errors";
import type { LeadConversionInput } from "../schemas/lead";
import { contactJson } from "./contact-json";
import type { ServiceContext } from "./context";
import { crmSettings } from "./crm-settings";
import { changeWithEvent, isActiveMember, notAMember } from "./crm-writes";
import { assertCustomFields } from "./custom-fields";
import { leadJson } from "./lead-json";
import { unchangeableLead } from "./leads";
import { amountColumn } from "./opportunities";
import { opportunityJson } from "./opportunity-json";
import { resolveStage } from "./pipeline";
import { openStoredValue, protectContactFields, revealRecordJson } from "./privacy/sensitive-fields";

export interface Conversion {
  opportunityId: string;
  /** `{"lead": …, "contact": …, "opportunity": …}` as JSON text. */
  json: string;
}

interface LeadState {
  status: string;
  /** Whether the opportunity's owner given is an active member (true when none is given). */
  owner_ok: boolean;
  /** The contact the conversion attaches, if it exists: the one given, else the lead's own. */
  contact_json: string | null;
  /** The lead's phone, which a new contact gets sealed under its own key (services/privacy/). */
  lead_phone: string | null;
}

/**
 * Converts a lead: opens its opportunity, creates its contact from the lead's fields when it has
 * none (and none is given), and marks it converted — in one atomic batch, one round trip after a
 * read that checks the request. Every write of the batch is guarded by the same condition (the
 * lead is live and not converted, the stage is in the pipeline) after the batch's first
 * statement has locked the lead, so the batch writes everything or nothing: a second conversion
 * running at the same time waits for the lock, then finds the lead converted and writes nothing
 * (409). Each write carries its event (contact.created, opportunity.created, lead.converted).
 *
 * `failAfterWrites` (test deployments only) ends the batch with a failing statement, to show the
 * writes before it roll back with it.
 */
export async function convertLead(
  ctx: ServiceContext,
  leadId: string,
  input: LeadConversionInput,
  options: { failAfterWrites?: boolean } = {},
): Promise<Conversion> {
  const tenantId = ctx.actor.tenantId;
  const settings = await crmSettings(ctx);
  const wanted = input.opportunity ?? {};
  const [stateRows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select l.status,
        (select ${contactJson("contacts")}::text from contacts
          where contacts.id = coalesce(${input.contact_id ?? null}::uuid, l.contact_id)
            and contacts.tenant_id = l.tenant_id and not contacts.is_deleted) as contact_json,
        ${wanted.owner_id ? isActiveMember(tenantId, wanted.owner_id) : sql`true`} as owner_ok,
        l.phone as lead_phone
      from leads l where l.id = ${leadId} and l.tenant_id = ${tenantId} and not l.is_deleted`,
  ]);
  const state = stateRows[0] as LeadState | undefined;
  if (!state) throw ApiError.notFound("Lead");
  if (state.status === "converted") throw new ApiError("CONFLICT", "The lead is already converted");
  if (input.contact_id && state.contact_json === null) {
    throw new ApiError("VALIDATION_ERROR", "No such contact", { field: "contact_id" });
  }
  // Checked in the read above, so an owner costs no round trip here.
  if (!state.owner_ok) throw notAMember("opportunity.owner_id");
  const stage = resolveStage(settings, wanted.stage, "opportunity.stage");
  // A lead whose contact was deleted since gets a new one, like a lead that never had one.
  const existingContact = state.contact_json;
  if (existingContact !== null && input.contact) {
    throw new ApiError("VALIDATION_ERROR", "The lead already has a contact; contact applies to a new one", {
      field: "contact",
    });
  }
  if (existingContact === null) {
    assertCustomFields(settings, "contact", input.contact?.custom_fields ?? {}, "contact.custom_fields");
  }

  const opportunityId = crypto.randomUUID();
  const contactId =
    existingContact === null ? crypto.randomUUID() : (JSON.parse(existingContact) as { id: string }).id;
  const convertible = sql`l.id = ${leadId} and l.tenant_id = ${tenantId} and not l.is_deleted
    and l.status <> 'converted'
    and exists (select 1 from pipeline_stages where tenant_id = ${tenantId} and stage_key = ${stage.key})`;

  // Only a new contact needs its sensitive fields sealed (and, for that, its key made).
  const sensitive =
    existingContact === null
      ? await protectContactFields(ctx, contactId, {
          // The lead's phone is sealed under the lead's key: opened here, sealed under the contact's.
          phone: await openStoredValue(ctx, state.lead_phone),
          customFields: input.contact?.custom_fields ?? {},
        })
      : { phone: null, phoneIndex: null, customFields: {} };
  const createContact = sql`
    insert into contacts (id, tenant_id, first_name, last_name, email, phone, phone_index, company, job_title, owner_id, custom_fields)
    select ${contactId}, l.tenant_id, l.first_name, l.last_name, l.email, ${sensitive.phone}, ${sensitive.phoneIndex},
      l.company, l.title, l.owner_id, ${JSON.stringify(sensitive.customFields)}::jsonb
    from leads l where ${convertible}
    returning *`;
  const owner = "owner_id" in wanted ? sql`${wanted.owner_id ?? null}::uuid` : sql`l.owner_id`;
  const openOpportunity = sql`
    insert into opportunities (id, tenant_id, name, contact_id, lead_id, owner_id, stage_key, status, closed_at,
      amount, currency, expected_close_date, custom_fields)
    select ${opportunityId}, l.tenant_id,
      coalesce(${wanted.name ?? null}::text, l.company, trim(l.first_name || ' ' || coalesce(l.last_name, ''))),
      ${contactId}::uuid, l.id, ${owner}, s.stage_key, coalesce(s.terminal, 'open'),
      case when s.terminal is null then null else now() end,
      ${amountColumn(wanted.amount) ?? null}::numeric, ${wanted.currency ?? settings.defaultCurrency},
      ${wanted.expected_close_date ?? null}::date, ${JSON.stringify(wanted.custom_fields ?? {})}::jsonb
    from leads l join pipeline_stages s on s.tenant_id = l.tenant_id and s.stage_key = ${stage.key}
    where ${convertible}
    returning *`;
  const markConverted = sql`
    update leads l set status = 'converted', converted_at = now(), converted_opportunity_id = ${opportunityId},
      contact_id = ${contactId}, updated_at = now()
    where ${convertible}
    returning l.*`;

  const lock = sql`select id from leads where id = ${leadId} and tenant_id = ${tenantId} and not is_deleted for update`;
  const db = ctx.db;
  const statements = [
    db.execute(lock),
    ...(existingContact === null
      ? [db.execute(changeWithEvent(ctx, createContact, "contact.created", contactJson("changed")))]
      : []),
    db.execute(changeWithEvent(ctx, openOpportunity, "opportunity.created", opportunityJson("changed"))),
    db.execute(changeWithEvent(ctx, markConverted, "lead.converted", leadJson("changed"))),
    ...(options.failAfterWrites ? [db.execute(sql`select 1 / 0 as injected_fault`)] : []),
  ] as const;
  let results: { rows: unknown[] }[];
  try {
    results = (await tenantBatch(db, tenantId, [statements[0], ...statements.slice(1)])) as unknown as {
      rows: unknown[];
    }[];
  } catch (error) {
    throw conflictOfEmail(error) ?? error;
  }
  const jsonOf = (r: { rows: unknown[] } | undefined) => (r?.rows[0] as { json: string } | undefined)?.json;
  const [lead, opportunity] = [jsonOf(results.at(-1)), jsonOf(results.at(-2))];
  // Nothing written: the lead changed between the check and the lock (converted or deleted).
  if (!lead || !opportunity) throw await unchangeableLead(ctx, leadId);
  const contact = existingContact ?? jsonOf(results[1]);
  const json = `{"lead":${lead},"contact":${contact},"opportunity":${opportunity}}`;
  return { opportunityId, json: await revealRecordJson(ctx, json) };
}

/** The contact made from the lead would take the address of one the tenant already has. */
function conflictOfEmail(error: unknown): ApiError | undefined {
  const mapped = fromDatabaseError(error);
  if (mapped?.code !== "CONFLICT") return mapped;
  return new ApiError(
    "CONFLICT",
    "A contact with the lead's email already exists: pass its id as contact_id to attach it",
    { field: "contact_id", cause: error },
  );
}
