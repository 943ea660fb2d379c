import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { migrateDatabase } from "../../db/tools/migrate";
import { startSqlGateway } from "../sql-gateway/server";
import {
  checkMigrations,
  checksumDifferences,
  type MigrationCheck,
  migrationsHealthy,
  tableChecksums,
} from "./database-checks";
import {
  adoptDataDirectory,
  copyDirectory,
  createPrimary,
  ownedDirectory,
  type PgInstance,
  pgCommand,
  workspace,
} from "./pg-instance";

// The restore drill, locally: what the runbook does against the Lagos cluster (a new Cluster
// bootstrapped from the object store at a target time), with the same moving parts on this
// machine. A source Postgres archives its WAL to a folder (the object store's stand-in), gets
// the migrations through the SQL gateway, a base backup, writes before and after a target time;
// a second data directory is restored from the backup and the archive to that time, then checked:
// every migration, roles, row-level security, and a checksum per table against the source as it
// was at the target. It reports the achieved RPO and how long the restore took (the RTO).

export interface RestoreDrillOptions {
  /** Rows written after the base backup and before the target time (they must come back). */
  rowsBeforeTarget?: number;
  /** Rows written after the target time (they must not). */
  rowsAfterTarget?: number;
  /** Keep the workspace (data directories, archive, logs) for a look afterwards. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface RestoreDrillReport {
  ok: boolean;
  targetTime: string;
  /** Target time minus the commit time of the newest write the restore has: data lost by stopping there. */
  achievedRpoMs: number;
  /** From copying the base backup to a restored server that passed every check. */
  restoreMs: number;
  /** Of that, until the server accepted writes (recovery replayed and promoted). */
  recoveryMs: number;
  walSegmentsArchived: number;
  rowsBeforeTarget: { written: number; restored: number };
  rowsAfterTarget: { written: number; restored: number };
  migrations: MigrationCheck;
  tablesCompared: number;
  tablesDifferent: string[];
  workspace: string | null;
}

const DATABASE = "nexus";

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Forces the current WAL segment out and waits until the archiver has stored it. */
async function archiveCurrentWal(source: PgInstance): Promise<void> {
  const [switched] = await source.query<{ segment: string }>(
    "select pg_walfile_name(pg_switch_wal()) as segment",
  );
  const segment = switched?.segment ?? "";
  await waitFor(`WAL segment ${segment} to be archived`, async () => {
    const [stats] = await source.query<{ last: string | null; failed: string | null }>(
      "select last_archived_wal as last, last_failed_wal as failed from pg_stat_archiver",
    );
    if (stats?.failed && stats.failed >= segment) throw new Error(`archiving ${stats.failed} failed`);
    return stats?.last && stats.last >= segment ? true : undefined;
  });
}

async function writeProbes(source: PgInstance, phase: "before" | "after", count: number): Promise<void> {
  const client = new pg.Client({ connectionString: source.url(DATABASE) });
  await client.connect();
  try {
    // One transaction per row (autocommit): what a stream of API writes looks like to the WAL.
    for (let i = 0; i < count; i++) {
      await client.query(
        "insert into restore_drill.writes (phase, payload) values ($1, md5(random()::text))",
        [phase],
      );
    }
  } finally {
    await client.end();
  }
}

export async function runRestoreDrill(options: RestoreDrillOptions = {}): Promise<RestoreDrillReport> {
  const log = options.log ?? (() => {});
  const rowsBefore = options.rowsBeforeTarget ?? 200;
  const rowsAfter = options.rowsAfterTarget ?? 50;
  const space = await workspace("nexus-restore-drill");
  const archive = await ownedDirectory(join(space.dir, "wal-archive"));
  const started: PgInstance[] = [];
  try {
    const t0 = performance.now();
    const since = () => `${Math.round(performance.now() - t0)} ms`;
    log(`workspace ${space.dir}`);
    const source = await createPrimary({
      dir: space.dir,
      name: "source",
      settings: {
        archive_mode: "on",
        // The object store's stand-in: never overwrite a segment already archived.
        archive_command: `test ! -f '${archive}/%f' && cp '%p' '${archive}/%f'`,
        archive_timeout: "60s",
      },
    });
    started.push(source);
    log(`source Postgres on 127.0.0.1:${source.port}, archiving WAL to ${archive} (${since()})`);

    await source.query(`create database ${DATABASE}`);
    const gateway = await startSqlGateway({
      backend: { kind: "postgres", upstream: source.url() },
      log: () => {},
    });
    try {
      const { applied } = await migrateDatabase({
        url: `postgres://postgres:drill@drill.invalid/${DATABASE}`,
        httpEndpoint: `${gateway.url}/sql`,
      });
      log(`migrations applied through the SQL gateway: ${applied.length} (${since()})`);
    } finally {
      await gateway.close();
    }
    await source.query(
      `create schema restore_drill;
       create table restore_drill.writes (
         id bigserial primary key,
         phase text not null,
         payload text not null,
         committed_at timestamptz not null default clock_timestamp())`,
      [],
      DATABASE,
    );

    const base = join(space.dir, "base-backup");
    await ownedDirectory(base);
    await pgCommand("pg_basebackup", [
      "-h",
      "127.0.0.1",
      "-p",
      String(source.port),
      "-U",
      "postgres",
      "-D",
      base,
      "-X",
      "stream",
      "-c",
      "fast",
      "--label",
      "restore-drill",
      "--no-sync",
    ]);
    log(`base backup taken (${since()})`);

    await writeProbes(source, "before", rowsBefore);
    const [{ target } = { target: "" }] = await source.query<{ target: string }>(
      "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' as target",
    );
    const expected = await tableChecksums(
      (sql, params) => source.query(sql, params, DATABASE),
      ["public", "drizzle", "restore_drill"],
    );
    // Commit timestamps are microseconds; a pause keeps the later writes clearly after the target.
    await sleep(20);
    await writeProbes(source, "after", rowsAfter);
    await archiveCurrentWal(source);
    const [{ archived } = { archived: "0" }] = await source.query<{ archived: string }>(
      "select archived_count::text as archived from pg_stat_archiver",
    );
    log(
      `target time ${target}; ${rowsBefore} writes before it, ${rowsAfter} after; ${archived} WAL segments archived`,
    );

    // ── the restore: a second data directory from the base backup and the archive ──
    const restoreStarted = performance.now();
    const restoredDir = join(space.dir, "restored");
    await copyDirectory(base, restoredDir);
    const restored = await adoptDataDirectory({
      dir: space.dir,
      name: "restored",
      dataDir: restoredDir,
      signal: "recovery.signal",
      settings: {
        archive_mode: "off",
        restore_command: `cp '${archive}/%f' '%p'`,
        recovery_target_time: target,
        recovery_target_inclusive: "on",
        recovery_target_action: "promote",
      },
    });
    await restored.start();
    started.push(restored);
    await waitFor("the restored server to finish recovery", async () => {
      const [row] = await restored.query<{ recovering: boolean }>("select pg_is_in_recovery() as recovering");
      return row && !row.recovering ? true : undefined;
    });
    const recoveryMs = performance.now() - restoreStarted;

    const query = <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) =>
      restored.query<T>(sql, params, DATABASE);
    const migrations = await checkMigrations(query);
    const actual = await tableChecksums(query, ["public", "drizzle", "restore_drill"]);
    const different = checksumDifferences(expected, actual);
    const counts = await query<{ phase: string; rows: string; newest: string | null }>(
      `select phase, count(*)::text as rows, max(committed_at)::text as newest from restore_drill.writes group by phase`,
    );
    const restoreMs = performance.now() - restoreStarted;
    const restoredBefore = Number(counts.find((c) => c.phase === "before")?.rows ?? 0);
    const restoredAfter = Number(counts.find((c) => c.phase === "after")?.rows ?? 0);
    const newest = counts.find((c) => c.phase === "before")?.newest;
    const achievedRpoMs = newest
      ? Math.max(
          0,
          Date.parse(target.replace(" ", "T").replace("+00", "Z")) -
            Date.parse(newest.replace(" ", "T").replace(/\+00$/, "Z")),
        )
      : Number.NaN;

    const ok =
      migrationsHealthy(migrations) &&
      different.length === 0 &&
      restoredBefore === rowsBefore &&
      restoredAfter === 0;
    return {
      ok,
      targetTime: target,
      achievedRpoMs: Math.round(achievedRpoMs * 1000) / 1000,
      restoreMs: Math.round(restoreMs),
      recoveryMs: Math.round(recoveryMs),
      walSegmentsArchived: Number(archived),
      rowsBeforeTarget: { written: rowsBefore, restored: restoredBefore },
      rowsAfterTarget: { written: rowsAfter, restored: restoredAfter },
      migrations,
      tablesCompared: Object.keys(expected).length,
      tablesDifferent: different,
      workspace: options.keep ? space.dir : null,
    };
  } finally {
    for (const instance of started.reverse()) await instance.stop("fast").catch(() => {});
    if (!options.keep) await space.remove();
  }
}
