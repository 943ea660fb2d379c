import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { withEvent } from "../../../db/outbox";
import { tenantRows, textArray, utcIso } from "../../../db/rows";
import { openSecret, sealSecret } from "../auth/credentials/secret-box";
import type { EventType } from "../events/catalogue";
import { requireDataKey } from "../lib/data-key";
import { ApiError } from "../lib/errors";
import { afterCursor, pageOf } from "../lib/keyset-page";
import type { DeliveryTarget } from "../webhooks/delivery-request";
import { matchesEventTypes } from "../webhooks/event-types";
import { generateWebhookSecret } from "../webhooks/secret";
import { checkWebhookUrl, type TargetPolicy } from "../webhooks/url-guard";
import type { Page } from "./contacts";
import type { ServiceContext } from "./context";

export const DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60;
export const MAX_OVERLAP_SECONDS = 7 * 24 * 60 * 60;
/** Each event is delivered once per matching endpoint: the cap bounds that fan-out per tenant. */
export const MAX_ENDPOINTS_PER_TENANT = 20;

const SOURCE = "webhooks-service";
const FEATURE = "Webhook signing";

/** An endpoint as the API and its events show it: never a secret. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  secret_rotated_at: string | null;
  /** While a rotation overlaps: when the previous secret stops signing; else null. */
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookEndpointInput {
  url: string;
  description?: string | null | undefined;
  event_types?: string[] | undefined;
  enabled?: boolean | undefined;
}

export type WebhookEndpointPatch = Partial<WebhookEndpointInput>;

/** An endpoint with its secret: only in the answer of a create or a rotation. */
export interface EndpointWithSecret {
  endpoint: WebhookEndpointView;
  secret: string;
}

/** A sealed secret decrypts only on its own row. */
const sealedFor = (endpointId: string) => `webhook_endpoint:${endpointId}`;

/**
 * The API representation rendered by Postgres, from `webhook_endpoints` or a write's `changed`
 * CTE: responses and event payloads come from this one expression, so they cannot disagree.
 */
function endpointJson(from: "e" | "changed"): SQL {
  const c = (column: string) => sql.raw(`${from}.${column}`);
  return sql`json_build_object(
    'id', ${c("id")},
    'url', ${c("url")},
    'description', ${c("description")},
    'event_types', ${c("event_types")},
    'enabled', ${c("enabled")},
    'secret_rotated_at', ${utcIso(c("secret_rotated_at"))},
    'previous_secret_expires_at',
      case when ${c("previous_expires_at")} > now() then ${utcIso(c("previous_expires_at"))} end,
    'created_at', ${utcIso(c("created_at"))},
    'updated_at', ${utcIso(c("updated_at"))}
  )`;
}

/** The canonical URL, or a 400 naming the field. */
function checkedUrl(url: string, policy: TargetPolicy): string {
  const check = checkWebhookUrl(url, policy);
  if (!check.ok) throw ApiError.validation([{ field: "url", message: `url ${check.reason}` }]);
  return check.url.href;
}

/** Runs one write and its `webhook_endpoint.*` event as one statement; the changed endpoint, or undefined. */
async function writeWithEvent(
  ctx: ServiceContext,
  change: SQL,
  eventType: EventType,
  before: SQL[] = [],
): Promise<WebhookEndpointView | undefined> {
  const event = {
    eventId: crypto.randomUUID(),
    eventType,
    source: SOURCE,
    actorId: ctx.actor.userId,
    correlationId: ctx.requestId,
  };
  const statement = withEvent(
    change,
    event,
    endpointJson("changed"),
    sql`${endpointJson("changed")} as endpoint`,
  );
  const results = await tenantRows(ctx.db, ctx.actor.tenantId, [...before, statement]);
  return (results.at(-1)?.[0] as { endpoint: WebhookEndpointView } | undefined)?.endpoint;
}

const live = (ctx: ServiceContext, id: string) =>
  sql`id = ${id} and tenant_id = ${ctx.actor.tenantId} and not is_deleted`;

export async function createWebhookEndpoint(
  ctx: ServiceContext,
  deps: { dataKey: string | undefined; policy: TargetPolicy },
  input: WebhookEndpointInput,
): Promise<EndpointWithSecret> {
  const key = requireDataKey(deps.dataKey, FEATURE);
  const url = checkedUrl(input.url, deps.policy);
  const tenantId = ctx.actor.tenantId;
  const id = crypto.randomUUID();
  const secret = generateWebhookSecret();
  const sealed = await sealSecret(key, secret, sealedFor(id));
  const insert = sql`insert into webhook_endpoints (id, tenant_id, url, description, event_types, enabled, secret_sealed)
    select ${id}::uuid, ${tenantId}::uuid, ${url}::text, ${input.description ?? null}::text,
           ${textArray(input.event_types ?? [])}, ${input.enabled ?? true}::boolean, ${sealed}::text
    where (select count(*) from webhook_endpoints where tenant_id = ${tenantId} and not is_deleted)
          < ${MAX_ENDPOINTS_PER_TENANT}
    returning *`;
  // Creates of one tenant take turns (a transaction-scoped lock), so two at the cap cannot both pass.
  const lock = sql`select pg_advisory_xact_lock(hashtextextended(${`webhook_endpoints:${tenantId}`}, 0))`;
  const endpoint = await writeWithEvent(ctx, insert, "webhook_endpoint.created", [lock]);
  if (!endpoint) {
    throw new ApiError("CONFLICT", `A tenant has at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints`);
  }
  return { endpoint, secret };
}

export async function listWebhookEndpoints(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<WebhookEndpointView>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select e.id, ${utcIso(sql`e.created_at`)} as created_at, ${endpointJson("e")} as endpoint
        from webhook_endpoints e
        where e.tenant_id = ${tenantId} and not e.is_deleted
          ${afterCursor(query.cursor, sql`e.created_at`, sql`e.id`)}
        order by e.created_at desc, e.id desc
        limit ${query.limit + 1}`,
  ]);
  const page = pageOf(
    rows as { id: string; created_at: string; endpoint: WebhookEndpointView }[],
    query.limit,
  );
  return { ...page, items: page.items.map((r) => r.endpoint) };
}

export async function getWebhookEndpoint(ctx: ServiceContext, id: string): Promise<WebhookEndpointView> {
  const [rows = []] = await tenantRows(ctx.db, ctx.actor.tenantId, [
    sql`select ${endpointJson("e")} as endpoint from webhook_endpoints e where ${live(ctx, id)}`,
  ]);
  const row = rows[0] as { endpoint: WebhookEndpointView } | undefined;
  if (!row) throw ApiError.notFound("Webhook endpoint");
  return row.endpoint;
}

/** Changes the given fields only; a new URL passes the guard again. */
export async function updateWebhookEndpoint(
  ctx: ServiceContext,
  policy: TargetPolicy,
  id: string,
  patch: WebhookEndpointPatch,
): Promise<WebhookEndpointView> {
  const sets: SQL[] = [sql`updated_at = now()`];
  if (patch.url !== undefined) sets.push(sql`url = ${checkedUrl(patch.url, policy)}`);
  if (patch.description !== undefined) sets.push(sql`description = ${patch.description}`);
  if (patch.event_types !== undefined) sets.push(sql`event_types = ${textArray(patch.event_types)}`);
  if (patch.enabled !== undefined) sets.push(sql`enabled = ${patch.enabled}`);
  const update = sql`update webhook_endpoints set ${sql.join(sets, sql`, `)} where ${live(ctx, id)} returning *`;
  const endpoint = await writeWithEvent(ctx, update, "webhook_endpoint.updated");
  if (!endpoint) throw ApiError.notFound("Webhook endpoint");
  return endpoint;
}

/** Soft delete; both secrets are dropped with it, as nothing may sign for the endpoint again. */
export async function deleteWebhookEndpoint(ctx: ServiceContext, id: string): Promise<void> {
  const update = sql`update webhook_endpoints
    set is_deleted = true, deleted_at = now(), updated_at = now(),
        secret_sealed = null, previous_secret_sealed = null, previous_expires_at = null
    where ${live(ctx, id)} returning *`;
  if (!(await writeWithEvent(ctx, update, "webhook_endpoint.deleted"))) {
    throw ApiError.notFound("Webhook endpoint");
  }
}

/**
 * A new current secret (answered once); the old one keeps signing for `overlapSeconds` (0: it
 * stops at once). Only two secrets exist at a time: rotating again during an overlap ends the
 * older previous secret at once. Emits `webhook_endpoint.updated`.
 */
export async function rotateWebhookEndpointSecret(
  ctx: ServiceContext,
  dataKey: string | undefined,
  id: string,
  overlapSeconds: number,
): Promise<EndpointWithSecret> {
  const key = requireDataKey(dataKey, FEATURE);
  const secret = generateWebhookSecret();
  const sealed = await sealSecret(key, secret, sealedFor(id));
  const overlapping = sql`${overlapSeconds}::int > 0`;
  const update = sql`update webhook_endpoints
    set previous_secret_sealed = case when ${overlapping} then secret_sealed end,
        previous_expires_at = case when ${overlapping} then now() + make_interval(secs => ${overlapSeconds}::int) end,
        secret_sealed = ${sealed}, secret_rotated_at = now(), updated_at = now()
    where ${live(ctx, id)} returning *`;
  const endpoint = await writeWithEvent(ctx, update, "webhook_endpoint.updated");
  if (!endpoint) throw ApiError.notFound("Webhook endpoint");
  return { endpoint, secret };
}

/**
 * For the dispatcher: the tenant's enabled endpoints that subscribe to `eventType`, with the
 * secrets that sign now (current first, then the previous one while its overlap lasts), in clear.
 * Oldest endpoint first. Needs no actor: it runs for the tenant, under its row-level security.
 */
export async function loadDeliveryTargets(
  db: Database,
  tenantId: string,
  dataKey: string,
  eventType: EventType,
): Promise<DeliveryTarget[]> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select id, url, event_types, secret_sealed,
          case when previous_expires_at > now() then previous_secret_sealed end as previous_sealed
        from webhook_endpoints
        where tenant_id = ${tenantId} and not is_deleted and enabled
        order by created_at, id`,
  ]);
  const matching = (
    rows as {
      id: string;
      url: string;
      event_types: string[];
      secret_sealed: string;
      previous_sealed: string | null;
    }[]
  ).filter((r) => matchesEventTypes(r.event_types, eventType));
  return Promise.all(
    matching.map(async (r) => ({
      id: r.id,
      url: r.url,
      secrets: await openEndpointSecrets(dataKey, r.id, [r.secret_sealed, r.previous_sealed]),
    })),
  );
}

/** An endpoint's sealed secrets (current first; nulls skipped) in clear, for signing. */
export function openEndpointSecrets(
  dataKey: string,
  endpointId: string,
  sealed: readonly (string | null)[],
): Promise<string[]> {
  return Promise.all(
    sealed.filter((s): s is string => s !== null).map((s) => openSecret(dataKey, s, sealedFor(endpointId))),
  );
}
