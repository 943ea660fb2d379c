import { describe, expect, it } from "vitest";
import { Lead as LeadSchema } from "../../workers/api/schemas/lead";
import { TEST_TENANTS } from "../support/tenants";
import {
  eventsAbout,
  fieldsOf,
  LEAD_FIELDS,
  type LeadBody,
  newLead,
  newMember,
  send,
  unique,
  withoutRequestId,
} from "./crm-helpers";
import { call, tokenFor } from "./helpers";

describe("CRM leads", () => {
  it("creates a lead: 201, Location, defaults, the documented schema", async () => {
    const email = `lead-${unique()}@example.com`;
    const { res, body } = await send<LeadBody>("/api/v1/crm/leads", {
      method: "POST",
      json: {
        first_name: "Ines",
        last_name: "Moreau",
        email,
        company: "Moreau SA",
        title: "CFO",
        custom_fields: { ...LEAD_FIELDS, budget: 25000, decision_date: "2027-03-31" },
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Location")).toBe(`/api/v1/crm/leads/${body.data.id}`);
    expect(body.data).toMatchObject({
      first_name: "Ines",
      email,
      source: "other",
      status: "new",
      contact_id: null,
      converted_at: null,
      converted_opportunity_id: null,
      custom_fields: { service_line: "audit", budget: 25000, decision_date: "2027-03-31" },
    });
    expect(LeadSchema.strict().parse(body.data)).toEqual(body.data);
    const got = await send<LeadBody>(`/api/v1/crm/leads/${body.data.id}`);
    expect(got.body.data).toEqual(body.data);
  });

  it("changes only the fields a PATCH gives, and soft-deletes", async () => {
    const lead = await newLead({ email: `patch-${unique()}@example.com`, company: "Keep Ltd" });
    const patched = await send<LeadBody>(`/api/v1/crm/leads/${lead.id}`, {
      method: "PATCH",
      json: { status: "qualified", source: "referral", phone: "+49 30 123456" },
    });
    expect(patched.res.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      status: "qualified",
      source: "referral",
      phone: "+49 30 123456",
      company: "Keep Ltd",
      email: lead.email,
    });
    expect(Date.parse(patched.body.data.updated_at)).toBeGreaterThanOrEqual(Date.parse(lead.updated_at));

    expect((await send(`/api/v1/crm/leads/${lead.id}`, { method: "DELETE" })).res.status).toBe(204);
    expect((await send(`/api/v1/crm/leads/${lead.id}`)).res.status).toBe(404);
    expect((await send(`/api/v1/crm/leads/${lead.id}`, { method: "DELETE" })).res.status).toBe(404);
    const list = await send<LeadBody[]>("/api/v1/crm/leads?limit=200");
    expect(list.body.data.map((l) => l.id)).not.toContain(lead.id);
    expect((await eventsAbout(lead.id)).map((e) => e.event_type)).toEqual([
      "lead.created",
      "lead.updated",
      "lead.deleted",
    ]);
  });

  it("serves the same handlers under /api/v1/leads", async () => {
    const { res, body } = await send<LeadBody>("/api/v1/leads", {
      method: "POST",
      json: { first_name: "Alias", custom_fields: LEAD_FIELDS },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Location")).toBe(`/api/v1/leads/${body.data.id}`);
    expect((await send(`/api/v1/crm/leads/${body.data.id}`)).res.status).toBe(200);
    expect(
      (await send(`/api/v1/leads/${body.data.id}`, { method: "PATCH", json: { title: "CEO" } })).res.status,
    ).toBe(200);
  });

  it("rejects invalid input with field errors", async () => {
    const bad = await send("/api/v1/crm/leads", {
      method: "POST",
      json: { first_name: "", email: "nope", source: "tv", custom_fields: LEAD_FIELDS },
    });
    expect(bad.res.status).toBe(400);
    expect(fieldsOf(bad.body)).toEqual(expect.arrayContaining(["first_name", "email", "source"]));
    expect(bad.body.errors?.every((e) => e.code === "VALIDATION_ERROR")).toBe(true);

    const converted = await send("/api/v1/crm/leads", {
      method: "POST",
      json: { first_name: "X", status: "converted", custom_fields: LEAD_FIELDS },
    });
    expect(converted.res.status).toBe(400);
    expect(fieldsOf(converted.body)).toEqual(["status"]);

    const lead = await newLead();
    const patchConverted = await send(`/api/v1/crm/leads/${lead.id}`, {
      method: "PATCH",
      json: { status: "converted" },
    });
    expect(patchConverted.res.status).toBe(400);
    expect(fieldsOf(patchConverted.body)).toEqual(["status"]);
    expect(patchConverted.body.errors?.[0]?.message).toMatch(/convert/);
    expect((await send(`/api/v1/crm/leads/${lead.id}`, { method: "PATCH", json: {} })).res.status).toBe(400);
    expect(
      (await send(`/api/v1/crm/leads/${lead.id}`, { method: "PATCH", json: { first_name: null } })).res
        .status,
    ).toBe(400);
    expect((await send("/api/v1/crm/leads/not-a-uuid")).res.status).toBe(400);
  });

  it("rejects fields the client may not set", async () => {
    const lead = await newLead();
    for (const extra of [
      { id: crypto.randomUUID() },
      { tenant_id: TEST_TENANTS.b.tenantId },
      { created_at: "2020-01-01T00:00:00Z" },
      { updated_at: "2020-01-01T00:00:00Z" },
      { converted_at: "2020-01-01T00:00:00Z" },
      { converted_opportunity_id: crypto.randomUUID() },
    ]) {
      const created = await send("/api/v1/crm/leads", {
        method: "POST",
        json: { first_name: "Sneaky", custom_fields: LEAD_FIELDS, ...extra },
      });
      expect(created.res.status).toBe(400);
      expect(created.body.errors?.[0]?.message).toMatch(/read-only|unknown/i);
      const patched = await send(`/api/v1/crm/leads/${lead.id}`, { method: "PATCH", json: extra });
      expect(patched.res.status).toBe(400);
    }
  });

  it("takes a contact_id only of the tenant's own live contacts", async () => {
    const own = await send<{ id: string }>("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Own", custom_fields: { client_status: "active" } },
    });
    const foreign = await send<{ id: string }>("/api/v1/crm/contacts", {
      method: "POST",
      tenant: "a",
      json: { first_name: "Foreign" },
    });
    const lead = await newLead({ contact_id: own.body.data.id });
    expect(lead.contact_id).toBe(own.body.data.id);
    for (const contactId of [foreign.body.data.id, crypto.randomUUID()]) {
      const created = await send("/api/v1/crm/leads", {
        method: "POST",
        json: { first_name: "Ref", contact_id: contactId, custom_fields: LEAD_FIELDS },
      });
      expect(created.res.status).toBe(400);
      expect(fieldsOf(created.body)).toEqual(["contact_id"]);
      const patched = await send(`/api/v1/crm/leads/${lead.id}`, {
        method: "PATCH",
        json: { contact_id: contactId },
      });
      expect(patched.res.status).toBe(400);
      expect(fieldsOf(patched.body)).toEqual(["contact_id"]);
    }
  });
});

describe("lead custom fields against the tenant's definitions", () => {
  it.each([
    [{ service_line: "audit", budget: "lots" }, "custom_fields.budget"],
    [{ service_line: "marketing" }, "custom_fields.service_line"],
    [{ service_line: "audit", decision_date: "2027-02-29" }, "custom_fields.decision_date"],
    [{ service_line: "audit", colour: "red" }, "custom_fields.colour"],
    [{ budget: 10 }, "custom_fields.service_line"],
  ])("tenant d refuses %j (%s)", async (customFields, field) => {
    const { res, body } = await send("/api/v1/crm/leads", {
      method: "POST",
      json: { first_name: "Typed", custom_fields: customFields },
    });
    expect(res.status).toBe(400);
    expect(fieldsOf(body)).toEqual([field]);
  });

  it("a required field removed by a PATCH is missing; a PATCH without custom_fields keeps them", async () => {
    const lead = await newLead({ custom_fields: { service_line: "tax", budget: 5 } });
    const removed = await send(`/api/v1/crm/leads/${lead.id}`, {
      method: "PATCH",
      json: { custom_fields: { budget: 6 } },
    });
    expect(removed.res.status).toBe(400);
    expect(fieldsOf(removed.body)).toEqual(["custom_fields.service_line"]);
    const kept = await send<LeadBody>(`/api/v1/crm/leads/${lead.id}`, {
      method: "PATCH",
      json: { title: "COO" },
    });
    expect(kept.body.data.custom_fields).toEqual({ service_line: "tax", budget: 5 });
  });

  it("tenant b (restaurant) needs event_date and party_size, typed", async () => {
    const missing = await send("/api/v1/crm/leads", {
      method: "POST",
      tenant: "b",
      json: { first_name: "Party" },
    });
    expect(missing.res.status).toBe(400);
    expect(fieldsOf(missing.body)?.sort()).toEqual(["custom_fields.event_date", "custom_fields.party_size"]);
    const wrong = await send("/api/v1/crm/leads", {
      method: "POST",
      tenant: "b",
      json: {
        first_name: "Party",
        custom_fields: { event_date: "2027-06-01", party_size: "40", event_type: "gala" },
      },
    });
    expect(fieldsOf(wrong.body)?.sort()).toEqual(["custom_fields.event_type", "custom_fields.party_size"]);
    const ok = await send("/api/v1/crm/leads", {
      method: "POST",
      tenant: "b",
      json: {
        first_name: "Party",
        custom_fields: { event_date: "2027-06-01", party_size: 40, event_type: "wedding" },
      },
    });
    expect(ok.res.status).toBe(201);
  });

  it("a tenant without an industry keeps lead custom fields free-form", async () => {
    const lead = await newLead({ custom_fields: { whatever: ["a", 1] } }, "a");
    expect(lead.custom_fields).toEqual({ whatever: ["a", 1] });
  });
});

describe("lead tenant isolation", () => {
  it("answers another tenant's lead id with 404 on every route, exactly like a missing id", async () => {
    const lead = await newLead({ first_name: "Private" });
    const other = await tokenFor({ tenant: "b" });
    const missing = crypto.randomUUID();
    const routes: [string, string, unknown?][] = [
      ["GET", ""],
      ["PATCH", "", { title: "Hijack" }],
      ["DELETE", ""],
      ["POST", "/convert", {}],
    ];
    for (const [method, suffix, json] of routes) {
      const foreign = await send(`/api/v1/crm/leads/${lead.id}${suffix}`, { method, json, token: other });
      const absent = await send(`/api/v1/crm/leads/${missing}${suffix}`, { method, json, token: other });
      expect(foreign.res.status, `${method} ${suffix}`).toBe(404);
      expect(withoutRequestId(foreign.body), `${method} ${suffix}`).toEqual(withoutRequestId(absent.body));
    }
    const listB = await send<LeadBody[]>("/api/v1/crm/leads?limit=200", { token: other });
    expect(listB.body.data.map((l) => l.id)).not.toContain(lead.id);
    expect((await send<LeadBody>(`/api/v1/crm/leads/${lead.id}`)).body.data).toMatchObject({
      first_name: "Private",
      status: "new",
    });
  });
});

describe("lead lists", () => {
  it("filters by status, source, owner_id, email and updated_since, combined and across pages", async () => {
    const run = unique();
    const owner = await newMember();
    const before = new Date(Date.now() - 1000).toISOString();
    const web = await newLead({ source: "web", owner_id: owner, email: `web-${run}@example.com` });
    const event = await newLead({ source: "event", owner_id: owner, status: "contacted" });
    const referral = await newLead({ source: "referral", owner_id: owner, status: "contacted" });
    const ids = (body: { data: LeadBody[] }) => body.data.map((l) => l.id);
    const list = async (query: string) => (await send<LeadBody[]>(`/api/v1/crm/leads?${query}`)).body;

    expect(ids(await list(`owner_id=${owner}`))).toEqual([referral.id, event.id, web.id]);
    expect(ids(await list(`owner_id=${owner}&status=contacted`))).toEqual([referral.id, event.id]);
    expect(ids(await list(`owner_id=${owner}&source=web`))).toEqual([web.id]);
    expect(ids(await list(`email=WEB-${run}@EXAMPLE.com`))).toEqual([web.id]);
    expect(ids(await list(`owner_id=${owner}&updated_since=${encodeURIComponent(before)}`))).toHaveLength(3);
    expect(ids(await list(`owner_id=${owner}&updated_since=2999-01-01T00:00:00Z`))).toEqual([]);

    const first = await list(`owner_id=${owner}&limit=2&include_total=true`);
    expect(ids(first)).toEqual([referral.id, event.id]);
    expect(first.meta).toMatchObject({ limit: 2, has_more: true, total: 3 });
    const second = await list(`owner_id=${owner}&limit=2&cursor=${first.meta?.cursor}`);
    expect(ids(second)).toEqual([web.id]);
    expect(second.meta?.has_more).toBe(false);

    for (const [query, field] of [
      ["status=lost", "status"],
      ["source=tv", "source"],
      ["owner_id=nope", "owner_id"],
      ["updated_since=yesterday", "updated_since"],
      ["limit=201", "limit"],
      ["cursor=bm90LWEtY3Vyc29y", "cursor"],
    ] as const) {
      const { res, body } = await send(`/api/v1/crm/leads?${query}`);
      expect(res.status, query).toBe(400);
      expect(fieldsOf(body), query).toEqual([field]);
    }
  });

  it("walks every lead once with cursors, newest first", async () => {
    const owner = await newMember();
    for (let i = 0; i < 5; i++) await newLead({ first_name: `L${i}`, owner_id: owner });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `owner_id=${owner}&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page: { data: LeadBody[]; meta?: { cursor: string | null } } = (
        await send<LeadBody[]>(`/api/v1/crm/leads?${query}`)
      ).body;
      seen.push(...page.data.map((l) => l.first_name));
      cursor = page.meta?.cursor ?? null;
    } while (cursor);
    expect(seen).toEqual(["L4", "L3", "L2", "L1", "L0"]);
  });
});

describe("lead roles", () => {
  it("lets a Viewer read leads but not write them", async () => {
    const lead = await newLead();
    const viewer = await tokenFor({ tenant: "d", role: "Viewer" });
    expect((await call("/api/v1/crm/leads", { token: viewer })).status).toBe(200);
    expect((await call(`/api/v1/crm/leads/${lead.id}`, { token: viewer })).status).toBe(200);
    for (const [method, path] of [
      ["POST", "/api/v1/crm/leads"],
      ["PATCH", `/api/v1/crm/leads/${lead.id}`],
      ["DELETE", `/api/v1/crm/leads/${lead.id}`],
      ["POST", `/api/v1/crm/leads/${lead.id}/convert`],
    ] as const) {
      // A DELETE takes no body (one would be refused with 400 before the role is looked at).
      const json = method === "DELETE" ? undefined : { first_name: "No" };
      const { res, body } = await send(path, { method, token: viewer, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(body.errors?.[0]?.code).toBe("FORBIDDEN");
    }
  });
});
