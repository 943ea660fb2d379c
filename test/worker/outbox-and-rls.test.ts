import { neon, neonConfig } from "@neondatabase/serverless";
import { describe, expect, inject, it } from "vitest";
import { REGION_WIDE_TABLES } from "../../regions/postgres-ha/database-checks";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope } from "./helpers";

/** Straight to the database through the same gateway the Worker uses, behind the API's back. */
function database(role: "owner" | "app") {
  neonConfig.fetchEndpoint = `${inject("gatewayUrl")}/sql`;
  const user = role === "owner" ? "postgres" : "nexus_app:nexus_app";
  return neon(`postgres://${user}@127.0.0.1:5432/${inject("databaseName")}`);
}

describe("outbox", () => {
  it("writes contact.created|updated|deleted events in the platform schema", async () => {
    const created = await envelope<{ id: string }>(
      await call("/api/v1/crm/contacts", {
        method: "POST",
        json: { first_name: "Evented" },
        headers: { "X-Request-Id": "corr-1234-abcd" },
      }),
    );
    const id = created.data.id;
    await call(`/api/v1/crm/contacts/${id}`, {
      method: "PUT",
      json: { first_name: "Evented", last_name: "Twice" },
    });
    await call(`/api/v1/crm/contacts/${id}`, { method: "DELETE" });

    const rows = (await database("owner").query(
      "select event_type, tenant_id, payload from outbox_events where payload->'data'->>'id' = $1 order by created_at",
      [id],
    )) as { event_type: string; tenant_id: string; payload: Record<string, any> }[];
    expect(rows.map((r) => r.event_type)).toEqual(["contact.created", "contact.updated", "contact.deleted"]);

    const first = rows[0]!.payload;
    expect(first).toMatchObject({
      event_type: "contact.created",
      tenant_id: TEST_TENANTS.a.tenantId,
      source: "crm-service",
      version: "1.0",
      data: { id, first_name: "Evented" },
      metadata: { user_id: TEST_TENANTS.a.ownerId, correlation_id: "corr-1234-abcd" },
    });
    expect(first.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first.data).not.toHaveProperty("tenant_id");
    // An event carries exactly what the API answered for that change.
    expect(first.data).toEqual(created.data);
    expect(rows[1]!.payload.data.last_name).toBe("Twice");
  });

  it("writes nothing when the change does not happen", async () => {
    const missing = crypto.randomUUID();
    expect(
      (await call(`/api/v1/crm/contacts/${missing}`, { method: "PUT", json: { first_name: "Ghost" } }))
        .status,
    ).toBe(404);
    const rows = await database("owner").query(
      "select 1 from outbox_events where payload->'data'->>'id' = $1",
      [missing],
    );
    expect(rows).toHaveLength(0);
  });
});

describe("row-level security", () => {
  it("is enabled and forced on every table with a tenant_id, each with its tenant policy", async () => {
    const tables = (await database("owner").query(`
      select c.relname as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
        exists (select 1 from pg_policies p where p.tablename = c.relname and p.policyname = 'tenant_isolation') as policy
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
      order by 1`)) as { name: string; enabled: boolean; forced: boolean; policy: boolean }[];
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(["contacts", "custom_field_definitions", "outbox_events", "pipeline_stages"]),
    );
    // Region-wide by design, like users: account links are found by their hash before any tenant
    // is known (regions/postgres-ha/database-checks.ts keeps the list; adding to it is a decision).
    for (const t of tables.filter((t) => !(REGION_WIDE_TABLES as readonly string[]).includes(t.name))) {
      expect(t, t.name).toMatchObject({ enabled: true, forced: true, policy: true });
    }
  });

  it("shows the app role only the current tenant's rows, even without a tenant filter", async () => {
    const sql = database("app");
    const [, rowsA] = await sql.transaction([
      sql`select set_config('app.tenant_id', ${TEST_TENANTS.a.tenantId}, true)`,
      sql`select distinct tenant_id from contacts`,
    ]);
    expect(rowsA).toEqual([{ tenant_id: TEST_TENANTS.a.tenantId }]);
    expect(await sql`select count(*)::int as n from contacts`).toEqual([{ n: 0 }]);
    expect(await sql`select count(*)::int as n from tenants`).toEqual([{ n: 0 }]);
  });

  it("refuses writes into another tenant", async () => {
    const sql = database("app");
    await expect(
      sql.transaction([
        sql`select set_config('app.tenant_id', ${TEST_TENANTS.a.tenantId}, true)`,
        sql`insert into contacts (tenant_id, first_name) values (${TEST_TENANTS.b.tenantId}, 'Intruder')`,
      ]),
    ).rejects.toMatchObject({ code: "42501" });
  });

  it("does not let the app role switch it off", async () => {
    const sql = database("app");
    await expect(sql`alter table contacts disable row level security`).rejects.toMatchObject({
      code: "42501",
    });
    await expect(sql`alter table contacts no force row level security`).rejects.toMatchObject({
      code: "42501",
    });
    const [, , rows] = await sql
      .transaction([
        sql`select set_config('app.tenant_id', ${TEST_TENANTS.a.tenantId}, true)`,
        sql`set local row_security = off`,
        sql`select 1 from contacts limit 1`,
      ])
      .catch((error: { code?: string }) => [null, null, error.code]);
    // With row_security off, Postgres raises rather than silently bypassing the policy.
    expect(rows).toBe("42501");
  });
});
