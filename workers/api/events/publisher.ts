import type { Database } from "../../../db/client";
import {
  claimOutboxRows,
  markPublished,
  releaseClaim,
  tenantsWithPendingEvents,
} from "../../../db/outbox-claims";
import { logError } from "../lib/log-error";
import { PlatformEvent } from "../schemas/event";
import type { EventSink } from "./sink";

export interface PublishOptions {
  /** One tenant (after its own write); absent: every tenant with rows left behind (the sweep). */
  tenantId?: string | undefined;
  /** Rows per claim. */
  limit: number;
  /** Only rows at least this old. Default 0. */
  minAgeSeconds?: number;
  /** Claims per tenant in one call, so one busy tenant cannot hold a run forever. Default 1. */
  rounds?: number;
  /** Tenants per sweep. Default 100. */
  maxTenants?: number;
}

export interface PublishResult {
  /** Events every sink accepted, now marked published. */
  published: number;
  /** Events claimed but left unpublished (a sink failed, or the stored event is malformed). */
  failed: number;
}

/**
 * A claim outlives any delivery of one batch; a publisher that dies holding rows lets them go
 * when it ends, and the next sweep takes them.
 */
const LEASE_SECONDS = 60;

/**
 * Publishes unpublished outbox rows: claim (exclusive, see claimOutboxRows), deliver to every
 * sink, mark published. At least once: if any sink throws, the batch is released unpublished
 * and the next run delivers it again, to every sink.
 */
export async function publishPending(
  db: Database,
  sinks: readonly EventSink[],
  options: PublishOptions,
): Promise<PublishResult> {
  const tenants =
    options.tenantId === undefined
      ? await tenantsWithPendingEvents(db, options.minAgeSeconds ?? 0, options.maxTenants ?? 100)
      : [options.tenantId];
  const total: PublishResult = { published: 0, failed: 0 };
  for (const tenantId of tenants) {
    for (let round = 0; round < (options.rounds ?? 1); round++) {
      const result = await publishBatch(db, sinks, tenantId, options);
      total.published += result.published;
      total.failed += result.failed;
      // A short or failed batch: nothing more to take now.
      if (result.failed > 0 || result.published < options.limit) break;
    }
  }
  return total;
}

async function publishBatch(
  db: Database,
  sinks: readonly EventSink[],
  tenantId: string,
  options: PublishOptions,
): Promise<PublishResult> {
  const claimId = crypto.randomUUID();
  const rows = await claimOutboxRows(db, tenantId, {
    claimId,
    limit: options.limit,
    minAgeSeconds: options.minAgeSeconds ?? 0,
    leaseSeconds: LEASE_SECONDS,
    // After a request's own write: its one run must not skip the rows the relay holds.
    waitForLocks: options.tenantId !== undefined,
  });
  const events: PlatformEvent[] = [];
  const deliverable: string[] = [];
  const malformed: string[] = [];
  for (const row of rows) {
    const parsed = PlatformEvent.safeParse(row.payload);
    // A stored event that is not the platform schema is a writer's bug: never delivered, kept
    // unpublished (and logged on every run) until it is repaired.
    if (parsed.success && parsed.data.tenant_id === tenantId) {
      events.push(parsed.data);
      deliverable.push(row.id);
    } else malformed.push(row.id);
  }
  if (malformed.length > 0) {
    logError("malformed outbox event", undefined, new Error("not a platform event"), { ids: malformed });
    await releaseClaim(db, tenantId, claimId, malformed);
  }
  if (events.length === 0) return { published: 0, failed: malformed.length };

  const outcomes = await Promise.allSettled(sinks.map((sink) => sink.deliver(events)));
  const failures = outcomes.flatMap((o, i) =>
    o.status === "rejected" ? [{ sink: sinks[i]?.name, reason: o.reason as unknown }] : [],
  );
  if (failures.length > 0) {
    for (const { sink, reason } of failures) {
      logError("event sink failed", undefined, reason, { sink, tenant_id: tenantId });
    }
    await releaseClaim(db, tenantId, claimId, deliverable);
    return { published: 0, failed: rows.length };
  }
  await markPublished(db, tenantId, deliverable);
  return { published: deliverable.length, failed: malformed.length };
}
