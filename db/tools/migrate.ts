import { fileURLToPath } from "node:url";
import { neon, neonConfig } from "@neondatabase/serverless";
import { readMigrationFiles } from "drizzle-orm/migrator";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../migrations", import.meta.url));

export interface MigrateOptions {
  /** A role that may create tables and roles (the region's owner/superuser), never the app role. */
  url: string;
  /** SQL-over-HTTP endpoint (the region's gateway); Neon's own when omitted. */
  httpEndpoint?: string;
  log?: (line: string) => void;
}

/**
 * Applies drizzle-kit's SQL migrations over Neon's HTTP protocol, each migration in one atomic
 * batch together with its journal row, so a failed migration leaves nothing half-applied. The
 * journal is drizzle's own (`drizzle.__drizzle_migrations`), so drizzle-kit tooling agrees.
 */
export async function migrateDatabase(options: MigrateOptions): Promise<{ applied: string[] }> {
  if (options.httpEndpoint) neonConfig.fetchEndpoint = options.httpEndpoint;
  const sql = neon(options.url);
  const log = options.log ?? (() => {});

  await sql.transaction([
    sql`create schema if not exists drizzle`,
    sql`create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint)`,
  ]);
  const done = new Set(
    ((await sql`select hash from drizzle.__drizzle_migrations`) as { hash: string }[]).map((r) => r.hash),
  );

  const applied: string[] = [];
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  for (const [index, migration] of migrations.entries()) {
    if (done.has(migration.hash)) continue;
    const statements = migration.sql.map((s) => s.trim()).filter(Boolean);
    await sql.transaction([
      ...statements.map((statement) => sql.query(statement)),
      sql`insert into drizzle.__drizzle_migrations (hash, created_at) values (${migration.hash}, ${migration.folderMillis})`,
    ]);
    applied.push(`#${index} (${statements.length} statements)`);
    log(`migration ${index + 1}/${migrations.length} applied`);
  }
  return { applied };
}
