import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { withEvent } from "../../../../db/outbox";
import { tenantRows, utcIso } from "../../../../db/rows";
import type { PaymentProvider } from "../../../../db/schema/finance-enums";
import { REGIONS, type RegionId } from "../../../../regions/registry";
import { sealSecret } from "../../auth/credentials/secret-box";
import type { EventType } from "../../events/catalogue";
import { parseConnectionId } from "../../finance/connection-id";
import {
  FEATURE,
  SEALED_CONNECTION_COLUMNS,
  type SealedConnection,
  sealedForConnection,
} from "../../finance/connectors/connector-for";
import { checkSecretKey, checkWebhookSecret } from "../../finance/provider-keys";
import { requireDataKey } from "../../lib/data-key";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { forgetWebhookConnection } from "./webhook-connections";

/** Each connection is a webhook URL and a set of live credentials: the cap bounds both per tenant. */
export const MAX_CONNECTIONS_PER_TENANT = 20;

const SOURCE = "finance-service";

/** A connection as the API and its events show it: never a secret. */
export interface PaymentConnectionView {
  id: string;
  provider: PaymentProvider;
  label: string | null;
  livemode: boolean;
  enabled: boolean;
  secret_key_last4: string;
  has_webhook_secret: boolean;
  previous_webhook_secret_expires_at: string | null;
  secrets_rotated_at: string | null;
  webhook_url: string;
  webhook_rejections: number;
  last_webhook_rejected_at: string | null;
  last_webhook_received_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface PaymentConnectionInput {
  provider: PaymentProvider;
  secret_key: string;
  webhook_secret?: string | undefined;
  label?: string | null | undefined;
}

export interface PaymentConnectionPatch {
  secret_key?: string | undefined;
  webhook_secret?: string | undefined;
  grace_period_seconds?: number | undefined;
  label?: string | null | undefined;
  enabled?: boolean | undefined;
}

/** What the service needs of the deployment: the sealing key and where this region is reached. */
export interface ConnectionDeps {
  dataKey: string | undefined;
  /** The region's public base URL (config.regionUrls[region]): webhook URLs point there. */
  regionUrl: string;
}

/** The public id (`pcn_<keyCode>_<hex>`) in SQL, so responses and event payloads share it. */
function publicId(region: RegionId, id: SQL): SQL {
  return sql`('pcn_' || ${REGIONS[region].keyCode}::text || '_' || replace(${id}::text, '-', ''))`;
}

/**
 * The API representation rendered by Postgres, from `payment_connections` or a write's `changed`
 * CTE: responses and event payloads come from this one expression, so they cannot disagree.
 */
function connectionJson(from: "c" | "changed", region: RegionId, regionUrl: string): SQL {
  const c = (column: string) => sql.raw(`${from}.${column}`);
  const id = publicId(region, c("id"));
  const base = regionUrl.replace(/\/+$/, "");
  return sql`json_build_object(
    'id', ${id},
    'provider', ${c("provider")},
    'label', ${c("label")},
    'livemode', ${c("livemode")},
    'enabled', ${c("enabled")},
    'secret_key_last4', ${c("secret_key_last4")},
    'has_webhook_secret', ${c("webhook_secret_sealed")} is not null,
    'previous_webhook_secret_expires_at',
      case when ${c("previous_webhook_secret_expires_at")} > now() then ${utcIso(c("previous_webhook_secret_expires_at"))} end,
    'secrets_rotated_at', ${utcIso(c("secrets_rotated_at"))},
    'webhook_url', ${base}::text || '/api/v1/payments/webhook/' || ${c("provider")} || '/' || ${id},
    'webhook_rejections', ${c("webhook_rejections")},
    'last_webhook_rejected_at', ${utcIso(c("last_webhook_rejected_at"))},
    'last_webhook_received_at', ${utcIso(c("last_webhook_received_at"))},
    'created_at', ${utcIso(c("created_at"))},
    'updated_at', ${utcIso(c("updated_at"))}
  )`;
}

/** The row id behind a public id, or a 404 exactly like another tenant's (or another region's) id. */
function rowId(ctx: ServiceContext, id: string): string {
  const parsed = parseConnectionId(id);
  if (!parsed || parsed.region !== ctx.region) throw ApiError.notFound("Payment connection");
  return parsed.uuid;
}

const live = (ctx: ServiceContext, uuid: string) =>
  sql`id = ${uuid} and tenant_id = ${ctx.actor.tenantId} and not is_deleted`;

/** Runs one write and its `payment_connection.*` event as one statement; the changed connection, or undefined. */
async function writeWithEvent(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  change: SQL,
  eventType: EventType,
  before: SQL[] = [],
): Promise<PaymentConnectionView | undefined> {
  const event = {
    eventId: crypto.randomUUID(),
    eventType,
    source: SOURCE,
    actorId: ctx.actor.userId,
    correlationId: ctx.requestId,
  };
  const json = connectionJson("changed", ctx.region, deps.regionUrl);
  const statement = withEvent(change, event, json, sql`${json} as connection`);
  const results = await tenantRows(ctx.db, ctx.actor.tenantId, [...before, statement]);
  return (results.at(-1)?.[0] as { connection: PaymentConnectionView } | undefined)?.connection;
}

function checkedKey(provider: PaymentProvider, key: string): boolean {
  const check = checkSecretKey(provider, key);
  if (!check.ok) throw ApiError.validation([{ field: "secret_key", message: check.message }]);
  return check.livemode;
}

function checkedWebhookSecret(provider: PaymentProvider, secret: string | undefined): void {
  const problem = checkWebhookSecret(provider, secret);
  if (problem) throw ApiError.validation([{ field: "webhook_secret", message: problem }]);
}

export async function createPaymentConnection(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  input: PaymentConnectionInput,
): Promise<PaymentConnectionView> {
  const livemode = checkedKey(input.provider, input.secret_key);
  checkedWebhookSecret(input.provider, input.webhook_secret);
  const key = requireDataKey(deps.dataKey, FEATURE);
  const tenantId = ctx.actor.tenantId;
  const id = crypto.randomUUID();
  const boundTo = sealedForConnection(id);
  const secretSealed = await sealSecret(key, input.secret_key, boundTo);
  const webhookSealed =
    input.webhook_secret === undefined ? null : await sealSecret(key, input.webhook_secret, boundTo);
  const insert = sql`insert into payment_connections
      (id, tenant_id, provider, label, livemode, secret_key_sealed, secret_key_last4, webhook_secret_sealed)
    select ${id}::uuid, ${tenantId}::uuid, ${input.provider}::text, ${input.label ?? null}::text, ${livemode}::boolean,
           ${secretSealed}::text, ${input.secret_key.slice(-4)}::text, ${webhookSealed}::text
    where (select count(*) from payment_connections where tenant_id = ${tenantId} and not is_deleted)
          < ${MAX_CONNECTIONS_PER_TENANT}
    returning *`;
  // Creates of one tenant take turns (a transaction-scoped lock), so two at the cap cannot both pass.
  const lock = sql`select pg_advisory_xact_lock(hashtextextended(${`payment_connections:${tenantId}`}, 0))`;
  const connection = await writeWithEvent(ctx, deps, insert, "payment_connection.created", [lock]);
  if (!connection) {
    throw new ApiError("CONFLICT", `A tenant has at most ${MAX_CONNECTIONS_PER_TENANT} payment connections`);
  }
  return connection;
}

export async function listPaymentConnections(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<PaymentConnectionView>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select c.id, ${utcIso(sql`c.created_at`)} as created_at, ${connectionJson("c", ctx.region, deps.regionUrl)} as connection
        from payment_connections c
        where c.tenant_id = ${tenantId} and not c.is_deleted
          ${afterCursor(query.cursor, sql`c.created_at`, sql`c.id`)}
        order by c.created_at desc, c.id desc
        limit ${query.limit + 1}`,
  ]);
  const page = pageOf(
    rows as { id: string; created_at: string; connection: PaymentConnectionView }[],
    query.limit,
  );
  return { ...page, items: page.items.map((r) => r.connection) };
}

export async function getPaymentConnection(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  id: string,
): Promise<PaymentConnectionView> {
  const uuid = rowId(ctx, id);
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select ${connectionJson("c", ctx.region, deps.regionUrl)} as connection
        from payment_connections c where ${live(ctx, uuid)}`,
  ]);
  const row = rows[0] as { connection: PaymentConnectionView } | undefined;
  if (!row) throw ApiError.notFound("Payment connection");
  return row.connection;
}

/**
 * Changes the given fields. A new secret key replaces the old one at once (same provider shape
 * and mode); a new webhook secret keeps the replaced one valid for the grace period, and so does a
 * new Paystack key, since Paystack signs its webhooks with the key. Emits `payment_connection.updated`.
 */
export async function updatePaymentConnection(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  id: string,
  patch: PaymentConnectionPatch,
  defaultGraceSeconds: number,
): Promise<PaymentConnectionView> {
  const uuid = rowId(ctx, id);
  const sets: SQL[] = [sql`updated_at = now()`];
  if (patch.label !== undefined) sets.push(sql`label = ${patch.label}`);
  if (patch.enabled !== undefined) sets.push(sql`enabled = ${patch.enabled}`);
  if (patch.secret_key !== undefined || patch.webhook_secret !== undefined) {
    // The checks need the provider; reading it first costs a round trip only on rotations.
    const current = await storedConnection(ctx, uuid);
    if (!current) throw ApiError.notFound("Payment connection");
    const key = requireDataKey(deps.dataKey, FEATURE);
    const grace = patch.grace_period_seconds ?? defaultGraceSeconds;
    const keepPrevious = sql`${grace}::int > 0`;
    const until = sql`now() + make_interval(secs => ${grace}::int)`;
    if (patch.webhook_secret !== undefined) {
      checkedWebhookSecret(current.provider, patch.webhook_secret);
    }
    if (patch.secret_key !== undefined) {
      const livemode = checkedKey(current.provider, patch.secret_key);
      if (livemode !== current.livemode) {
        throw ApiError.validation([
          {
            field: "secret_key",
            message: `secret_key must be a ${livemode ? "test" : "live"} key like the one it replaces; connect a ${
              livemode ? "live" : "test"
            } account as a new connection`,
          },
        ]);
      }
      const sealed = await sealSecret(key, patch.secret_key, sealedForConnection(uuid));
      sets.push(sql`secret_key_sealed = ${sealed}`, sql`secret_key_last4 = ${patch.secret_key.slice(-4)}`);
      if (current.provider === "paystack") {
        sets.push(
          sql`previous_webhook_secret_sealed = case when ${keepPrevious} then secret_key_sealed end`,
          sql`previous_webhook_secret_expires_at = case when ${keepPrevious} then ${until} end`,
        );
      }
    }
    if (patch.webhook_secret !== undefined) {
      const sealed = await sealSecret(key, patch.webhook_secret, sealedForConnection(uuid));
      sets.push(
        sql`previous_webhook_secret_sealed = case when ${keepPrevious} then webhook_secret_sealed end`,
        sql`previous_webhook_secret_expires_at = case when ${keepPrevious} and webhook_secret_sealed is not null then ${until} end`,
        sql`webhook_secret_sealed = ${sealed}`,
      );
    }
    sets.push(sql`secrets_rotated_at = now()`);
  }
  const update = sql`update payment_connections set ${sql.join(sets, sql`, `)} where ${live(ctx, uuid)} returning *`;
  const connection = await writeWithEvent(ctx, deps, update, "payment_connection.updated");
  // This isolate's webhook route sees the change at once (others within WEBHOOK_CONNECTION_TTL_MS).
  forgetWebhookConnection(uuid);
  if (!connection) throw ApiError.notFound("Payment connection");
  return connection;
}

/** Soft delete; every secret is dropped with it, as nothing may charge or verify through it again. */
export async function deletePaymentConnection(
  ctx: ServiceContext,
  deps: ConnectionDeps,
  id: string,
): Promise<void> {
  const uuid = rowId(ctx, id);
  const update = sql`update payment_connections
    set is_deleted = true, deleted_at = now(), updated_at = now(), enabled = false,
        secret_key_sealed = null, webhook_secret_sealed = null,
        previous_webhook_secret_sealed = null, previous_webhook_secret_expires_at = null
    where ${live(ctx, uuid)} returning *`;
  const deleted = await writeWithEvent(ctx, deps, update, "payment_connection.deleted");
  forgetWebhookConnection(uuid);
  if (!deleted) {
    throw ApiError.notFound("Payment connection");
  }
}

async function storedConnection(
  ctx: ServiceContext,
  uuid: string,
): Promise<{ provider: PaymentProvider; livemode: boolean } | undefined> {
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select provider, livemode from payment_connections where ${live(ctx, uuid)}`,
  ]);
  return rows[0] as { provider: PaymentProvider; livemode: boolean } | undefined;
}

/** A live connection of the tenant, as stored (secrets sealed), with what choosing one needs. */
export interface StoredConnection extends SealedConnection {
  enabled: boolean;
  livemode: boolean;
}

/**
 * For the payment services and the public webhook route: a tenant's connection by its row id,
 * secrets sealed (connectorFor opens them), or undefined when missing or deleted. Runs under the
 * tenant's row-level security; needs no actor.
 */
export async function loadConnection(
  db: Database,
  tenantId: string,
  uuid: string,
): Promise<StoredConnection | undefined> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select ${SEALED_CONNECTION_COLUMNS}, enabled, livemode from payment_connections
        where id = ${uuid} and tenant_id = ${tenantId} and not is_deleted`,
  ]);
  return rows[0] as StoredConnection | undefined;
}
