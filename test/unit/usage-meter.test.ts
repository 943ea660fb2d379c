import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import type { Database } from "../../db/client";
import { UsageMeter } from "../../workers/api/usage/usage-meter";

const dialect = new PgDialect();
const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";
const AT = new Date("2026-12-04T09:41:00Z");
const HOUR = "2026-12-04T09:00:00.000Z";

/**
 * A database that records each batch's statements (after the tenant setting) as their parameters,
 * and fails the batches it is told to. `release` holds a batch open, to see what queues behind it.
 */
function recordingDatabase(options: { failFirst?: number } = {}) {
  const batches: unknown[][][] = [];
  let failures = options.failFirst ?? 0;
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  const db = {
    execute: (query: SQL) => query,
    batch: async (items: SQL[]) => {
      await gate;
      if (failures-- > 0) throw new Error("database unavailable");
      batches.push(items.slice(1).map((q) => dialect.sqlToQuery(q).params));
      return items.map(() => ({ rows: [] }));
    },
  } as unknown as Database;
  return {
    db,
    batches,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release: () => open(),
  };
}

describe("the usage meter", () => {
  it("writes a tenant's counts per hour in one upsert, refusals apart, and leaves other tenants pending", async () => {
    const meter = new UsageMeter();
    const store = recordingDatabase();
    meter.count(A, AT, false);
    meter.count(A, new Date("2026-12-04T09:59:59Z"), true);
    meter.count(A, new Date("2026-12-04T10:00:00Z"), false);
    meter.count(B, AT, false);
    await meter.flush(
      A,
      () => store.db,
      () => {},
    );
    expect(store.batches).toEqual([
      [
        [A, HOUR, 2, 1],
        [A, "2026-12-04T10:00:00.000Z", 1, 0],
      ],
    ]);
    expect(meter.pendingTenants).toBe(1);
    await meter.flush(
      A,
      () => store.db,
      () => {},
    );
    expect(store.batches).toHaveLength(1); // nothing new for A: no statement
  });

  it("puts the counts of a failed write back, so the next write carries them", async () => {
    const meter = new UsageMeter();
    const store = recordingDatabase({ failFirst: 1 });
    const errors: unknown[] = [];
    meter.count(A, AT, true);
    await meter.flush(
      A,
      () => store.db,
      (e) => errors.push(e),
    );
    expect(errors).toHaveLength(1);
    expect(store.batches).toEqual([]);
    meter.count(A, AT, false);
    await meter.flush(
      A,
      () => store.db,
      (e) => errors.push(e),
    );
    expect(store.batches).toEqual([[[A, HOUR, 2, 1]]]);
    expect(meter.pendingTenants).toBe(0);
  });

  it("coalesces: while one write is in flight, every later request shares one queued write", async () => {
    const meter = new UsageMeter();
    const store = recordingDatabase();
    store.hold();
    meter.count(A, AT, false);
    const first = meter.flush(
      A,
      () => store.db,
      () => {},
    );
    const later = Array.from({ length: 20 }, () => {
      meter.count(A, AT, false);
      return meter.flush(
        A,
        () => store.db,
        () => {},
      );
    });
    store.release();
    await Promise.all([first, ...later]);
    expect(store.batches).toEqual([[[A, HOUR, 1, 0]], [[A, HOUR, 20, 0]]]);
  });
});
