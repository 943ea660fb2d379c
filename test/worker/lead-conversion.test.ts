import { describe, expect, it } from "vitest";
import { Contact as ContactSchema } from "../../workers/api/schemas/contact";
import { Lead as LeadSchema } from "../../workers/api/schemas/lead";
import { Opportunity as OpportunitySchema } from "../../workers/api/schemas/opportunity";
import { TEST_TENANTS } from "../support/tenants";
import {
  eventsAbout,
  fieldsOf,
  type LeadBody,
  newLead,
  newMember,
  type OpportunityBody,
  send,
  unique,
} from "./crm-helpers";
import { tokenFor } from "./helpers";
import { ownerSql } from "./outbox-helpers";

interface ContactBody {
  id: string;
  first_name: string;
  last_name: string | null;
  email: string | null;
  company: string | null;
  job_title: string | null;
  owner_id: string | null;
  custom_fields: Record<string, unknown>;
}

interface Conversion {
  lead: LeadBody;
  contact: ContactBody;
  opportunity: OpportunityBody;
}

/** Tenant d's contacts need client_status: the contact made from a lead gets it here. */
const CONTACT = { custom_fields: { client_status: "prospect" } };

function convert(id: string, json: unknown = { contact: CONTACT }, headers?: Record<string, string>) {
  return send<Conversion>(`/api/v1/crm/leads/${id}/convert`, {
    method: "POST",
    json,
    ...(headers ? { headers } : {}),
  });
}

/** What the database holds about a lead's conversion, behind the API's back. */
async function writtenFor(lead: LeadBody) {
  const sql = ownerSql();
  const [row] = (await sql`select status, updated_at::text, contact_id, converted_opportunity_id
    from leads where id = ${lead.id}`) as Record<string, unknown>[];
  const opportunities = await sql`select id from opportunities where lead_id = ${lead.id}`;
  const contacts = lead.email ? await sql`select id from contacts where email = ${lead.email}` : [];
  const events = await sql`select event_type from outbox_events
    where payload->'data'->>'id' = ${lead.id} or payload->'data'->>'lead_id' = ${lead.id}
      or (${lead.email}::text is not null and payload->'data'->>'email' = ${lead.email})`;
  return { lead: row, opportunities: opportunities.length, contacts: contacts.length, events: events.length };
}

describe("lead conversion", () => {
  it("creates the opportunity and the contact and marks the lead converted, with their events", async () => {
    const owner = await newMember();
    const lead = await newLead({
      first_name: "Mara",
      last_name: "Jansen",
      email: `mara-${unique()}@example.com`,
      company: "Jansen BV",
      title: "COO",
      owner_id: owner,
    });
    const { res, body } = await convert(lead.id, {
      contact: CONTACT,
      opportunity: { amount: "12000.5", expected_close_date: "2027-04-30" },
    });
    expect(res.status).toBe(201);
    const { lead: converted, contact, opportunity } = body.data;
    expect(res.headers.get("Location")).toBe(`/api/v1/crm/opportunities/${opportunity.id}`);
    expect(LeadSchema.strict().parse(converted)).toEqual(converted);
    expect(ContactSchema.strict().parse(contact)).toEqual(contact);
    expect(OpportunitySchema.strict().parse(opportunity)).toEqual(opportunity);

    expect(converted).toMatchObject({
      id: lead.id,
      status: "converted",
      contact_id: contact.id,
      converted_opportunity_id: opportunity.id,
    });
    expect(converted.converted_at).not.toBeNull();
    expect(contact).toMatchObject({
      first_name: "Mara",
      last_name: "Jansen",
      email: lead.email,
      company: "Jansen BV",
      job_title: "COO",
      owner_id: owner,
      custom_fields: { client_status: "prospect" },
    });
    expect(opportunity).toMatchObject({
      name: "Jansen BV",
      lead_id: lead.id,
      contact_id: contact.id,
      owner_id: owner,
      stage: "discovery",
      status: "open",
      amount: "12000.50",
      currency: "EUR",
      expected_close_date: "2027-04-30",
    });

    // The same records as the API now serves them, and one event each, correlated.
    expect((await send<LeadBody>(`/api/v1/crm/leads/${lead.id}`)).body.data).toEqual(converted);
    expect((await send<ContactBody>(`/api/v1/crm/contacts/${contact.id}`)).body.data).toEqual(contact);
    expect((await send<OpportunityBody>(`/api/v1/crm/opportunities/${opportunity.id}`)).body.data).toEqual(
      opportunity,
    );
    const events = [
      ...(await eventsAbout(lead.id)),
      ...(await eventsAbout(contact.id)),
      ...(await eventsAbout(opportunity.id)),
    ];
    expect(events.map((e) => e.event_type).sort()).toEqual([
      "contact.created",
      "lead.converted",
      "lead.created",
      "opportunity.created",
    ]);
    const byType = Object.fromEntries(events.map((e) => [e.event_type, e.payload]));
    expect(byType["lead.converted"]?.data).toEqual(converted);
    expect(byType["contact.created"]?.data).toEqual(contact);
    expect(byType["opportunity.created"]?.data).toEqual(opportunity);
    expect(byType["lead.converted"]?.metadata.correlation_id).toBe(res.headers.get("X-Request-Id"));
    expect(byType["opportunity.created"]?.metadata.correlation_id).toBe(res.headers.get("X-Request-Id"));
  });

  it("attaches a given contact of the tenant instead of creating one, and takes the opportunity's fields", async () => {
    const existing = await send<ContactBody>("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Existing", custom_fields: { client_status: "active" } },
    });
    const lead = await newLead({ first_name: "Noor", last_name: "Haddad" });
    const { res, body } = await convert(lead.id, {
      contact_id: existing.body.data.id,
      opportunity: { name: "Tax advisory", stage: "proposal", amount: 800, currency: "GBP", owner_id: null },
    });
    expect(res.status).toBe(201);
    expect(body.data.contact).toEqual(existing.body.data);
    expect(body.data.lead.contact_id).toBe(existing.body.data.id);
    expect(body.data.opportunity).toMatchObject({
      name: "Tax advisory",
      stage: "proposal",
      amount: "800.00",
      currency: "GBP",
      owner_id: null,
      contact_id: existing.body.data.id,
    });
    expect((await eventsAbout(existing.body.data.id)).map((e) => e.event_type)).toEqual(["contact.created"]);
  });

  it("uses the lead's own contact when it has one; the name defaults to the person without a company", async () => {
    const existing = await send<ContactBody>("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Own", custom_fields: { client_status: "active" } },
    });
    const lead = await newLead({ first_name: "Ada", last_name: "Obi", contact_id: existing.body.data.id });
    const { res, body } = await convert(lead.id, {});
    expect(res.status).toBe(201);
    expect(body.data.contact.id).toBe(existing.body.data.id);
    expect(body.data.opportunity.name).toBe("Ada Obi");
    const withContact = await convert((await newLead({ contact_id: existing.body.data.id })).id, {
      contact: CONTACT,
    });
    expect(withContact.res.status).toBe(400);
    expect(fieldsOf(withContact.body)).toEqual(["contact"]);
  });

  it("accepts no body at all", async () => {
    const existing = await send<ContactBody>("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Bodiless", custom_fields: { client_status: "former" } },
    });
    const lead = await newLead({ contact_id: existing.body.data.id });
    const res = await send<Conversion>(`/api/v1/crm/leads/${lead.id}/convert`, { method: "POST" });
    expect(res.res.status).toBe(201);
  });

  it("makes a converted lead read-only, and a second conversion a 409", async () => {
    const lead = await newLead();
    expect((await convert(lead.id)).res.status).toBe(201);
    const again = await convert(lead.id);
    expect(again.res.status).toBe(409);
    expect(again.body.errors?.[0]?.code).toBe("CONFLICT");
    const patch = await send(`/api/v1/crm/leads/${lead.id}`, { method: "PATCH", json: { title: "Late" } });
    expect(patch.res.status).toBe(409);
    expect((await send(`/api/v1/crm/leads/${lead.id}`, { method: "DELETE" })).res.status).toBe(409);
    const opportunities = await ownerSql()`select 1 from opportunities where lead_id = ${lead.id}`;
    expect(opportunities).toHaveLength(1);
  });

  it("lets exactly one of two concurrent conversions succeed", async () => {
    for (let round = 0; round < 3; round++) {
      const lead = await newLead({ email: `race-${unique()}@example.com` });
      const results = await Promise.all([convert(lead.id), convert(lead.id)]);
      expect(results.map((r) => r.res.status).sort()).toEqual([201, 409]);
      const written = await writtenFor(lead);
      expect(written.opportunities).toBe(1);
      expect(written.contacts).toBe(1);
      const winner = results.find((r) => r.res.status === 201)?.body.data;
      expect(written.lead).toMatchObject({
        status: "converted",
        converted_opportunity_id: winner?.opportunity.id,
      });
    }
  });

  it("writes nothing when the transaction fails after its writes", async () => {
    const lead = await newLead({ email: `atomic-${unique()}@example.com`, company: "Atomic Ltd" });
    const before = await writtenFor(lead);
    expect(before).toMatchObject({ opportunities: 0, contacts: 0, events: 1, lead: { status: "new" } });

    const failed = await convert(
      lead.id,
      { contact: CONTACT },
      { "Nexus-Test-Fault": "lead-convert-after-writes" },
    );
    expect(failed.res.status).toBe(500);
    expect(failed.body.errors?.[0]?.code).toBe("INTERNAL_ERROR");
    // No opportunity, no contact, the lead as it was, no outbox row beyond lead.created.
    expect(await writtenFor(lead)).toEqual(before);

    const retried = await convert(lead.id);
    expect(retried.res.status).toBe(201);
    expect(await writtenFor(lead)).toMatchObject({ opportunities: 1, contacts: 1, events: 4 });
  });

  it("is replayed under an Idempotency-Key (the conversion runs inside the key's transaction)", async () => {
    const lead = await newLead();
    const key = `convert-${unique()}`;
    const first = await convert(lead.id, { contact: CONTACT }, { "Idempotency-Key": key });
    const replay = await convert(lead.id, { contact: CONTACT }, { "Idempotency-Key": key });
    expect(first.res.status).toBe(201);
    expect(replay.res.status).toBe(201);
    expect(replay.res.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
    const untouched = await newLead({ email: `keyed-${unique()}@example.com` });
    const before = await writtenFor(untouched);
    const failed = await convert(
      untouched.id,
      { contact: CONTACT },
      { "Idempotency-Key": `convert-${unique()}`, "Nexus-Test-Fault": "lead-convert-after-writes" },
    );
    expect(failed.res.status).toBe(500);
    // Rolled back with the key's transaction: nothing of it stays.
    expect(await writtenFor(untouched)).toEqual(before);
  });

  it("refuses what it cannot convert with the field that is wrong", async () => {
    const lead = await newLead({ email: `refused-${unique()}@example.com` });
    const foreign = await send<ContactBody>("/api/v1/crm/contacts", {
      method: "POST",
      tenant: "a",
      json: { first_name: "Foreign" },
    });
    for (const [json, field] of [
      [{ contact_id: foreign.body.data.id }, "contact_id"],
      [{ contact_id: crypto.randomUUID() }, "contact_id"],
      [{ contact: CONTACT, opportunity: { stage: "signed" } }, "opportunity.stage"],
      [{ contact: CONTACT, opportunity: { amount: "1.234" } }, "opportunity.amount"],
      [{ contact: CONTACT, opportunity: { status: "won" } }, "opportunity.status"],
      [{ contact: CONTACT, opportunity: { contact_id: crypto.randomUUID() } }, "opportunity"],
      [{}, "contact.custom_fields.client_status"],
      [{ contact: { custom_fields: { client_status: "vip" } } }, "contact.custom_fields.client_status"],
      [{ contact: CONTACT, lead: {} }, undefined],
    ] as const) {
      const { res, body } = await convert(lead.id, json);
      expect(res.status, JSON.stringify(json)).toBe(400);
      if (field) expect(fieldsOf(body), JSON.stringify(json)).toEqual([field]);
    }
    expect(await writtenFor(lead)).toMatchObject({ opportunities: 0, contacts: 0, lead: { status: "new" } });
  });

  it("answers a lead whose email a contact already has with 409 naming contact_id", async () => {
    const email = `taken-${unique()}@example.com`;
    await send("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Taken", email, custom_fields: { client_status: "active" } },
    });
    const lead = await newLead({ email });
    const { res, body } = await convert(lead.id);
    expect(res.status).toBe(409);
    expect(fieldsOf(body)).toEqual(["contact_id"]);
    expect((await send<LeadBody>(`/api/v1/crm/leads/${lead.id}`)).body.data.status).toBe("new");
  });

  it("needs a pipeline: a tenant without an industry answers 409", async () => {
    const lead = await newLead({}, "a");
    const res = await send(`/api/v1/crm/leads/${lead.id}/convert`, { method: "POST", tenant: "a", json: {} });
    expect(res.res.status).toBe(409);
    expect((await send<LeadBody>(`/api/v1/crm/leads/${lead.id}`, { tenant: "a" })).body.data.status).toBe(
      "new",
    );
  });

  it("needs the opportunity and contact permissions too", async () => {
    const lead = await newLead();
    const leadsOnly = await tokenFor({
      tenant: "d",
      role: `Leads only ${unique()}`,
      permissions: "crm.leads.read crm.leads.write",
    });
    const res = await send(`/api/v1/crm/leads/${lead.id}/convert`, {
      method: "POST",
      token: leadsOnly,
      json: {},
    });
    expect(res.res.status).toBe(403);
    expect(res.body.errors?.[0]?.message).toContain("crm.opportunities.write");
    expect(TEST_TENANTS.d.industry).toBe("professional-services");
  });
});
