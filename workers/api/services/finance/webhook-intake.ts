import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import type { PaymentProvider } from "../../../../db/schema/finance-enums";
import type { RegionId } from "../../../../regions/registry";
import type { PaymentConnector, WebhookHint } from "../../finance/connectors/connector";
import {
  type ConnectorConfig,
  connectorFor,
  SEALED_CONNECTION_COLUMNS,
  type SealedConnection,
} from "../../finance/connectors/connector-for";
import type { ConnectorSource } from "./connector-source";
import { loadStoredPayment, type ReconcileOutcome, reconcilePayment } from "./payment-verification";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** After this many failed applications (the provider unreachable each time) an event is given up. */
export const MAX_EVENT_ATTEMPTS = 10;

/** A webhook URL's connection: its tenant, and its connector ready to check the signature. */
export interface WebhookConnection {
  tenantId: string;
  provider: PaymentProvider;
  connector: PaymentConnector;
}

/**
 * The connection a webhook URL names, before anything is verified: the public route knows only
 * its id. One round trip: payment_connection_tenant() (0018, SECURITY DEFINER) names the tenant,
 * which the same batch then reads the row under (row-level security). Undefined for an unknown or
 * deleted connection.
 */
export async function webhookConnection(
  db: Database,
  config: ConnectorConfig,
  connectionId: string,
): Promise<WebhookConnection | undefined> {
  const [, result] = await db.batch([
    db.execute(
      sql`select set_config('app.tenant_id',
            coalesce((select tenant_id::text from payment_connection_tenant(${connectionId}::uuid)), ''), true)`,
    ),
    db.execute(
      sql`select ${SEALED_CONNECTION_COLUMNS}, tenant_id from payment_connections
          where id = ${connectionId} and not is_deleted`,
    ),
  ]);
  const row = result.rows[0] as (SealedConnection & { tenant_id: string }) | undefined;
  if (!row?.secret_key_sealed) return undefined;
  return { tenantId: row.tenant_id, provider: row.provider, connector: await connectorFor(config, row) };
}

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
 * repeats only count as `duplicates`). An event about no payment of ours is stored `ignored`.
 */
export async function storeProviderEvent(
  db: Database,
  tenantId: string,
  connection: { id: string; provider: PaymentProvider },
  hint: WebhookHint,
  rawBody: string,
): Promise<StoredEvent> {
  const ref = hint.payment;
  // Our own payment id where the event echoes it (Stripe payment_intent/charge events name no session).
  const ourId = hint.paymentId && UUID.test(hint.paymentId) ? hint.paymentId : null;
  const paymentLookup =
    ref || ourId
      ? sql`(select id from payments
          where tenant_id = ${tenantId} and connection_id = ${connection.id}
            and (provider_reference = ${ref?.providerReference ?? null}::text
                 or (${ref?.providerPaymentId ?? null}::text is not null and provider_payment_id = ${ref?.providerPaymentId ?? null}::text)
                 or id = ${ourId}::uuid)
          order by created_at desc limit 1)`
      : sql`null::uuid`;
  const [, rows = []] = await tenantRows(db, tenantId, [
    // At most once a minute: every delivery taking this row's lock would queue them all behind it.
    sql`update payment_connections set last_webhook_received_at = now()
        where id = ${connection.id} and tenant_id = ${tenantId}
          and (last_webhook_received_at is null or last_webhook_received_at < now() - interval '1 minute')`,
    sql`with payment as (select ${paymentLookup} as id)
        insert into provider_events (tenant_id, connection_id, provider, event_key, event_type, raw_body, payment_id,
                                     state, last_error, processed_at)
        select ${tenantId}, ${connection.id}, ${connection.provider}, ${hint.eventKey}, ${hint.eventType}, ${rawBody},
               payment.id,
               case when payment.id is null then 'ignored' else 'received' end,
               case when payment.id is null then 'not about a payment made through this connection' end,
               case when payment.id is null then now() end
        from payment
        on conflict (connection_id, event_key) do update set duplicates = provider_events.duplicates + 1
        returning id, (xmax = 0) as inserted, state`,
  ]);
  const row = rows[0] as { id: string; inserted: boolean; state: string };
  return { id: row.id, inserted: row.inserted, state: row.state };
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

async function finish(db: Database, tenantId: string, eventId: string, state: string, error: string | null) {
  await tenantRows(db, tenantId, [
    sql`update provider_events set state = ${state}, last_error = ${error}, processed_at = now()
        where id = ${eventId} and tenant_id = ${tenantId} and state = 'received'`,
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
  const [rows = []] = await tenantRows(deps.db, tenantId, [
    sql`update provider_events set attempts = attempts + 1
        where id = ${eventId} and tenant_id = ${tenantId} and state = 'received'
        returning payment_id, connection_id, attempts`,
  ]);
  const event = rows[0] as { payment_id: string | null; connection_id: string; attempts: number } | undefined;
  if (!event) return { kind: "skipped", reason: "not waiting to be applied" };
  const payment = event.payment_id ? await loadStoredPayment(deps.db, tenantId, event.payment_id) : undefined;
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
