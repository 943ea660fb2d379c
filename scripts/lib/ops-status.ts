import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { MIGRATIONS_FOLDER } from "../../db/tools/migrate";
import { type RegionAccess, regionSql } from "./ops-regions";

export interface MigrationStatus {
  region: string;
  applied: number;
  total: number;
  pending: string[];
  /** Journal rows no migration file of this checkout has (a newer deployment ran them). */
  unknown: number;
  error?: string;
}

/** Which of this checkout's migrations a region's database has (drizzle's journal, by hash). */
export async function migrationStatus(access: RegionAccess): Promise<MigrationStatus> {
  const files = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8")) as {
    entries: { idx: number; tag: string }[];
  };
  try {
    const rows = await regionSql(access)<{ hash: string }>("select hash from drizzle.__drizzle_migrations");
    const done = new Set(rows.map((r) => r.hash));
    const known = new Set(files.map((f) => f.hash));
    const pending = files.flatMap((f, i) => (done.has(f.hash) ? [] : [journal.entries[i]?.tag ?? `#${i}`]));
    return {
      region: access.region,
      applied: files.length - pending.length,
      total: files.length,
      pending,
      unknown: [...done].filter((h) => !known.has(h)).length,
    };
  } catch (error) {
    return {
      region: access.region,
      applied: 0,
      total: files.length,
      pending: [],
      unknown: 0,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

export interface HealthSummary {
  region: string;
  url: string;
  status: string;
  version?: string;
  dependencies: Record<string, string>;
  latency_ms: number;
  error?: string;
}

/** A region's GET /health, reduced to one line's worth; unreachable counts as `down`. */
export async function healthOf(access: RegionAccess): Promise<HealthSummary> {
  const started = performance.now();
  try {
    const response = await fetch(`${access.baseUrl}/health`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as {
      status?: string;
      version?: string;
      dependencies?: Record<string, { status?: string; error?: string }>;
    };
    return {
      region: access.region,
      url: access.baseUrl,
      status: body.status ?? `HTTP ${response.status}`,
      ...(body.version ? { version: body.version } : {}),
      dependencies: Object.fromEntries(
        Object.entries(body.dependencies ?? {}).map(([name, d]) => [
          name,
          d.error ? `${d.status} (${d.error})` : `${d.status}`,
        ]),
      ),
      latency_ms: Math.round(performance.now() - started),
    };
  } catch (error) {
    return {
      region: access.region,
      url: access.baseUrl,
      status: "down",
      dependencies: {},
      latency_ms: Math.round(performance.now() - started),
      error: (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message,
    };
  }
}
