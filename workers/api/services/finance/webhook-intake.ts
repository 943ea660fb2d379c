import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import type { PaymentProvider } from "../../../../db/schema/finance-enums";
import type { RegionId } from "../../../../regions/registry";
import type { WebhookHint } from "../../finance/connectors/connector";
import type { ConnectorSource } from "./connector-source";
import {
  type ReconcileOutcome,
  reconcilePayment,
  STORED_PAYMENT_COLUMNS,
  storedPaymentOf,
} from "./payment-verification";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** After this many failed applications (the provider unreachable each time) an event is given up. */
export const MAX_EVENT_ATTEMPTS = 10;

/** A refused webhook (forged, stale, tampered, unreadable) is only counted on its connection. */
export async function countRejection(db: Database, tenantId: string, connectionId: string): Promise<void> {
  await tenantRows(db, tenantId, [
    sql`update payment_connections
        set webhook_rejections = webhook_rejections + 1, last_webhook_rejected_at = now()
        where id = ${connectionId} and tenant_id = ${tenantId}`,
  ]);
}

export interface StoredEvent {
  id: string;
  /** False for a repeated delivery: only the first one is applied. */
  inserted: boolean;
  state: string;
}

/**
 * Stores a verified webhook under its unique (connection, event key), linked to the payment it is
 * about, in one statement: the same event delivered ten times, or ten at once, is one row (the
 * repeats only count as `duplicates`). An event about no payment of ours is stored `ignored`; an
 * event for a connection deleted meanwhile (the route's copy of the connection may be a few
 * seconds old) is not stored at all (undefined).
 *
 * A repeat is found by its key first (an update, no insert attempted). Only a new event's commit
 * waits for the WAL to reach disk — the provider is told 200 and will not send it again, so it must
 * survive a crash; a repeat's commit does not wait (`synchronous_commit` off for that transaction):
 * losing a repeat's count in a database crash loses nothing a provider or tenant relies on, and
 * repeats no longer queue behind one disk flush each on the event's row lock.
 */
export interface EventToStore {
  connection: { id: string; provider: PaymentProvider };
  hint: WebhookHint;
  /** As received; bytes are decoded only when the event is new (a repeat never needs them). */
  rawBody: string | Uint8Array;
}

const decoder = new TextDecoder();

/** The statement that stores one event or counts it as a repeat (see storeProviderEvents). */
function storeStatement(tenantId: string, { connection, hint, rawBody: raw }: EventToStore) {
  const rawBody = typeof raw === "string" ? raw : decoder.decode(raw);
  const ref = hint.payment;
  // Our own payment id where the event echoes it (Stripe payment_intent/charge events name no session).
  const ourId = hint.paymentId && UUID.test(hint.paymentId) ? hint.paymentId : null;
  const providerPaymentId = ref?.providerPaymentId ?? hint.providerPaymentId ?? null;
  const paymentLookup =
    ref || ourId || providerPaymentId
      ? sql`(select id from payments
          where tenant_id = ${tenantId} and connection_id = ${connection.id}
            and (provider_reference = ${ref?.providerReference ?? null}::text
                 or (${providerPaymentId}::text is not null and provider_payment_id = ${providerPaymentId}::text)
                 or id = ${ourId}::uuid)
          order by created_at desc limit 1)`
      : sql`null::uuid`;
  return sql`with repeat as (
          update provider_events set duplicates = duplicates + 1
          where connection_id = ${connection.id} and event_key = ${hint.eventKey} and tenant_id = ${tenantId}
          returning id, state),
        payment as (select ${paymentLookup} as id),
        stored as (
          insert into provider_events (tenant_id, connection_id, provider, event_key, event_type, raw_body, payment_id,
                                       state, last_error, processed_at)
          select ${tenantId}, ${connection.id}, ${connection.provider}, ${hint.eventKey}, ${hint.eventType}, ${rawBody},
                 payment.id,
                 case when payment.id is null then 'ignored' else 'received' end,
                 case when payment.id is null then 'not about a payment made through this connection' end,
                 case when payment.id is null then now() end
          from payment
          where not exists (select 1 from repeat)
            and exists (select 1 from payment_connections
                        where id = ${connection.id} and tenant_id = ${tenantId} and not is_deleted)
          -- Ten copies at once: all but the first wait here for its commit, then count as repeats.
          on conflict (connection_id, event_key) do update set duplicates = provider_events.duplicates + 1
          returning id, (xmax = 0) as inserted, state),
        answer as (
          select id, false as inserted, state from repeat
          union all select id, inserted, state from stored)
        -- A new event makes the whole transaction wait for the disk; repeats alone do not.
        select id, inserted, state,
               case when inserted then set_config('synchronous_commit', 'on', true) end as commit_mode
        from answer`;
}

/**
 * Stores verified webhooks of one tenant, each under its unique (connection, event key), linked
 * to the payment it is about, in one transaction: the same event delivered ten times, or ten at
 * once, is one row (the repeats only count as `duplicates`). An event about no payment of ours is
 * stored `ignored`; an event for a connection deleted meanwhile (the route's copy of the
 * connection may be a few seconds old) is not stored at all (undefined).
 *
 * A repeat is found by its key first (an update, no insert attempted). Only a new event's commit
 * waits for the WAL to reach disk — the provider is told 200 and will not send it again, so it must
 * survive a crash; a transaction of repeats alone does not wait (`synchronous_commit` off):
 * losing a repeat's count in a database crash loses nothing a provider or tenant relies on, and
 * repeats no longer queue behind one disk flush each on the event's row lock.
 */
export async function storeProviderEvents(
  db: Database,
  tenantId: string,
  events: readonly EventToStore[],
): Promise<(StoredEvent | undefined)[]> {
  const connections = [...new Set(events.map((e) => e.connection.id))];
  const results = await tenantRows(db, tenantId, [
    sql`select set_config('synchronous_commit', 'off', true)`,
    // At most once a minute: every delivery taking this row's lock would queue them all behind it.
    ...connections.map(
      (id) => sql`update payment_connections set last_webhook_received_at = now()
        where id = ${id} and tenant_id = ${tenantId}
          and (last_webhook_received_at is null or last_webhook_received_at < now() - interval '1 minute')`,
    ),
    ...events.map((event) => storeStatement(tenantId, event)),
  ]);
  return results.slice(1 + connections.length).map((rows) => {
    const row = rows[0] as { id: string; inserted: boolean; state: string } | undefined;
    return row && { id: row.id, inserted: row.inserted, state: row.state };
  });
}

/** storeProviderEvents for one event. */
export async function storeProviderEvent(
  db: Database,
  tenantId: string,
  connection: { id: string; provider: PaymentProvider },
  hint: WebhookHint,
  rawBody: string,
): Promise<StoredEvent | undefined> {
  const [stored] = await storeProviderEvents(db, tenantId, [{ connection, hint, rawBody }]);
  return stored;
}

/** Adds repeats counted without a statement each (webhook-intake-queue.ts) to their events. */
export async function countRepeats(
  db: Database,
  tenantId: string,
  repeats: ReadonlyMap<string, number>,
): Promise<void> {
  if (repeats.size === 0) return;
  await tenantRows(db, tenantId, [
    sql`select set_config('synchronous_commit', 'off', true)`,
    sql`update provider_events set duplicates = duplicates + r.n
        from (select unnest(${sql.param([...repeats.keys()])}::uuid[]) as id,
                     unnest(${sql.param([...repeats.values()])}::int[]) as n) as r
        where provider_events.id = r.id and provider_events.tenant_id = ${tenantId}`,
  ]);
}

export interface ApplyDeps {
  db: Database;
  region: RegionId;
  connectors: ConnectorSource;
  correlationId: string;
}

export type ApplyOutcome =
  | ReconcileOutcome
  | { kind: "skipped"; reason: string }
  | { kind: "error"; reason: string };

/**
 * An event's own bookkeeping (attempts, outcome) commits without waiting for the disk: the
 * payment's move is its own durable transaction, and an event whose outcome a database crash lost
 * is still `received`, which the janitor applies again (a no-op for a payment already moved).
 */
const BOOKKEEPING = sql`select set_config('synchronous_commit', 'off', true)`;

async function finish(db: Database, tenantId: string, eventId: string, state: string, error: string | null) {
  await tenantRows(db, tenantId, [
    sql`update provider_events set state = ${state}, last_error = ${error}, processed_at = now()
        where id = ${eventId} and tenant_id = ${tenantId} and state = 'received'`,
    BOOKKEEPING,
  ]);
}

/**
 * Acts on one stored event: a webhook is only a hint, so the payment is verified by pull and
 * moved only if the provider agrees (payment-verification.ts). The event ends `applied`, or
 * `ignored` with the mismatch in `last_error` (and counted on the connection, payment
 * untouched); a provider that cannot be reached leaves it `received` for the janitor, up to
 * MAX_EVENT_ATTEMPTS. Safe to run twice at once: the transition's guard lets one move through.
 */
export async function applyProviderEvent(
  deps: ApplyDeps,
  tenantId: string,
  eventId: string,
): Promise<ApplyOutcome> {
  // One round trip: the attempt counted, and the payment it is about read.
  const [rows = [], paymentRows = []] = await tenantRows(deps.db, tenantId, [
    sql`update provider_events set attempts = attempts + 1
        where id = ${eventId} and tenant_id = ${tenantId} and state = 'received'
        returning payment_id, connection_id, attempts`,
    sql`select ${STORED_PAYMENT_COLUMNS} from payments
        where tenant_id = ${tenantId}
          and id = (select payment_id from provider_events where id = ${eventId} and tenant_id = ${tenantId})`,
    BOOKKEEPING,
  ]);
  const event = rows[0] as { payment_id: string | null; connection_id: string; attempts: number } | undefined;
  if (!event) return { kind: "skipped", reason: "not waiting to be applied" };
  const payment = storedPaymentOf(paymentRows[0]);
  const choice = await deps.connectors.forConnection(event.connection_id);
  if (!payment || !choice) {
    const reason = payment ? "the connection was deleted" : "the payment is gone";
    await finish(deps.db, tenantId, eventId, "ignored", reason);
    return { kind: "skipped", reason };
  }
  let outcome: ReconcileOutcome;
  try {
    outcome = await reconcilePayment(
      {
        db: deps.db,
        tenantId,
        region: deps.region,
        connector: choice.connector,
        origin: { actorId: null, correlationId: deps.correlationId },
        schedule: false,
      },
      payment,
    );
  } catch (error) {
    const reason = `verify failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500);
    const giveUp = Number(event.attempts) >= MAX_EVENT_ATTEMPTS;
    await tenantRows(deps.db, tenantId, [
      sql`update provider_events set last_error = ${reason},
            state = case when ${giveUp} then 'failed' else state end,
            processed_at = case when ${giveUp} then now() else processed_at end
          where id = ${eventId} and tenant_id = ${tenantId} and state = 'received'`,
      BOOKKEEPING,
    ]);
    return { kind: "error", reason };
  }
  if (outcome.kind === "mismatch") {
    await finish(deps.db, tenantId, eventId, "ignored", `verify disagrees: ${outcome.reason}`.slice(0, 500));
    await countRejection(deps.db, tenantId, event.connection_id);
  } else {
    await finish(deps.db, tenantId, eventId, "applied", null);
  }
  return outcome;
}
