import { sql } from "drizzle-orm";
import type { Database } from "./client";
import { tenantBatch } from "./tenant-batch";

/** An outbox row a publisher holds: the stored event, not yet validated. */
export interface ClaimedRow {
  id: string;
  payload: unknown;
}

export interface ClaimOptions {
  claimId: string;
  limit: number;
  /** Only rows at least this old (the sweep leaves fresh rows to the request that wrote them). */
  minAgeSeconds: number;
  /** How long the claim holds: a publisher that dies lets its rows go after this. */
  leaseSeconds: number;
  /**
   * Wait for rows another transaction has locked instead of skipping them: the publish after a
   * request's commit runs once, and the outbox relay (regions/outbox-relay) holds its rows locked
   * while JetStream acknowledges them, so a skipped row stayed unpublished until the cron sweep,
   * a minute later (also under `npm run dev -- --postgres`). The sweep skips them.
   */
  waitForLocks?: boolean;
}

const uuidArray = (ids: readonly string[]) => sql`${`{${ids.join(",")}}`}::uuid[]`;

/**
 * Claims up to `limit` of the tenant's unpublished, unclaimed rows, oldest first, in one
 * statement. `for update skip locked` makes concurrent claims disjoint: a row another publisher
 * is claiming is skipped, and one it has claimed fails the re-checked lease condition. With
 * `waitForLocks`, a locked row is waited for (rows are locked in claim order, so two waiting
 * publishers cannot deadlock; the relay never waits for a publisher) and then re-checked the
 * same way. The claim is a lease, not a held lock, because delivery happens between round trips
 * over HTTP.
 */
export async function claimOutboxRows(
  db: Database,
  tenantId: string,
  o: ClaimOptions,
): Promise<ClaimedRow[]> {
  const [result] = await tenantBatch(db, tenantId, [
    db.execute(sql`
      with claimed as (
      update outbox_events set claim_id = ${o.claimId}::uuid,
        claimed_until = now() + make_interval(secs => ${o.leaseSeconds})
      where id in (
        select id from outbox_events
        where tenant_id = ${tenantId} and published_at is null
          and (claimed_until is null or claimed_until < now())
          and created_at <= now() - make_interval(secs => ${o.minAgeSeconds})
        order by created_at, id
        limit ${o.limit}
        ${o.waitForLocks ? sql`for update` : sql`for update skip locked`})
      returning id, payload, created_at)
      -- RETURNING has no order; sinks get events in the order they happened.
      select id, payload from claimed order by created_at, id`),
  ]);
  return result.rows as unknown as ClaimedRow[];
}

/** Delivered: published, whoever holds the claim now (a late second delivery is allowed). */
export async function markPublished(db: Database, tenantId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await tenantBatch(db, tenantId, [
    db.execute(sql`
      update outbox_events set published_at = now(), claim_id = null, claimed_until = null
      where tenant_id = ${tenantId} and id = any(${uuidArray(ids)}) and published_at is null`),
  ]);
}

/** Not delivered: lets the rows go at once (only while this claim still holds them). */
export async function releaseClaim(
  db: Database,
  tenantId: string,
  claimId: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await tenantBatch(db, tenantId, [
    db.execute(sql`
      update outbox_events set claim_id = null, claimed_until = null
      where tenant_id = ${tenantId} and id = any(${uuidArray(ids)}) and claim_id = ${claimId}::uuid`),
  ]);
}

/**
 * Tenants with unpublished rows at least `minAgeSeconds` old, longest waiting first. Ids only,
 * through the SECURITY DEFINER function of migration 0010: the app role reads no other tenant's
 * rows; the rows themselves are then claimed per tenant under row-level security.
 */
export async function tenantsWithPendingEvents(
  db: Database,
  minAgeSeconds: number,
  limit: number,
): Promise<string[]> {
  const result = await db.execute(
    sql`select outbox_pending_tenants(${minAgeSeconds}, ${limit}) as tenant_id`,
  );
  return (result.rows as { tenant_id: string }[]).map((r) => r.tenant_id);
}
