import pg from "pg";
import type { DemoTenant } from "../../db/seed/demo";
import { migrateDatabase } from "../../db/tools/migrate";
import { seedTenant } from "../../db/tools/seed";
import { ownerUrl, PG_HOST, PG_PORT, PG_SUPERUSER } from "../../test/support/postgres";
import type { RateLimitOverrides } from "../../workers/api/limits/policies";

const OUT_OF_REACH = { limit: 100_000_000, window_seconds: 3600 };
const NEVER_REACHED: RateLimitOverrides = {
  tenant: OUT_OF_REACH,
  user: OUT_OF_REACH,
  ip: OUT_OF_REACH,
  burst: OUT_OF_REACH,
};

/** The burst-accuracy run's limit: its tenant allows this many requests per hour. */
export const BURST_LIMIT = 500;

/**
 * Fixed ids, so a kept database (--keep) or a log line is recognisable as the benchmark's. Every
 * limit is counted but out of reach: the load measures the limiter's cost, never its refusals.
 */
export const BENCH_TENANT: DemoTenant = {
  rateLimits: NEVER_REACHED,
  tenantId: "be5c0000-0000-4000-8000-000000000001",
  ownerId: "be5c0000-0000-4000-8000-0000000000a1",
  ownerEmail: "owner@bench.example",
  ownerName: "Bench Owner",
  name: "Bench Ltd",
  slug: "bench",
  country: "DE",
  currency: "EUR",
  // Free-form custom fields: the figures stay comparable with earlier runs.
  industry: null,
};

/** Limited to BURST_LIMIT per hour on the tenant layer, everything else out of reach. */
export const BURST_TENANT: DemoTenant = {
  tenantId: "be5c0000-0000-4000-8000-000000000002",
  ownerId: "be5c0000-0000-4000-8000-0000000000a2",
  ownerEmail: "owner@bench-burst.example",
  ownerName: "Burst Owner",
  name: "Burst Ltd",
  slug: "bench-burst",
  country: "DE",
  currency: "EUR",
  industry: null,
  rateLimits: { ...NEVER_REACHED, tenant: { limit: BURST_LIMIT, window_seconds: 3600 } },
};

/** Contact creates of the peer comparison go here, so the bench tenant's first page never changes. */
export const CREATE_TENANT: DemoTenant = {
  tenantId: "be5c0000-0000-4000-8000-000000000003",
  ownerId: "be5c0000-0000-4000-8000-0000000000a3",
  ownerEmail: "owner@bench-create.example",
  ownerName: "Create Owner",
  name: "Create Ltd",
  slug: "bench-create",
  country: "DE",
  currency: "EUR",
  industry: null,
  rateLimits: NEVER_REACHED,
};

export const EXTRA_CONTACTS = 1_000;

export async function asSuperuser<T>(database: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: PG_HOST, port: PG_PORT, user: PG_SUPERUSER, database });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/**
 * Migrates through the gateway, as `npm run db:migrate` does against a region, so the schema
 * (RLS policies, the nexus_app role's grants) is exactly what the Worker meets in production.
 */
export async function migrateAndSeed(database: string, gatewayUrl: string): Promise<void> {
  const httpEndpoint = `${gatewayUrl}/sql`;
  await migrateDatabase({ url: ownerUrl(database), httpEndpoint });
  for (const tenant of [BENCH_TENANT, BURST_TENANT, CREATE_TENANT]) {
    await seedTenant({ url: ownerUrl(database), httpEndpoint, region: "eu" }, tenant);
  }
}

/**
 * Bulk contacts in one statement as the superuser (which bypasses RLS): going through the API
 * would take a minute and measure writes we are not benchmarking. Distinct created_at values
 * make the newest-first page deterministic. Returns the tenant's live contact count.
 */
export async function insertContacts(database: string, tenantId: string, count: number): Promise<number> {
  return asSuperuser(database, async (client) => {
    await client.query(
      `insert into contacts (tenant_id, first_name, last_name, email, company, job_title, tags, custom_fields, created_at, updated_at)
       select $1::uuid, 'Bench', 'Contact ' || n, 'bench-' || n || '@example.com', 'Bench Co', 'Tester',
              array['bench', 'load'], jsonb_build_object('n', n), now() - make_interval(secs => n), now() - make_interval(secs => n)
       from generate_series(1, $2::int) as n`,
      [tenantId, count],
    );
    // Fresh statistics so the planner picks the (tenant_id, created_at desc, id desc) index at once.
    await client.query("analyze contacts");
    const { rows } = await client.query<{ n: string }>(
      "select count(*) as n from contacts where tenant_id = $1 and not is_deleted",
      [tenantId],
    );
    return Number(rows[0]?.n ?? 0);
  });
}

export async function postgresVersion(): Promise<string> {
  return asSuperuser("postgres", async (client) => {
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v");
    return rows[0]?.v ?? "unknown";
  });
}
