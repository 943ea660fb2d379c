import { describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../db/client";
import { presetObjectStatements } from "../../db/preset-objects";
import { presetById } from "../../db/presets";
import { tenantBatch } from "../../db/tenant-batch";
import { TEST_TENANTS } from "../support/tenants";
import { ownerSql } from "./outbox-helpers";

const databaseUrl = (user: string) => `postgres://${user}@127.0.0.1:5432/${inject("databaseName")}`;

/** The Workers' own database object, as activation uses it (row-level security applies). */
const appDatabase = () =>
  createDatabase({ url: databaseUrl("nexus_app:nexus_app"), httpEndpoint: `${inject("gatewayUrl")}/sql` });

async function objectsOf(tenantId: string) {
  const sql = ownerSql();
  const stages = (await sql`
    select stage_key, name, probability, terminal, position from pipeline_stages
    where tenant_id = ${tenantId} order by position`) as Record<string, unknown>[];
  const fields = (await sql`
    select entity, field_key, label, type, required, options from custom_field_definitions
    where tenant_id = ${tenantId} order by entity, field_key`) as Record<string, unknown>[];
  return { stages, fields };
}

const professionalServices = presetById("professional-services")!;

describe("preset objects", () => {
  it("the seed gave a tenant with an industry its preset's pipeline and fields, in order", async () => {
    const [tenant] = await ownerSql()`select industry from tenants where id = ${TEST_TENANTS.d.tenantId}`;
    expect(tenant).toEqual({ industry: "professional-services" });
    const { stages, fields } = await objectsOf(TEST_TENANTS.d.tenantId);
    expect(stages).toEqual(
      professionalServices.pipeline.map((s, position) => ({
        stage_key: s.id,
        name: s.name,
        probability: s.probability,
        terminal: s.terminal ?? null,
        position,
      })),
    );
    expect(fields).toContainEqual({
      entity: "lead",
      field_key: "service_line",
      label: "Service line",
      type: "enum",
      required: true,
      options: ["advisory", "audit", "legal", "tax", "implementation"],
    });
    expect(fields).toHaveLength(
      professionalServices.customFields.contact.length + professionalServices.customFields.lead.length,
    );
  });

  it("a tenant without an industry has none", async () => {
    expect(await objectsOf(TEST_TENANTS.a.tenantId)).toEqual({ stages: [], fields: [] });
  });

  it("running the statements twice (as the app role, in a tenant batch) leaves exactly one set", async () => {
    const tenantId = crypto.randomUUID();
    await ownerSql()`insert into tenants (id, name, slug, region, country, industry, default_currency)
      values (${tenantId}, 'Twice Ltd', ${`twice-${tenantId}`}, 'eu', 'DE', 'professional-services', 'EUR')`;
    const db = appDatabase();
    await tenantBatch(db, tenantId, presetObjectStatements(db, tenantId, professionalServices));
    const once = await objectsOf(tenantId);
    await tenantBatch(db, tenantId, presetObjectStatements(db, tenantId, professionalServices));
    expect(await objectsOf(tenantId)).toEqual(once);
    expect(once.stages).toHaveLength(professionalServices.pipeline.length);
    // The seeded tenant, re-run: still one set.
    const before = await objectsOf(TEST_TENANTS.d.tenantId);
    await tenantBatch(
      db,
      TEST_TENANTS.d.tenantId,
      presetObjectStatements(db, TEST_TENANTS.d.tenantId, professionalServices),
    );
    expect(await objectsOf(TEST_TENANTS.d.tenantId)).toEqual(before);
  });

  it("row-level security keeps them to their tenant", async () => {
    const db = appDatabase();
    // Statements for tenant a's id sent under tenant d's setting: the policy refuses the rows.
    await expect(
      tenantBatch(
        db,
        TEST_TENANTS.d.tenantId,
        presetObjectStatements(db, TEST_TENANTS.a.tenantId, professionalServices),
      ),
    ).rejects.toThrow();
    expect(await objectsOf(TEST_TENANTS.a.tenantId)).toEqual({ stages: [], fields: [] });
  });
});
