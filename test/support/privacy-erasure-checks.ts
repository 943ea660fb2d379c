import { expect } from "vitest";
import type { ErasureScan, Scans, Store } from "./privacy-erasure-scan";

/**
 * What an erasure of a person leaves, store by store, and why (README "Privacy"). Every other
 * store of the region, and the global ones, must hold nothing of them.
 */
export const KEPT: Partial<Record<Store, string>> = {
  // Processors the region calls; their stand-ins record what they were sent, as a provider's
  // abuse-monitoring log would. Only the home region's deployments are sent anything (the canary).
  models: "the model provider's own record of the prompts it was sent (a processor, outside the platform)",
  embeddings:
    "the embedding provider's own record of the texts it was sent (a processor, outside the platform)",
  // Physical remnants, not rows: Postgres does not overwrite what it deletes. WAL segments keep
  // the records of the original writes until recycled, and heap pages keep dead tuples until
  // vacuumed and reused; the same holds on a Postgres server's disk (covered by encryption at
  // rest). The rows-as-text scan of every table is what shows the data gone from the database.
  databaseFiles: "the database engine's WAL and unvacuumed pages (PGlite files), until recycled",
};

const found = (scans: Scans) =>
  Object.fromEntries(
    Object.entries(scans)
      .filter(([store, r]) => r.hits.length > 0 && !(store in KEPT))
      .map(([store, r]) => [store, r.hits]),
  );

/** The checks of one erasure, on whichever stack ran it (PGlite, or Postgres with the relays). */
export function expectNoTrace(result: ErasureScan, o: { relay: boolean; pglite: boolean }) {
  expect(result.request.status, JSON.stringify(result.request.stores)).toBe("completed");
  // Not blind: before the erasure the home stores held the marker, in many tables.
  expect(result.before.postgres.hits.length, result.before.postgres.scanned).toBeGreaterThan(5);
  if (o.pglite) expect(result.before.databaseFiles.hits.length).toBeGreaterThan(0);
  if (o.relay)
    expect(result.before.jetStream.hits.length, result.before.jetStream.scanned).toBeGreaterThan(0);
  // …and the scans after it read something (a store that vanished would pass unnoticed).
  const read: Store[] = ["postgres", "durableObjects", "logs", "upstash"];
  if (o.pglite) read.push("databaseFiles");
  if (o.relay) read.push("jetStream");
  for (const store of read) expect(result.after[store].scanned, store).not.toMatch(/^0 |^absent/);
  // After it: nowhere but what KEPT names, in any store of the region or the global ones…
  expect(found(result.after)).toEqual({});
  // …and the stream says which of its messages were erased.
  if (o.relay) expect(result.tombstone.hits.length, result.tombstone.scanned).toBe(1);
  // …while the other person of the tenant is untouched.
  expect(result.otherAfter.postgres.hits.length).toBeGreaterThan(5);
  if (o.relay) expect(result.otherAfter.jetStream.hits.length).toBeGreaterThan(0);
}
