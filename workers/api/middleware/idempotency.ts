import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { regionDatabaseOptions } from "../../../db/client";
import { InteractiveTransaction } from "../../../db/interactive-transaction";
import type { AppEnv } from "../app-env";
import { openSecret, sealSecret } from "../auth/credentials/secret-box";
import { fromDatabaseError } from "../lib/db-errors";
import { ApiError } from "../lib/errors";
import {
  hexTextLiteral,
  IDEMPOTENCY_HEADER,
  IDEMPOTENCY_TTL_HOURS,
  type IdempotencyRoutes,
  idempotencyLockId,
  isRecordedStatus,
  REPLAYED_HEADER,
  requestFingerprint,
  validIdempotencyKey,
} from "../lib/idempotency";
import { logError } from "../lib/log-error";
import { injectedFault } from "../lib/test-faults";

/** The response headers a replay repeats; the rest (CORS, security, region) are the replay's own. */
const RECORDED_HEADERS = ["Content-Type", "Location"] as const;

/**
 * Faults a test deployment can inject (lib/test-faults.ts): fail the request right before or
 * right after its COMMIT, as a Worker that dies there would, to show a retry neither repeats nor
 * loses it.
 */
const FAULTS = ["idempotency-before-commit", "idempotency-after-commit"] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface StoredResponse {
  request_hash: string;
  response_status: number;
  response_headers: Record<string, string>;
  response_body: string;
  request_id: string;
}

interface Recording {
  tenantId: string;
  credential: string;
  key: string;
  fingerprint: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  requestId: string;
}

/**
 * The record and the COMMIT in one round trip (simple query protocol, so literals: the tenant id
 * is a checked UUID, the status an integer, the fingerprint hex digits, everything else is sent
 * hex-encoded). If the insert wrote nothing the division fails, the transaction aborts and the
 * COMMIT that follows cannot commit the request's writes without their record.
 *
 * One row per key; the sweep removes a few of the tenant's expired rows on each recording, so the
 * table holds about a day of keys without a scheduled job. An expired row of the same key is
 * overwritten (the lookup treats it as absent; both use the transaction's one now()).
 */
function recordAndCommitSql(r: Recording): string {
  if (!UUID.test(r.tenantId) || !/^[0-9a-f]{64}$/.test(r.fingerprint) || !Number.isInteger(r.status)) {
    throw new Error("idempotency record with an unexpected value");
  }
  const tenant = `'${r.tenantId}'::uuid`;
  const credential = hexTextLiteral(r.credential);
  const key = hexTextLiteral(r.key);
  return `
  with swept as (
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys
      where tenant_id = ${tenant} and expires_at <= now() and not (credential = ${credential} and key = ${key})
      limit 50 for update skip locked
    )
  ), recorded as (
    insert into idempotency_keys
      (tenant_id, credential, key, request_hash, response_status, response_headers, response_body,
       request_id, expires_at)
    values (${tenant}, ${credential}, ${key}, '${r.fingerprint}', ${r.status},
            ${hexTextLiteral(JSON.stringify(r.headers))}::jsonb, ${hexTextLiteral(r.body)},
            ${hexTextLiteral(r.requestId)}, now() + interval '${IDEMPOTENCY_TTL_HOURS} hours')
    on conflict (tenant_id, credential, key) do update set
      request_hash = excluded.request_hash, response_status = excluded.response_status,
      response_headers = excluded.response_headers, response_body = excluded.response_body,
      request_id = excluded.request_id, created_at = now(), expires_at = excluded.expires_at
    where idempotency_keys.expires_at <= now()
    returning 1
  )
  select 1 / count(*) as recorded from recorded;
  commit`;
}

function routeMode(c: Context<AppEnv>, routes: IdempotencyRoutes) {
  const route = matchedRoutes(c).find((r) => r.method === "POST");
  return route ? routes.modeOf(route.path) : undefined;
}

function closeLater(c: Context<AppEnv>, tx: InteractiveTransaction): void {
  const closing = tx.close().catch(() => {});
  try {
    c.executionCtx.waitUntil(closing);
  } catch {
    // No execution context (app.request in a unit test): the close runs on its own.
  }
}

/**
 * Stored responses hold what the first request answered, personal fields in clear included (a
 * contact's phone, an invoice's customer): they are kept sealed under DATA_ENCRYPTION_KEY, bound
 * to their key, so the table holds ciphertext only. A JSON body never starts like a sealed one,
 * so rows stored in clear (before this, or in a region without the key) replay as they are.
 */
const sealedBinding = (tenantId: string, credential: string, key: string) =>
  `${tenantId}/${credential}/${key}`;
const SEALED_BODY = /^v1\.[A-Za-z0-9+/]+\.[A-Za-z0-9+/]+$/;

async function storedBody(dataKey: string | undefined, body: string, binding: string): Promise<string> {
  return dataKey ? sealSecret(dataKey, body, binding) : body;
}

async function replay(
  stored: StoredResponse,
  dataKey: string | undefined,
  binding: string,
): Promise<Response> {
  const headers = new Headers(stored.response_headers);
  headers.set(REPLAYED_HEADER, "true");
  // The body's request_id is the first request's; the header agrees with it.
  headers.set("X-Request-Id", stored.request_id);
  const sealed = SEALED_BODY.test(stored.response_body);
  if (sealed && !dataKey)
    throw ApiError.unavailable("Stored responses cannot be read (no DATA_ENCRYPTION_KEY)", 60);
  const body =
    sealed && dataKey ? await openSecret(dataKey, stored.response_body, binding) : stored.response_body;
  return new Response(body, { status: stored.response_status, headers });
}

/**
 * `Idempotency-Key` on POST /api/*: the request runs in one interactive transaction that also
 * records its response under the key, so a committed change always has its key (a Worker dying
 * after COMMIT leaves both, before it neither). A per-key advisory lock makes a parallel
 * duplicate answer 409 instead of running twice.
 */
export const idempotency = (routes: IdempotencyRoutes) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== "POST") return next();
    const mode = routeMode(c, routes);
    const actor = c.get("actor");
    // No such POST route (404/405 follow), or a request residency already forwarded.
    if (mode === undefined || !actor) return next();
    const sent = c.req.header(IDEMPOTENCY_HEADER);
    if (sent === undefined) {
      if (mode === "required") {
        throw new ApiError("VALIDATION_ERROR", `This route requires an ${IDEMPOTENCY_HEADER} header`, {
          field: IDEMPOTENCY_HEADER,
        });
      }
      return next();
    }
    if (mode === "refused") {
      throw new ApiError(
        "VALIDATION_ERROR",
        `This route does not accept ${IDEMPOTENCY_HEADER}: its response carries a secret that is never stored for replay`,
        { field: IDEMPOTENCY_HEADER },
      );
    }
    const key = validIdempotencyKey(sent);
    if (!UUID.test(actor.tenantId)) throw new Error("tenant id is not a UUID");

    const url = new URL(c.req.url);
    // Read before anything opens: Hono caches the bytes, the route's validator parses them later.
    const body = await c.req.arrayBuffer();
    const fingerprint = await requestFingerprint(c.req.method, url.pathname + url.search, body);
    const credential = `${actor.credential}:${actor.userId}`;
    const lockId = await idempotencyLockId(actor.tenantId, credential, key);

    const config = c.get("config");
    let tx: InteractiveTransaction;
    try {
      tx = await InteractiveTransaction.connect(regionDatabaseOptions(config));
    } catch (error) {
      throw fromDatabaseError(error) ?? ApiError.unavailable("Database unavailable", 5, error);
    }
    let committed = false;
    try {
      // One round trip: every literal is a checked UUID, a decimal or hex digits. The lookup
      // runs after the lock, so it sees a duplicate that committed while we waited for it.
      const results = await tx.script(`
        begin;
        select set_config('app.tenant_id', '${actor.tenantId}', true);
        set local idle_in_transaction_session_timeout = '30s';
        select pg_try_advisory_xact_lock(${lockId}) as locked;
        select request_hash, response_status, response_headers, response_body, request_id
          from idempotency_keys
          where tenant_id = '${actor.tenantId}' and credential = ${hexTextLiteral(credential)}
            and key = ${hexTextLiteral(key)} and expires_at > now()`);
      const locked = (results[3]?.rows[0] as { locked: boolean } | undefined)?.locked === true;
      const stored = results[4]?.rows[0] as StoredResponse | undefined;

      if (stored) {
        if (stored.request_hash !== fingerprint) {
          throw new ApiError(
            "IDEMPOTENCY_KEY_REUSED",
            `This ${IDEMPOTENCY_HEADER} was used with a different request`,
            { field: IDEMPOTENCY_HEADER },
          );
        }
        return replay(stored, config.dataEncryptionKey, sealedBinding(actor.tenantId, credential, key));
      }
      if (!locked) {
        throw new ApiError(
          "IDEMPOTENCY_KEY_IN_USE",
          `A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry later`,
          { headers: { "Retry-After": "1" } },
        );
      }

      tx.assumeTenant(actor.tenantId);
      c.set("database", tx.database());
      await next();

      const fault = injectedFault(c, FAULTS);
      const status = c.res.status;
      // A failed statement aborted the transaction: nothing of the request stays, so nothing is
      // recorded either and the key can be retried.
      if (!isRecordedStatus(status) || tx.failed) return;
      if (fault === "idempotency-before-commit") throw new Error("injected fault before COMMIT");

      const responseBody = await c.res.text();
      const headers: Record<string, string> = {};
      for (const name of RECORDED_HEADERS) {
        const value = c.res.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      c.res = new Response(responseBody, c.res);
      // Only an unexpired row of this key stops the insert, which the lock and lookup exclude.
      await tx.commitWith(
        recordAndCommitSql({
          tenantId: actor.tenantId,
          credential,
          key,
          fingerprint,
          status,
          headers,
          body: await storedBody(
            config.dataEncryptionKey,
            responseBody,
            sealedBinding(actor.tenantId, credential, key),
          ),
          requestId: c.get("requestId"),
        }),
      );
      committed = true;
      if (fault === "idempotency-after-commit") throw new Error("injected fault after COMMIT");
    } finally {
      if (!committed) {
        await tx.rollback().catch((error: unknown) => {
          logError("idempotency rollback failed", c.get("requestId"), error);
        });
      }
      closeLater(c, tx);
    }
  });
