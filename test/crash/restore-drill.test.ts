import { describe, expect, it } from "vitest";
import { checksumDifferences } from "../../regions/postgres-ha/database-checks";
import { runRestoreDrill } from "../../regions/postgres-ha/restore-drill";

/**
 * The restore drill itself, as `npm run drill:restore` runs it: Postgres instances of the
 * machine's binaries started here (never the machine's cluster), WAL archived to a folder, a base
 * backup, writes before and after a target time, point-in-time recovery into a second data
 * directory. The restore must hold every write before the target and none after, pass the
 * migrations' checks and match the source's checksums at the target. The figures are printed.
 */

describe("the restore drill", () => {
  it("restores to the target time with every migration, every row before it and none after", async () => {
    const report = await runRestoreDrill({ rowsBeforeTarget: 120, rowsAfterTarget: 30 });
    console.log(
      `restore drill: achieved RPO ${report.achievedRpoMs} ms, restore ${report.restoreMs} ms (recovery ${report.recoveryMs} ms), ${report.walSegmentsArchived} WAL segments archived, ${report.tablesCompared} tables compared`,
    );
    expect(report.migrations).toMatchObject({ missing: 0, unknown: 0, problems: [] });
    expect(report.migrations.applied).toBe(report.migrations.expected);
    expect(report.migrations.expected).toBeGreaterThan(15);
    expect(report.tablesDifferent).toEqual([]);
    // The drill's own table, drizzle's journal and the app's tables were all compared.
    expect(report.tablesCompared).toBeGreaterThan(20);
    expect(report.rowsBeforeTarget).toEqual({ written: 120, restored: 120 });
    expect(report.rowsAfterTarget).toEqual({ written: 30, restored: 0 });
    expect(report.walSegmentsArchived).toBeGreaterThan(0);
    expect(Number.isFinite(report.achievedRpoMs)).toBe(true);
    expect(report.achievedRpoMs).toBeGreaterThanOrEqual(0);
    expect(report.restoreMs).toBeGreaterThanOrEqual(report.recoveryMs);
    expect(report.ok).toBe(true);
    expect(report.workspace).toBeNull();
  }, 600_000);

  it("tells a table whose rows differ, or that exists on one side only", () => {
    const a = { "public.t": { rows: 1, md5: "x" }, "public.u": { rows: 0, md5: "e" } };
    expect(checksumDifferences(a, a)).toEqual([]);
    expect(checksumDifferences(a, { "public.t": { rows: 1, md5: "y" } })).toEqual(["public.t", "public.u"]);
  });
});
