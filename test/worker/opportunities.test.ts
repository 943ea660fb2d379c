import { describe, expect, it } from "vitest";
import { Opportunity as OpportunitySchema } from "../../workers/api/schemas/opportunity";
import { TEST_TENANTS } from "../support/tenants";
import {
  eventsAbout,
  fieldsOf,
  newMember,
  newOpportunity,
  type OpportunityBody,
  send,
  withoutRequestId,
} from "./crm-helpers";
import { tokenFor } from "./helpers";

const BASE = "/api/v1/crm/opportunities";

async function patch(id: string, json: Record<string, unknown>) {
  return send<OpportunityBody>(`${BASE}/${id}`, { method: "PATCH", json });
}

describe("CRM opportunities", () => {
  it("creates one in the pipeline's first open stage, in the tenant's currency, amount as a string", async () => {
    const { res, body } = await send<OpportunityBody>(BASE, {
      method: "POST",
      json: { name: "Annual audit", amount: 1250, expected_close_date: "2027-01-31" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Location")).toBe(`${BASE}/${body.data.id}`);
    expect(body.data).toMatchObject({
      name: "Annual audit",
      stage: "discovery",
      status: "open",
      amount: "1250.00",
      currency: "EUR",
      expected_close_date: "2027-01-31",
      closed_at: null,
      lead_id: null,
    });
    expect(OpportunitySchema.strict().parse(body.data)).toEqual(body.data);
    expect((await send<OpportunityBody>(`${BASE}/${body.data.id}`)).body.data).toEqual(body.data);
    expect((await eventsAbout(body.data.id)).map((e) => e.event_type)).toEqual(["opportunity.created"]);
  });

  it("serves the same handlers under /api/v1/opportunities", async () => {
    const { res, body } = await send<OpportunityBody>("/api/v1/opportunities", {
      method: "POST",
      json: { name: "Alias deal", stage: "proposal", currency: "USD" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Location")).toBe(`/api/v1/opportunities/${body.data.id}`);
    expect(body.data).toMatchObject({ stage: "proposal", currency: "USD" });
    expect((await send(`${BASE}/${body.data.id}`)).res.status).toBe(200);
  });

  it.each([
    ["1250", "1250.00"],
    ["99.5", "99.50"],
    [0.1, "0.10"],
    [9999999999.99, "9999999999.99"],
    ["0", "0.00"],
  ])("takes amount %j as %s", async (amount, shown) => {
    expect((await newOpportunity({ amount })).amount).toBe(shown);
  });

  it.each([12.345, "12.345", "10000000000", -1, "-1", "1e3", "abc", 0.1 + 0.2])(
    "refuses amount %j",
    async (amount) => {
      const { res, body } = await send(BASE, { method: "POST", json: { name: "Bad", amount } });
      expect(res.status).toBe(400);
      expect(fieldsOf(body)).toEqual(["amount"]);
    },
  );

  it("validates its fields and refuses read-only ones", async () => {
    for (const [json, field] of [
      [{ name: "" }, "name"],
      [{ name: "X", stage: "won-maybe" }, "stage"],
      [{ name: "X", currency: "eur" }, "currency"],
      [{ name: "X", expected_close_date: "2027-02-30" }, "expected_close_date"],
      [{ name: "X", contact_id: "nope" }, "contact_id"],
    ] as const) {
      const { res, body } = await send(BASE, { method: "POST", json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(fieldsOf(body), JSON.stringify(json)).toEqual([field]);
    }
    const opportunity = await newOpportunity();
    for (const extra of [
      { id: crypto.randomUUID() },
      { tenant_id: TEST_TENANTS.b.tenantId },
      { status: "won" },
      { closed_at: "2026-01-01T00:00:00Z" },
      { lead_id: crypto.randomUUID() },
      { created_at: "2026-01-01T00:00:00Z" },
    ]) {
      const created = await send(BASE, { method: "POST", json: { name: "Sneaky", ...extra } });
      expect(created.res.status).toBe(400);
      expect(created.body.errors?.[0]?.message).toMatch(/read-only|unknown|set stage/i);
      expect((await patch(opportunity.id, extra)).res.status).toBe(400);
    }
    expect((await patch(opportunity.id, {})).res.status).toBe(400);
    const unknownStage = await patch(opportunity.id, { stage: "closed" });
    expect(unknownStage.res.status).toBe(400);
    expect(fieldsOf(unknownStage.body)).toEqual(["stage"]);
    expect(unknownStage.body.errors?.[0]?.message).toContain("discovery");
  });

  it("takes a contact_id only of the tenant's own contacts", async () => {
    const foreign = await send<{ id: string }>("/api/v1/crm/contacts", {
      method: "POST",
      tenant: "a",
      json: { first_name: "Foreign" },
    });
    const { res, body } = await send(BASE, {
      method: "POST",
      json: { name: "X", contact_id: foreign.body.data.id },
    });
    expect(res.status).toBe(400);
    expect(fieldsOf(body)).toEqual(["contact_id"]);
  });

  it("a tenant without a pipeline (no industry) cannot open one", async () => {
    const { res, body } = await send(BASE, { method: "POST", tenant: "a", json: { name: "Nowhere" } });
    expect(res.status).toBe(409);
    expect(body.errors?.[0]?.code).toBe("CONFLICT");
  });
});

describe("opportunity stages", () => {
  it("moves through the pipeline: stage_changed with from/to, won and lost set status and closed_at", async () => {
    const opportunity = await newOpportunity({ amount: "5000" });
    const moved = await patch(opportunity.id, { stage: "proposal", amount: "5500.5" });
    expect(moved.res.status).toBe(200);
    expect(moved.body.data).toMatchObject({
      stage: "proposal",
      status: "open",
      amount: "5500.50",
      closed_at: null,
    });

    const renamed = await patch(opportunity.id, { name: "Renamed" });
    expect(renamed.body.data).toMatchObject({ name: "Renamed", stage: "proposal" });

    const won = await patch(opportunity.id, { stage: "won" });
    expect(won.body.data).toMatchObject({ stage: "won", status: "won" });
    expect(Date.parse(won.body.data.closed_at ?? "")).toBeGreaterThan(Date.now() - 60_000);
    const stillWon = await patch(opportunity.id, { expected_close_date: "2027-05-01" });
    expect(stillWon.body.data.closed_at).toBe(won.body.data.closed_at);

    const reopened = await patch(opportunity.id, { stage: "negotiation" });
    expect(reopened.body.data).toMatchObject({ status: "open", closed_at: null });
    const lost = await patch(opportunity.id, { stage: "lost" });
    expect(lost.body.data).toMatchObject({ status: "lost" });
    expect(lost.body.data.closed_at).not.toBeNull();

    const events = await eventsAbout(opportunity.id);
    expect(events.map((e) => e.event_type)).toEqual([
      "opportunity.created",
      "opportunity.stage_changed",
      "opportunity.updated",
      "opportunity.updated",
      "opportunity.stage_changed",
      "opportunity.updated",
      "opportunity.won",
      "opportunity.updated",
      "opportunity.stage_changed",
      "opportunity.updated",
      "opportunity.lost",
      "opportunity.stage_changed",
      "opportunity.updated",
    ]);
    const stageChanges = events.filter((e) => e.event_type === "opportunity.stage_changed");
    expect(stageChanges.map((e) => [e.payload.data.from, e.payload.data.to])).toEqual([
      ["discovery", "proposal"],
      ["proposal", "won"],
      ["won", "negotiation"],
      ["negotiation", "lost"],
    ]);
    expect(stageChanges[0]?.payload.data.opportunity).toMatchObject({
      id: opportunity.id,
      stage: "proposal",
    });
    const updated = events.filter((e) => e.event_type === "opportunity.updated").at(-1);
    expect(updated?.payload.data).toEqual(lost.body.data);
  });

  it("can open straight in a terminal stage, closed", async () => {
    const won = await newOpportunity({ stage: "won" });
    expect(won.status).toBe("won");
    expect(won.closed_at).not.toBeNull();
  });

  it("soft-deletes: 204, then 404 everywhere, opportunity.deleted", async () => {
    const opportunity = await newOpportunity();
    expect((await send(`${BASE}/${opportunity.id}`, { method: "DELETE" })).res.status).toBe(204);
    expect((await send(`${BASE}/${opportunity.id}`)).res.status).toBe(404);
    expect((await patch(opportunity.id, { name: "Ghost" })).res.status).toBe(404);
    expect((await send(`${BASE}/${opportunity.id}`, { method: "DELETE" })).res.status).toBe(404);
    expect((await eventsAbout(opportunity.id)).map((e) => e.event_type)).toContain("opportunity.deleted");
  });
});

describe("opportunity lists", () => {
  it("filters by stage, status, owner_id, contact_id and updated_since, combined and across pages", async () => {
    const owner = await newMember();
    const contact = await send<{ id: string }>("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Buyer", custom_fields: { client_status: "active" } },
    });
    const before = new Date(Date.now() - 1000).toISOString();
    const a = await newOpportunity({ owner_id: owner, contact_id: contact.body.data.id });
    const b = await newOpportunity({ owner_id: owner, stage: "proposal" });
    const c = await newOpportunity({ owner_id: owner, stage: "won" });
    const ids = (body: { data: OpportunityBody[] }) => body.data.map((o) => o.id);
    const list = async (query: string) => (await send<OpportunityBody[]>(`${BASE}?${query}`)).body;

    expect(ids(await list(`owner_id=${owner}`))).toEqual([c.id, b.id, a.id]);
    expect(ids(await list(`owner_id=${owner}&stage=proposal`))).toEqual([b.id]);
    expect(ids(await list(`owner_id=${owner}&status=open`))).toEqual([b.id, a.id]);
    expect(ids(await list(`owner_id=${owner}&status=won`))).toEqual([c.id]);
    expect(ids(await list(`contact_id=${contact.body.data.id}`))).toEqual([a.id]);
    expect(ids(await list(`owner_id=${owner}&updated_since=${encodeURIComponent(before)}`))).toHaveLength(3);
    expect(ids(await list(`owner_id=${owner}&updated_since=2999-01-01T00:00:00Z`))).toEqual([]);

    const first = await list(`owner_id=${owner}&limit=2&include_total=true`);
    expect(ids(first)).toEqual([c.id, b.id]);
    expect(first.meta).toMatchObject({ has_more: true, total: 3 });
    const second = await list(`owner_id=${owner}&limit=2&cursor=${first.meta?.cursor}`);
    expect(ids(second)).toEqual([a.id]);
    expect(second.meta).toMatchObject({ has_more: false, cursor: null });

    for (const [query, field] of [
      ["status=closed", "status"],
      ["contact_id=nope", "contact_id"],
      ["updated_since=soon", "updated_since"],
    ] as const) {
      const { res, body } = await send(`${BASE}?${query}`);
      expect(res.status, query).toBe(400);
      expect(fieldsOf(body), query).toEqual([field]);
    }
  });
});

describe("opportunity tenant isolation and roles", () => {
  it("answers another tenant's opportunity id with 404 on every route, exactly like a missing id", async () => {
    const opportunity = await newOpportunity({ name: "Private deal" });
    const other = await tokenFor({ tenant: "b" });
    for (const [method, json] of [["GET"], ["PATCH", { name: "Hijack" }], ["DELETE"]] as const) {
      const foreign = await send(`${BASE}/${opportunity.id}`, { method, json, token: other });
      const missing = await send(`${BASE}/${crypto.randomUUID()}`, { method, json, token: other });
      expect(foreign.res.status, method).toBe(404);
      expect(withoutRequestId(foreign.body), method).toEqual(withoutRequestId(missing.body));
    }
    const listB = await send<OpportunityBody[]>(`${BASE}?limit=200`, { token: other });
    expect(listB.body.data.map((o) => o.id)).not.toContain(opportunity.id);
    expect((await send<OpportunityBody>(`${BASE}/${opportunity.id}`)).body.data.name).toBe("Private deal");
  });

  it("lets a Viewer read opportunities but not write them", async () => {
    const opportunity = await newOpportunity();
    const viewer = await tokenFor({ tenant: "d", role: "Viewer" });
    expect((await send(BASE, { token: viewer })).res.status).toBe(200);
    expect((await send(`${BASE}/${opportunity.id}`, { token: viewer })).res.status).toBe(200);
    for (const [method, path] of [
      ["POST", BASE],
      ["PATCH", `${BASE}/${opportunity.id}`],
      ["DELETE", `${BASE}/${opportunity.id}`],
    ] as const) {
      const json = method === "DELETE" ? {} : { json: { name: "No" } };
      expect((await send(path, { method, token: viewer, ...json })).res.status).toBe(403);
    }
  });
});
