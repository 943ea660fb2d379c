import type pg from "pg";
import { PARTITIONS } from "./partitions";

/** An outbox row as the relay streams it: the stored event's bytes, untouched. */
export interface RelayRow {
  id: string;
  tenant_id: string;
  event_type: string;
  /** The platform event's `source` (`crm-service`), which names the service in the subject. */
  source: string | null;
  /** The stored payload as JSON text: published as is, never re-encoded. */
  body: string;
  traceparent: string | null;
  /** Milliseconds since the epoch, for the lag metric. */
  created_ms: number;
}

/**
 * Locks up to `limit` unrelayed rows of the given partitions, oldest first, inside the caller's
 * open transaction.
 * `skip locked` lets several claims (this relay's pipeline, or a second relay) run side by side
 * on disjoint rows; the locks hold until the caller's COMMIT (marked) or ROLLBACK/disconnect
 * (nothing marked: the rows are claimable again), so a relay that dies mid-batch loses nothing.
 */
export async function claimUnrelayed(
  client: pg.ClientBase,
  limit: number,
  /** Only tenants of these partitions (partitions.ts): the ones this relay holds. */
  partitions: readonly number[],
): Promise<RelayRow[]> {
  const result = await client.query<RelayRow>({
    name: "outbox-relay-claim-partitions",
    text: `select id, tenant_id, event_type, payload->>'source' as source, payload::text as body,
             traceparent, (extract(epoch from created_at) * 1000)::float8 as created_ms
           from outbox_events
           where relayed_at is null
             and (hashtext(tenant_id::text) & ${PARTITIONS - 1}) = any($2::int[])
           order by created_at, id
           limit $1
           for update skip locked`,
    values: [limit, partitions],
  });
  return result.rows;
}

/** Marks rows relayed, inside the claim's transaction. */
export async function markRelayed(client: pg.ClientBase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query({
    name: "outbox-relay-mark",
    text: "update outbox_events set relayed_at = now() where id = any($1::uuid[])",
    values: [ids],
  });
}

/** How far behind the relay is: rows waiting and the age of the oldest (for the gauges). */
export async function backlog(client: pg.ClientBase): Promise<{ pending: number; oldestSeconds: number }> {
  const result = await client.query<{ pending: string; oldest_seconds: number | null }>(
    `select count(*) as pending,
            extract(epoch from now() - min(created_at))::float8 as oldest_seconds
     from outbox_events where relayed_at is null`,
  );
  const row = result.rows[0];
  return { pending: Number(row?.pending ?? 0), oldestSeconds: row?.oldest_seconds ?? 0 };
}
