import { beforeEach, describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../db/client";
import { presetObjectStatements } from "../../db/preset-objects";
import { presetById } from "../../db/presets";
import { tenantBatch } from "../../db/tenant-batch";
import { TEST_TENANTS } from "../support/tenants";
import { call, type Envelope, envelope, tokenFor } from "./helpers";
import { ownerSql } from "./outbox-helpers";

const PATH = "/api/v1/nexus/tenant";
const professionalServices = presetById("professional-services")!;

interface Field {
  key: string;
  label: string;
  type: string;
  required: boolean;
  options: string[];
}
interface Stage {
  key: string;
  name: string;
  probability: number;
  terminal: "won" | "lost" | null;
}
interface Settings {
  id: string;
  name: string;
  slug: string;
  region: string;
  country: string;
  industry: string | null;
  default_currency: string;
  custom_fields: { contact: Field[]; lead: Field[] };
  pipeline: Stage[];
  created_at: string;
  updated_at: string;
}

const HIGH = { limit: 1_000_000, window_seconds: 3600 };
const appDatabase = () =>
  createDatabase({
    url: `postgres://nexus_app:nexus_app@127.0.0.1:5432/${inject("databaseName")}`,
    httpEndpoint: `${inject("gatewayUrl")}/sql`,
  });

/**
 * A professional-services tenant of its own for each test (its settings are what the tests
 * change, so no other file's tenant may share them), with its preset's fields and pipeline, and
 * an owner who is an active member (contacts may name an owner).
 */
async function freshTenant(industry: string | null = "professional-services") {
  const tenantId = crypto.randomUUID();
  const ownerId = crypto.randomUUID();
  const sql = ownerSql();
  const limits = JSON.stringify({ tenant: HIGH, user: HIGH, ip: HIGH, burst: HIGH });
  await sql`insert into tenants (id, name, slug, region, country, industry, default_currency, rate_limits)
    values (${tenantId}, 'Settings Ltd', ${`settings-${tenantId}`}, 'eu', 'BE', ${industry}, 'EUR', ${limits}::jsonb)`;
  if (industry) {
    const db = appDatabase();
    await tenantBatch(db, tenantId, presetObjectStatements(db, tenantId, professionalServices));
  }
  return { tenantId, ownerId };
}

type Tenant = Awaited<ReturnType<typeof freshTenant>>;

const tokenOf = (t: Tenant, role = "Owner", scope?: string) =>
  tokenFor({ tenantId: t.tenantId, userId: t.ownerId, role, ...(scope ? { scope } : {}) });

async function send<T = Settings>(t: Tenant, method: string, json?: unknown, token?: string, path = PATH) {
  const res = await call(path, {
    method,
    ...(json === undefined ? {} : { json }),
    token: token ?? (await tokenOf(t)),
  });
  return { res, body: (await envelope<T>(res)) as Envelope<T> };
}

const fieldsOf = (body: Envelope) => body.errors?.map((e) => e.field);

describe("GET /api/v1/nexus/tenant", () => {
  let t: Tenant;
  beforeEach(async () => {
    t = await freshTenant();
  });

  it("answers the tenant with its field definitions and pipeline", async () => {
    const { res, body } = await send(t, "GET");
    expect(res.status).toBe(200);
    expect(body.data).toMatchObject({
      id: t.tenantId,
      name: "Settings Ltd",
      slug: `settings-${t.tenantId}`,
      region: "eu",
      country: "BE",
      industry: "professional-services",
      default_currency: "EUR",
    });
    expect(body.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(body.data.custom_fields.contact).toContainEqual({
      key: "client_status",
      label: "Client status",
      type: "enum",
      required: true,
      options: ["prospect", "active", "former"],
    });
    expect(body.data.custom_fields.lead.map((f) => f.key).sort()).toEqual(
      professionalServices.customFields.lead.map((f) => f.key).sort(),
    );
    expect(body.data.pipeline).toEqual(
      professionalServices.pipeline.map((s) => ({
        key: s.id,
        name: s.name,
        probability: s.probability,
        terminal: s.terminal ?? null,
      })),
    );
  });

  it("a tenant without an industry has no definitions and no pipeline", async () => {
    const bare = await freshTenant(null);
    const { body } = await send(bare, "GET");
    expect(body.data).toMatchObject({
      industry: null,
      custom_fields: { contact: [], lead: [] },
      pipeline: [],
    });
  });

  it("each tenant sees only its own settings (the token's tenant decides, nothing else)", async () => {
    const other = await send(t, "GET", undefined, await tokenFor({ tenant: "d" }));
    expect(other.body.data.id).toBe(TEST_TENANTS.d.tenantId);
    expect(other.body.data.name).toBe(TEST_TENANTS.d.name);
    // A change in this tenant is invisible to tenant d.
    await send(t, "PATCH", { name: "Only Mine" });
    const again = await send(t, "GET", undefined, await tokenFor({ tenant: "d" }));
    expect(again.body.data.name).toBe(TEST_TENANTS.d.name);
  });
});

describe("PATCH /api/v1/nexus/tenant", () => {
  let t: Tenant;
  let current: Settings;
  beforeEach(async () => {
    t = await freshTenant();
    current = (await send(t, "GET")).body.data;
  });

  it("renames the tenant, and a PATCH that changes nothing writes nothing", async () => {
    const { res, body } = await send(t, "PATCH", { name: "  Okafor & Partners  " });
    expect(res.status).toBe(200);
    expect(body.data.name).toBe("Okafor & Partners");
    expect((await send(t, "GET")).body.data.name).toBe("Okafor & Partners");
    const events = await settingsEvents(t.tenantId);
    expect(events).toHaveLength(1);

    const same = await send(t, "PATCH", { name: "Okafor & Partners" });
    expect(same.res.status).toBe(200);
    expect(same.body.data.updated_at).toBe(body.data.updated_at);
    expect(await settingsEvents(t.tenantId)).toHaveLength(1);
  });

  it("adds, changes and removes contact field definitions; a removed field's values go with it", async () => {
    const contact = await send<{ id: string; custom_fields: Record<string, unknown> }>(
      t,
      "POST",
      { first_name: "Ada", custom_fields: { client_status: "active", engagement_partner: "Ines" } },
      undefined,
      "/api/v1/crm/contacts",
    );
    expect(contact.res.status).toBe(201);

    const fields = [
      {
        key: "client_status",
        label: "Status",
        type: "enum",
        required: true,
        options: ["prospect", "active", "paused"],
      },
      { key: "tier", label: "Tier", type: "number" },
    ];
    const { res, body } = await send(t, "PATCH", { custom_fields: { contact: fields } });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.data.custom_fields.contact).toEqual([
      {
        key: "client_status",
        label: "Status",
        type: "enum",
        required: true,
        options: ["prospect", "active", "paused"],
      },
      { key: "tier", label: "Tier", type: "number", required: false, options: [] },
    ]);
    // Leads were not given: unchanged.
    expect(body.data.custom_fields.lead).toEqual(current.custom_fields.lead);

    const stored = await send<{ custom_fields: Record<string, unknown> }>(
      t,
      "GET",
      undefined,
      undefined,
      `/api/v1/crm/contacts/${contact.body.data.id}`,
    );
    expect(stored.body.data.custom_fields).toEqual({ client_status: "active" });

    const [event] = await settingsEvents(t.tenantId);
    expect(event?.data.changes).toEqual({
      custom_fields: {
        contact: { added: ["tier"], changed: ["client_status"], removed: ["engagement_partner"] },
      },
    });
  });

  it("lead definitions too: a removed lead field leaves the tenant's leads, a new required one is enforced", async () => {
    const lead = await send<{ id: string }>(
      t,
      "POST",
      { first_name: "Lena", custom_fields: { service_line: "audit", decision_date: "2027-01-31" } },
      undefined,
      "/api/v1/crm/leads",
    );
    expect(lead.res.status, JSON.stringify(lead.body)).toBe(201);
    const leadFields = current.custom_fields.lead
      .filter((f) => f.key !== "decision_date")
      .concat([{ key: "referrer", label: "Referrer", type: "text", required: true, options: [] }]);
    const { res, body } = await send(t, "PATCH", { custom_fields: { lead: leadFields } });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.data.custom_fields.contact).toEqual(current.custom_fields.contact);
    const stored = await send<{ custom_fields: Record<string, unknown> }>(
      t,
      "GET",
      undefined,
      undefined,
      `/api/v1/crm/leads/${lead.body.data.id}`,
    );
    expect(stored.body.data.custom_fields).toEqual({ service_line: "audit" });
    const missing = await send(
      t,
      "POST",
      { first_name: "Lou", custom_fields: { service_line: "tax" } },
      undefined,
      "/api/v1/crm/leads",
    );
    expect(missing.res.status).toBe(400);
    expect(fieldsOf(missing.body)).toEqual(["custom_fields.referrer"]);
  });

  it("renames, reorders, adds and removes stages", async () => {
    const pipeline = [
      { key: "proposal", name: "Proposal sent", probability: 40 },
      { key: "discovery", name: "Discovery", probability: 10 },
      { key: "legal-review", name: "Legal review", probability: 75 },
      { key: "won", name: "Won", probability: 100, terminal: "won" },
      { key: "lost", name: "Lost", probability: 0, terminal: "lost" },
    ];
    const { res, body } = await send(t, "PATCH", { pipeline });
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.data.pipeline).toEqual(pipeline.map((s) => ({ terminal: null, ...s })));
    const [event] = await settingsEvents(t.tenantId);
    expect(event?.data.changes).toEqual({
      pipeline: {
        added: ["legal-review"],
        changed: ["proposal"],
        removed: ["negotiation", "contract-sent"],
        reordered: true,
      },
    });
    // The new first open stage is where an opportunity goes by default.
    const opportunity = await send<{ stage: string }>(
      t,
      "POST",
      { name: "Deal" },
      undefined,
      "/api/v1/crm/opportunities",
    );
    expect(opportunity.body.data.stage).toBe("proposal");
  });

  it("refuses removing a stage opportunities are in: 409 naming it and how many", async () => {
    const deal = await send<{ id: string }>(
      t,
      "POST",
      { name: "Deal", stage: "negotiation" },
      undefined,
      "/api/v1/crm/opportunities",
    );
    expect(deal.res.status).toBe(201);
    const pipeline = current.pipeline.filter((s) => s.key !== "negotiation");
    const { res, body } = await send(t, "PATCH", { pipeline, name: "Not Applied" });
    expect(res.status).toBe(409);
    expect(body.errors?.[0]).toMatchObject({ code: "CONFLICT", field: "pipeline" });
    expect(body.errors?.[0]?.message).toContain("negotiation");
    expect(body.errors?.[0]?.message).toContain("1 opportunity");
    // Nothing of the PATCH was applied, the name included.
    const after = (await send(t, "GET")).body.data;
    expect(after.pipeline).toEqual(current.pipeline);
    expect(after.name).toBe("Settings Ltd");
    expect(await settingsEvents(t.tenantId)).toHaveLength(0);

    // Moved away, the stage can go.
    await send(
      t,
      "PATCH",
      { stage: "proposal" },
      undefined,
      `/api/v1/crm/opportunities/${deal.body.data.id}`,
    );
    expect((await send(t, "PATCH", { pipeline })).res.status).toBe(200);
  });

  it.each([
    ["a duplicate stage key", "duplicate-key", "pipeline"],
    ["two won stages", "two-won", "pipeline"],
    ["a won stage before an open one", "won-first", "pipeline"],
    ["a duplicate field key", "duplicate", "custom_fields.contact"],
    ["an enum without options", "enum-empty", "custom_fields.contact.0.options"],
    ["options on a text field", "text-options", "custom_fields.contact.0.options"],
    ["an unknown type", "bad-type", "custom_fields.contact.0.type"],
    ["a key that is not snake_case", "bad-key", "custom_fields.contact.0.key"],
  ])("refuses %s with 400 naming the field", async (_label, which, field) => {
    const stages = current.pipeline;
    const bodies: Record<string, unknown> = {
      "duplicate-key": { pipeline: [stages[0], ...stages] },
      "two-won": { pipeline: [...stages.slice(0, -1), { ...stages.at(-2), key: "won-again" }] },
      "won-first": { pipeline: [...stages.slice(-2), ...stages.slice(0, -2)] },
      duplicate: {
        custom_fields: {
          contact: [
            { key: "a", label: "A", type: "text" },
            { key: "a", label: "B", type: "text" },
          ],
        },
      },
      "enum-empty": { custom_fields: { contact: [{ key: "a", label: "A", type: "enum" }] } },
      "text-options": {
        custom_fields: { contact: [{ key: "a", label: "A", type: "text", options: ["x"] }] },
      },
      "bad-type": { custom_fields: { contact: [{ key: "a", label: "A", type: "json" }] } },
      "bad-key": { custom_fields: { contact: [{ key: "A-b", label: "A", type: "text" }] } },
    };
    const { res, body } = await send(t, "PATCH", bodies[which]);
    expect(res.status).toBe(400);
    expect(body.errors?.[0]?.code).toBe("VALIDATION_ERROR");
    expect(fieldsOf(body)).toContain(field);
  });

  it("refuses an unknown part, an empty body, and a stage whose terminal would change", async () => {
    const unknown = await send(t, "PATCH", { currency: "USD" });
    expect(unknown.res.status).toBe(400);
    expect(unknown.body.errors?.[0]?.message).toContain("currency");
    expect((await send(t, "PATCH", {})).res.status).toBe(400);
    const lost = current.pipeline.findIndex((s) => s.key === "lost");
    const won = current.pipeline.findIndex((s) => s.key === "won");
    // Swap which stage is won and which lost (probabilities follow): terminal changes, refused.
    const swapped = current.pipeline.map((s, i) =>
      i === won
        ? { ...s, terminal: "lost", probability: 0 }
        : i === lost
          ? { ...s, terminal: "won", probability: 100 }
          : s,
    );
    const terminal = await send(t, "PATCH", { pipeline: swapped });
    expect(terminal.res.status).toBe(400);
    expect(fieldsOf(terminal.body)).toEqual([`pipeline.${won}.terminal`, `pipeline.${lost}.terminal`]);
  });

  it("concurrent PATCHes never mix: each one that succeeds applied its whole list, the others are 409", async () => {
    const lists = [1, 2, 3, 4].map((n) => [
      {
        key: "client_status",
        label: "Status",
        type: "enum",
        required: true,
        options: ["prospect", "active"],
      },
      { key: `field_${n}`, label: `Field ${n}`, type: "text" },
    ]);
    const token = await tokenOf(t);
    const answers = await Promise.all(
      lists.map((contact) => send(t, "PATCH", { custom_fields: { contact } }, token)),
    );
    const statuses = answers.map((a) => a.res.status);
    for (const status of statuses) expect([200, 409]).toContain(status);
    const ok = answers.filter((a) => a.res.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const lost of answers.filter((a) => a.res.status === 409)) {
      expect(lost.body.errors?.[0]?.message).toContain("read them again");
    }
    // The final list is exactly one request's list, and each success emitted one event.
    const final = (await send(t, "GET")).body.data.custom_fields.contact.map((f) => f.key);
    expect(lists.map((l) => l.map((f) => f.key).sort())).toContainEqual(final.sort());
    expect(await settingsEvents(t.tenantId)).toHaveLength(ok.length);
  });

  it("a tenant without an industry may be renamed but gets no fields or pipeline (409)", async () => {
    const bare = await freshTenant(null);
    expect((await send(bare, "PATCH", { name: "Bare Renamed" })).res.status).toBe(200);
    const fields = await send(bare, "PATCH", {
      custom_fields: { contact: [{ key: "a", label: "A", type: "text" }] },
    });
    expect(fields.res.status).toBe(409);
  });

  it("a contact write right after a PATCH that makes a field required is checked against the new definition", async () => {
    // Warm whatever this isolate may keep: a contact write under the old definitions.
    const before = await send(
      t,
      "POST",
      { first_name: "Ada", custom_fields: { client_status: "active" } },
      undefined,
      "/api/v1/crm/contacts",
    );
    expect(before.res.status).toBe(201);
    const contact = current.custom_fields.contact.map((f) =>
      f.key === "engagement_partner" ? { ...f, required: true } : f,
    );
    expect((await send(t, "PATCH", { custom_fields: { contact } })).res.status).toBe(200);
    const after = await send(
      t,
      "POST",
      { first_name: "Bo", custom_fields: { client_status: "active" } },
      undefined,
      "/api/v1/crm/contacts",
    );
    expect(after.res.status).toBe(400);
    expect(fieldsOf(after.body)).toEqual(["custom_fields.engagement_partner"]);
    const lead = await send(
      t,
      "POST",
      { first_name: "Cy", custom_fields: { client_status: "active", engagement_partner: "Ines" } },
      undefined,
      "/api/v1/crm/contacts",
    );
    expect(lead.res.status).toBe(201);
  });

  it("emits tenant.settings_updated, in the event log and the outbox, and audits the change", async () => {
    const { body } = await send(t, "PATCH", { name: "Evented" });
    const log = await send<
      { event_type: string; data: { settings: Settings; changes: unknown }; metadata: { user_id: string } }[]
    >(t, "GET", undefined, undefined, "/api/v1/events?event_type=tenant.settings_updated");
    expect(log.res.status).toBe(200);
    expect(log.body.data).toHaveLength(1);
    expect(log.body.data[0]).toMatchObject({
      event_type: "tenant.settings_updated",
      data: {
        settings: { name: "Evented", id: t.tenantId },
        changes: { name: { from: "Settings Ltd", to: "Evented" } },
      },
      metadata: { user_id: t.ownerId },
    });
    expect(log.body.data[0]?.data.settings.updated_at).toBe(body.data.updated_at);
    const audit = await send<{ action: string; target_id: string; details: Record<string, unknown> }[]>(
      t,
      "GET",
      undefined,
      undefined,
      "/api/v1/iam/audit?action=tenant.settings_updated",
    );
    expect(audit.res.status).toBe(200);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({ target_id: t.tenantId, details: { changed: "name" } });
  });
});

describe("the OpenAPI document", () => {
  it("documents both routes with their permissions and the PATCH body's examples", async () => {
    const doc = (await (await call("/openapi.json", { token: null })).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const item = doc.paths[PATH];
    expect(item?.get?.["x-permission"]).toBe("tenant.settings.read");
    expect(item?.patch?.["x-permission"]).toBe("tenant.settings.write");
    const body = item?.patch?.requestBody as {
      content: Record<string, { examples: Record<string, { value: unknown }> }>;
    };
    const examples = body.content["application/json"]?.examples ?? {};
    expect(Object.keys(examples)).toEqual(["rename", "fields", "pipeline"]);
    // Each documented example works as it is, on a tenant of the preset the examples are written for.
    for (const [name, example] of Object.entries(examples)) {
      const t = await freshTenant();
      const { res, body: answer } = await send(t, "PATCH", example.value);
      expect(res.status, `${name}: ${JSON.stringify(answer)}`).toBe(200);
    }
  });
});

describe("who may read and change the settings", () => {
  it.each(["Owner", "Admin"])("%s may read and change them", async (role) => {
    const t = await freshTenant();
    const token = await tokenOf(t, role);
    expect((await send(t, "GET", undefined, token)).res.status).toBe(200);
    expect((await send(t, "PATCH", { name: `By ${role}` }, token)).res.status).toBe(200);
  });

  it.each(["Manager", "Member", "Viewer"])("%s may read them but not change them (403)", async (role) => {
    const t = await freshTenant();
    const token = await tokenOf(t, role);
    expect((await send(t, "GET", undefined, token)).res.status).toBe(200);
    const { res, body } = await send(t, "PATCH", { name: `By ${role}` }, token);
    expect(res.status).toBe(403);
    expect(body.errors?.[0]?.message).toContain("tenant.settings.write");
  });

  it("Guest may neither read nor change them", async () => {
    const t = await freshTenant();
    const token = await tokenOf(t, "Guest");
    expect((await send(t, "GET", undefined, token)).res.status).toBe(403);
    expect((await send(t, "PATCH", { name: "By Guest" }, token)).res.status).toBe(403);
  });

  it("scopes: reading takes crm:read, changing iam:write", async () => {
    const t = await freshTenant();
    expect((await send(t, "GET", undefined, await tokenOf(t, "Owner", "crm:read"))).res.status).toBe(200);
    expect(
      (await send(t, "GET", undefined, await tokenOf(t, "Owner", "iam:read iam:write"))).res.status,
    ).toBe(403);
    expect(
      (await send(t, "PATCH", { name: "Scoped" }, await tokenOf(t, "Owner", "crm:write"))).res.status,
    ).toBe(403);
    expect(
      (await send(t, "PATCH", { name: "Scoped" }, await tokenOf(t, "Owner", "iam:write"))).res.status,
    ).toBe(200);
  });
});

async function settingsEvents(tenantId: string) {
  return (
    (await ownerSql().query(
      `select payload from outbox_events where tenant_id = $1 and event_type = 'tenant.settings_updated' order by created_at`,
      [tenantId],
    )) as { payload: { data: { settings: Settings; changes: unknown } } }[]
  ).map((r) => r.payload);
}
