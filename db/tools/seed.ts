import { neon, neonConfig } from "@neondatabase/serverless";
import type { RegionId } from "../../regions/registry";
import { hashPassword } from "../../workers/api/auth/credentials/password";
import { createDatabase } from "../client";
import { presetObjectStatements } from "../preset-objects";
import { presetById } from "../presets";
import type { Preset } from "../presets/preset-schema";
import { SYSTEM_ROLES } from "../schema/memberships";
import { DEMO_PASSWORD, DEMO_TENANTS, type DemoTenant, demoRoleUser } from "../seed/demo";
import { tenantBatch } from "../tenant-batch";

export interface SeedOptions {
  /** Owner/superuser connection: seeding writes across the tenant wall on purpose. */
  url: string;
  httpEndpoint?: string;
  region: RegionId;
}

const DEMO_CONTACTS = [
  { first: "Amara", last: "Okafor", email: "amara@example.com", company: "Okafor Foods" },
  { first: "Lukas", last: "Meyer", email: "lukas@example.com", company: "Meyer Logistik" },
  { first: "Chiamaka", last: "Eze", email: "chiamaka@example.com", company: "Eze Clinics" },
] as const;

type ContactField = Preset["customFields"]["contact"][number];

/** A valid value for a field, varied by contact so the demo data is not all alike. */
function sampleValue(field: ContactField, index: number): unknown {
  switch (field.type) {
    case "enum":
      return field.options?.[index % field.options.length];
    case "text":
      return "Demo";
    case "number":
      return index;
    case "boolean":
      return index % 2 === 0;
    case "date":
      return "2026-01-15";
  }
}

/**
 * The seeded contacts of a tenant, with a value for every contact field its preset requires: the
 * demo data passes the same checks (workers/api/services/custom-fields.ts) as a user's writes.
 */
export function demoContacts(preset: Preset | undefined) {
  return DEMO_CONTACTS.map((contact, index) => ({
    ...contact,
    customFields: Object.fromEntries(
      (preset?.customFields.contact ?? [])
        .filter((f) => f.required)
        .map((f) => [f.key, sampleValue(f, index)]),
    ),
  }));
}

/**
 * Idempotent: the demo tenant of `region` (with its industry preset's pipeline and custom fields),
 * its six system roles, its owner and three contacts.
 */
export function seedDemo(options: SeedOptions): Promise<void> {
  return seedTenant(options, DEMO_TENANTS[options.region]);
}

/**
 * Idempotent: a tenant with fixed ids, its six system roles, its owner and one member per other
 * role (all with DEMO_PASSWORD), three contacts, and when it has an industry that preset's
 * pipeline stages and custom field definitions.
 */
export async function seedTenant(options: SeedOptions, demo: DemoTenant): Promise<void> {
  if (options.httpEndpoint) neonConfig.fetchEndpoint = options.httpEndpoint;
  const preset = demo.industry === null ? undefined : presetById(demo.industry);
  if (demo.industry !== null && !preset) throw new Error(`${demo.slug}: no preset ${demo.industry}`);
  const sql = neon(options.url);
  // Fixed ids derived from the tenant's, so re-running the seed changes nothing.
  const derivedId = (suffix: string) => `${demo.tenantId.slice(0, -4)}${suffix}`;
  const roleId = (index: number) => derivedId(String(index).padStart(4, "0"));
  const ownerRoleId = roleId(SYSTEM_ROLES.indexOf("Owner"));
  // One hash for all of them: seeding stays fast, and these are development accounts.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const roleUsers = SYSTEM_ROLES.map((role, i) => ({ role, i }))
    .filter(({ role }) => role !== "Owner")
    .map(({ role, i }) => ({ ...demoRoleUser(demo, role, i), roleId: roleId(i) }));

  await sql.transaction([
    // A tenant seeded before it had an industry gets one; an industry already set is kept.
    sql`insert into tenants (id, name, slug, region, country, tier, status, industry, default_currency, rate_limits)
        values (${demo.tenantId}, ${demo.name}, ${demo.slug}, ${options.region}, ${demo.country}, 'professional', 'active', ${demo.industry}, ${demo.currency}, ${JSON.stringify(demo.rateLimits ?? {})}::jsonb)
        on conflict (id) do update set industry = coalesce(tenants.industry, excluded.industry)`,
    sql`insert into users (id, email, name, password_hash) values (${demo.ownerId}, ${demo.ownerEmail}, ${demo.ownerName}, ${passwordHash})
        on conflict (id) do nothing`,
    ...SYSTEM_ROLES.map(
      (role, i) =>
        sql`insert into roles (id, tenant_id, name, is_system)
            values (${roleId(i)}, ${demo.tenantId}, ${role}, true)
            on conflict (id) do nothing`,
    ),
    sql`insert into memberships (tenant_id, user_id, role_id) values (${demo.tenantId}, ${demo.ownerId}, ${ownerRoleId})
        on conflict do nothing`,
    ...roleUsers.flatMap((u) => [
      sql`insert into users (id, email, name, password_hash) values (${u.id}, ${u.email}, ${u.name}, ${passwordHash})
          on conflict (id) do nothing`,
      sql`insert into memberships (tenant_id, user_id, role_id) values (${demo.tenantId}, ${u.id}, ${u.roleId})
          on conflict do nothing`,
    ]),
    // A contact seeded before its tenant's preset required fields gets them; one with fields is kept.
    ...demoContacts(preset).map(
      (c, i) =>
        sql`insert into contacts (id, tenant_id, first_name, last_name, email, company, tags, custom_fields)
            values (${derivedId(`c00${i}`)}, ${demo.tenantId}, ${c.first}, ${c.last}, ${c.email}, ${c.company}, ${["demo"]}, ${JSON.stringify(c.customFields)}::jsonb)
            on conflict (id) do update set custom_fields = excluded.custom_fields
              where contacts.custom_fields = '{}'::jsonb`,
    ),
  ]);
  // After the tenant row exists; idempotent like the rest, so a seed stopped in between is
  // completed by the next run.
  if (preset) {
    const db = createDatabase({ url: options.url, httpEndpoint: options.httpEndpoint });
    await tenantBatch(db, demo.tenantId, presetObjectStatements(db, demo.tenantId, preset));
  }
}
