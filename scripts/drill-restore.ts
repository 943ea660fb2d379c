/**
 * The restore drill on this machine (docs/runbooks/lagos-postgres.md, "Drill"):
 *
 *   npm run drill:restore [-- --rows 200 --rows-after 50 --keep --json]
 *
 * Starts its own Postgres instances from the machine's binaries (PG_BIN, default
 * /usr/lib/postgresql/15/bin) in a temporary directory on free loopback ports, never the
 * machine's cluster: WAL archiving to a folder, the migrations, a base backup, writes around a
 * target time, point-in-time recovery into a second data directory, then the checks. Prints the
 * achieved RPO and the restore time; exits 1 when any check fails.
 *
 *   npm run drill:restore -- --check <postgres-url> [--against <postgres-url>]
 *
 * Runs only the checks against a database restored elsewhere (the runbook's restored cluster):
 * the migrations' checks, and per-table checksums compared with `--against` when given.
 */
import { parseArgs } from "node:util";
import pg from "pg";
import { z } from "zod";
import {
  checkMigrations,
  checksumDifferences,
  migrationsHealthy,
  tableChecksums,
} from "../regions/postgres-ha/database-checks";
import { runRestoreDrill } from "../regions/postgres-ha/restore-drill";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200" },
    "rows-after": { type: "string", default: "50" },
    keep: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    check: { type: "string" },
    against: { type: "string" },
  },
});

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

if (values.check !== undefined) {
  const checked = await withClient(values.check, async (client) => {
    const query = async <T extends pg.QueryResultRow>(sql: string, params?: unknown[]) =>
      (await client.query<T>(sql, params)).rows;
    return { migrations: await checkMigrations(query), checksums: await tableChecksums(query) };
  });
  const reference = values.against
    ? await withClient(values.against, (client) =>
        tableChecksums(async (sql, params) => (await client.query(sql, params)).rows),
      )
    : undefined;
  const different = reference ? checksumDifferences(reference, checked.checksums) : [];
  const ok = migrationsHealthy(checked.migrations) && different.length === 0;
  console.log(
    JSON.stringify({ ok, ...checked, ...(reference ? { tablesDifferent: different } : {}) }, null, 2),
  );
  process.exit(ok ? 0 : 1);
}
const args = z
  .object({
    rows: z.coerce.number().int().min(1).max(100_000),
    rowsAfter: z.coerce.number().int().min(1).max(100_000),
  })
  .safeParse({ rows: values.rows, rowsAfter: values["rows-after"] });
if (!args.success) {
  console.error(`drill:restore: ${z.prettifyError(args.error)}`);
  process.exit(2);
}

const report = await runRestoreDrill({
  rowsBeforeTarget: args.data.rows,
  rowsAfterTarget: args.data.rowsAfter,
  keep: values.keep,
  log: values.json ? undefined : (line) => console.log(`[drill] ${line}`),
});

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const m = report.migrations;
  console.log(
    `[drill] migrations: ${m.applied}/${m.expected} applied, ${m.missing} missing, ${m.unknown} unknown${m.problems.length ? `; ${m.problems.join("; ")}` : ""}`,
  );
  console.log(
    `[drill] data: ${report.tablesCompared} tables compared with the source at the target, ${report.tablesDifferent.length} different${report.tablesDifferent.length ? `: ${report.tablesDifferent.join(", ")}` : ""}`,
  );
  console.log(
    `[drill] writes before the target restored: ${report.rowsBeforeTarget.restored}/${report.rowsBeforeTarget.written}; after it: ${report.rowsAfterTarget.restored} (must be 0)`,
  );
  console.log(
    `[drill] achieved RPO: ${report.achievedRpoMs} ms (target time minus the newest restored commit)`,
  );
  console.log(
    `[drill] restore time: ${report.restoreMs} ms (recovery and promotion ${report.recoveryMs} ms, then the checks)`,
  );
  if (report.workspace) console.log(`[drill] kept ${report.workspace}`);
  console.log(`[drill] ${report.ok ? "PASSED" : "FAILED"}`);
}
process.exit(report.ok ? 0 : 1);
