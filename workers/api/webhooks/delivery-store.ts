import { sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { tenantRows, textArray } from "../../../db/rows";
import type { PlatformEvent } from "../schemas/event";
import { matchesEventTypes } from "./event-types";

/**
 * The Postgres side of webhook delivery: the rows the sink creates, the dispatcher claims and
 * records attempts on, and the sweep re-pokes. Every statement runs for one tenant, under its
 * row-level security.
 */

/** Deliveries to poke, by the endpoint whose dispatcher sends them. */
export type DeliveriesByEndpoint = Map<string, string[]>;

const uuidArray = (ids: readonly string[]) => sql`${`{${ids.join(",")}}`}::uuid[]`;

/** How long an attempt holds its delivery: the 30 s timeout, and room to record the outcome. */
export const CLAIM_SECONDS = 60;

function byEndpoint(rows: readonly { id: string; endpoint_id: string }[]): DeliveriesByEndpoint {
  const map: DeliveriesByEndpoint = new Map();
  for (const r of rows) map.set(r.endpoint_id, [...(map.get(r.endpoint_id) ?? []), r.id]);
  return map;
}

/**
 * One delivery per (matching enabled endpoint, event), created once: a second call for the same
 * events inserts nothing. Answers the events' deliveries still pending, including ones an
 * earlier call created and whose poke may have been lost.
 */
export async function createDeliveries(
  db: Database,
  tenantId: string,
  events: readonly PlatformEvent[],
): Promise<DeliveriesByEndpoint> {
  const [endpoints = []] = await tenantRows(db, tenantId, [
    sql`select id, event_types from webhook_endpoints
        where tenant_id = ${tenantId} and not is_deleted and enabled`,
  ]);
  const pairs = (endpoints as { id: string; event_types: string[] }[]).flatMap((e) =>
    events.filter((ev) => matchesEventTypes(e.event_types, ev.event_type)).map((ev) => ({ e, ev })),
  );
  if (pairs.length === 0) return new Map();
  const [, pending = []] = await tenantRows(db, tenantId, [
    sql`insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, webhook_id)
        select ${tenantId}::uuid, p.endpoint_id, p.event_id, p.event_type, p.event_id::text
        from unnest(${uuidArray(pairs.map((p) => p.e.id))}, ${uuidArray(pairs.map((p) => p.ev.event_id))},
                    ${textArray(pairs.map((p) => p.ev.event_type))})
             as p(endpoint_id, event_id, event_type)
        on conflict (endpoint_id, event_id) do nothing`,
    sql`select id, endpoint_id from webhook_deliveries
        where tenant_id = ${tenantId} and state = 'pending'
          and event_id = any(${uuidArray(events.map((ev) => ev.event_id))})
        order by created_at, id`,
  ]);
  return byEndpoint(pending as { id: string; endpoint_id: string }[]);
}

/** Tenants with due, unclaimed deliveries (ids only, through migration 0016's function). */
export async function tenantsWithDueDeliveries(db: Database, limit: number): Promise<string[]> {
  const result = await db.execute(sql`select webhook_due_tenants(${limit}) as tenant_id`);
  return (result.rows as { tenant_id: string }[]).map((r) => r.tenant_id);
}

/** A tenant's due deliveries that no dispatcher holds, oldest due first. */
export async function dueDeliveries(
  db: Database,
  tenantId: string,
  limit: number,
): Promise<DeliveriesByEndpoint> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select id, endpoint_id from webhook_deliveries
        where tenant_id = ${tenantId} and state in ('pending', 'delivering') and next_attempt_at <= now()
          and (claimed_until is null or claimed_until < now())
        order by next_attempt_at, id
        limit ${limit}`,
  ]);
  return byEndpoint(rows as { id: string; endpoint_id: string }[]);
}

/** What one attempt needs, read as it claims the delivery. */
export interface ClaimedDelivery {
  endpointId: string;
  /** This attempt's number over every round, and within the current round. */
  attempt: number;
  roundAttempt: number;
  /** The stored event (validated by the caller); null when the outbox row is gone. */
  payload: unknown;
  url: string;
  enabled: boolean;
  deleted: boolean;
  sealedSecrets: (string | null)[];
  /** The traceparent of the request that wrote the event, when it was sampled. */
  traceparent: string | null;
}

/**
 * Claims a live delivery for one attempt (state `delivering`, leased CLAIM_SECONDS) and reads the
 * event and the endpoint with it, in one statement. Undefined: nothing to send (it succeeded,
 * failed, or is not this tenant's).
 */
export async function claimDelivery(
  db: Database,
  tenantId: string,
  deliveryId: string,
): Promise<ClaimedDelivery | undefined> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`with claimed as (
          update webhook_deliveries
          set state = 'delivering', claimed_until = now() + make_interval(secs => ${CLAIM_SECONDS}),
              updated_at = now()
          where id = ${deliveryId} and tenant_id = ${tenantId} and state in ('pending', 'delivering')
          returning endpoint_id, event_id, attempts, round_start)
        select c.endpoint_id, c.attempts + 1 as attempt, c.attempts + 1 - c.round_start as round_attempt,
               o.payload, o.traceparent, e.url, e.enabled, e.is_deleted, e.secret_sealed,
               case when e.previous_expires_at > now() then e.previous_secret_sealed end as previous_sealed
        from claimed c
        join webhook_endpoints e on e.id = c.endpoint_id and e.tenant_id = ${tenantId}
        left join outbox_events o on o.id = c.event_id and o.tenant_id = ${tenantId}`,
  ]);
  const r = rows[0] as
    | {
        endpoint_id: string;
        attempt: number;
        round_attempt: number;
        payload: unknown;
        traceparent: string | null;
        url: string;
        enabled: boolean;
        is_deleted: boolean;
        secret_sealed: string | null;
        previous_sealed: string | null;
      }
    | undefined;
  if (!r) return undefined;
  return {
    endpointId: r.endpoint_id,
    attempt: Number(r.attempt),
    roundAttempt: Number(r.round_attempt),
    payload: r.payload,
    url: r.url,
    enabled: r.enabled,
    deleted: r.is_deleted,
    sealedSecrets: [r.secret_sealed, r.previous_sealed],
    traceparent: r.traceparent ?? null,
  };
}

/** What happened on one attempt (no response body: it may echo personal data). */
export interface AttemptOutcome {
  attempt: number;
  startedAt: number;
  durationMs: number;
  responseStatus: number | null;
  error: string | null;
  signatureTimestamp: number;
}

/**
 * Logs an attempt (when one was made) and moves the delivery on: `succeeded`, `failed`, or back
 * to `pending` until `retryAt`, with the lease released. A repeated record of the same attempt
 * (an object that died before it heard back) overwrites the log line rather than adding one.
 */
export async function recordOutcome(
  db: Database,
  tenantId: string,
  deliveryId: string,
  outcome: AttemptOutcome | null,
  next: { state: "succeeded" | "failed" } | { state: "pending"; retryAt: number },
  error?: string,
): Promise<void> {
  const retryAt = next.state === "pending" ? new Date(next.retryAt).toISOString() : null;
  const log = outcome
    ? [
        sql`insert into webhook_delivery_attempts
              (tenant_id, delivery_id, attempt, started_at, duration_ms, response_status, error, signature_timestamp)
            values (${tenantId}, ${deliveryId}, ${outcome.attempt}, ${new Date(outcome.startedAt).toISOString()},
                    ${outcome.durationMs}, ${outcome.responseStatus}, ${outcome.error}, ${outcome.signatureTimestamp})
            on conflict (delivery_id, attempt) do update
              set started_at = excluded.started_at, duration_ms = excluded.duration_ms,
                  response_status = excluded.response_status, error = excluded.error,
                  signature_timestamp = excluded.signature_timestamp`,
      ]
    : [];
  await tenantRows(db, tenantId, [
    ...log,
    sql`update webhook_deliveries
        set state = ${next.state}, claimed_until = null, updated_at = now(),
            next_attempt_at = ${retryAt}::timestamptz,
            ${
              outcome
                ? sql`attempts = greatest(attempts, ${outcome.attempt}), last_status = ${outcome.responseStatus}::int,`
                : sql``
            }
            last_error = ${outcome?.error ?? error ?? null}
        where id = ${deliveryId} and tenant_id = ${tenantId}`,
  ]);
}
