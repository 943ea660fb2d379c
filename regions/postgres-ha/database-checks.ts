import { readMigrationFiles } from "drizzle-orm/migrator";
import type pg from "pg";
import { MIGRATIONS_FOLDER } from "../../db/tools/migrate";

// What a restored database must show before anyone points traffic at it: every migration of this
// checkout applied (drizzle's journal, hash by hash), the roles and row-level security the
// migrations set up, and the same data as the source had at the target time (a checksum per
// table). Shared by the restore drill and, against a restored cluster, by the runbook.

type Query = <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface MigrationCheck {
  expected: number;
  applied: number;
  missing: number;
  unknown: number;
  /** Problems found beyond the journal: roles, row-level security. */
  problems: string[];
}

export async function checkMigrations(query: Query): Promise<MigrationCheck> {
  const expected = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER }).map((m) => m.hash);
  const problems: string[] = [];
  const [journal] = await query<{ exists: boolean }>(
    "select to_regclass('drizzle.__drizzle_migrations') is not null as exists",
  );
  if (!journal?.exists)
    problems.push("no migration journal (drizzle.__drizzle_migrations): not a migrated database");
  const rows = journal?.exists
    ? await query<{ hash: string }>("select hash from drizzle.__drizzle_migrations order by id")
    : [];
  const applied = new Set(rows.map((r) => r.hash));

  const roles = await query<{
    rolname: string;
    rolcanlogin: boolean;
    rolsuper: boolean;
    rolbypassrls: boolean;
  }>(
    "select rolname, rolcanlogin, rolsuper, rolbypassrls from pg_roles where rolname in ('nexus_app', 'nexus_auth')",
  );
  const app = roles.find((r) => r.rolname === "nexus_app");
  if (!app?.rolcanlogin || app.rolsuper || app.rolbypassrls) {
    problems.push("nexus_app must exist, log in, and be neither superuser nor BYPASSRLS");
  }
  if (!roles.some((r) => r.rolname === "nexus_auth")) problems.push("nexus_auth is missing");

  // Every table with a tenant_id keeps row-level security on and forced (0001, 0002), but the
  // region-wide ones that merely name a tenant: account_tokens (0022) holds invitation and reset
  // links, found by their hash before any tenant is known, like the users they belong to.
  const unprotected = await query<{ table: string }>(
    `select c.relname as table
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
      where c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
        and not (c.relrowsecurity and c.relforcerowsecurity)
        and c.relname <> all (array[${REGION_WIDE_TABLES.map((t) => `'${t}'`).join(", ")}])
      order by 1`,
  );
  for (const row of unprotected) problems.push(`row-level security is not forced on ${row.table}`);

  return {
    expected: expected.length,
    applied: expected.filter((hash) => applied.has(hash)).length,
    missing: expected.filter((hash) => !applied.has(hash)).length,
    unknown: [...applied].filter((hash) => !expected.includes(hash)).length,
    problems,
  };
}

/** Tables that name a tenant but are region-wide by design (no row-level security). */
export const REGION_WIDE_TABLES = ["account_tokens"] as const;

export function migrationsHealthy(check: MigrationCheck): boolean {
  return check.missing === 0 && check.unknown === 0 && check.problems.length === 0;
}

/** Row count and an md5 of every row's text, in a stable order, per table of these schemas. */
export async function tableChecksums(
  query: Query,
  schemas: string[] = ["public", "drizzle"],
): Promise<Record<string, { rows: number; md5: string }>> {
  const tables = await query<{ schema: string; table: string }>(
    `select table_schema as schema, table_name as table from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema = any($1) order by 1, 2`,
    [schemas],
  );
  const result: Record<string, { rows: number; md5: string }> = {};
  for (const { schema, table } of tables) {
    const name = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    const [row] = await query<{ rows: string; md5: string | null }>(
      `select count(*) as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as md5 from ${name} t`,
    );
    result[`${schema}.${table}`] = { rows: Number(row?.rows ?? 0), md5: row?.md5 ?? "" };
  }
  return result;
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Tables whose checksum differs, or that exist on one side only. */
export function checksumDifferences(
  source: Record<string, { rows: number; md5: string }>,
  restored: Record<string, { rows: number; md5: string }>,
): string[] {
  const names = new Set([...Object.keys(source), ...Object.keys(restored)]);
  return [...names]
    .filter(
      (name) => source[name]?.md5 !== restored[name]?.md5 || source[name]?.rows !== restored[name]?.rows,
    )
    .sort();
}
