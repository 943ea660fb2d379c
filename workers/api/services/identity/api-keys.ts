import { type SQL, sql } from "drizzle-orm";
import { tenantRows, utcIso } from "../../../../db/rows";
import { apiKeyHint, mintApiKey } from "../../auth/api-key-format";
import { grantableRoles } from "../../auth/role-order";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import { sha256Hex } from "../../oauth/encoding";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { type AuditAction, auditInsertWhen } from "./audit";
import { auditedChange, byActor } from "./audited-change";
import type { RequestInfo } from "./request-info";

export const MAX_LIFETIME_DAYS = 90;
export const DEFAULT_GRACE_SECONDS = 24 * 60 * 60;
export const MAX_GRACE_SECONDS = 7 * 24 * 60 * 60;

export interface ApiKeyView {
  id: string;
  name: string;
  hint: string;
  role: string;
  scopes: string[];
  status: "active" | "expired" | "revoked";
  created_by: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  replaces_id: string | null;
  replaced_by_id: string | null;
}

/** A key as minted: the only time its secret exists outside the client. */
export interface MintedApiKey {
  key: ApiKeyView;
  secret: string;
}

export interface CreateApiKeyInput {
  name: string;
  role: string;
  scopes: string[];
  expiresAt?: string | undefined;
}

export interface RotateApiKeyInput {
  gracePeriodSeconds: number;
  expiresAt?: string | undefined;
}

const iso = (column: string) => utcIso(sql.raw(column));

/** Never key_hash: what lists and reads may show. */
const VIEW = sql`id, name, hint, role, scopes, created_by,
  case when revoked_at is not null then 'revoked' when expires_at <= now() then 'expired' else 'active' end as status,
  ${iso("created_at")} as created_at, ${iso("expires_at")} as expires_at, ${iso("last_used_at")} as last_used_at,
  ${iso("revoked_at")} as revoked_at, replaces_id, replaced_by_id`;

/** The asked expiry, or the longest allowed; clamped in SQL so the database clock has the last word. */
const expiryOf = (expiresAt: string | undefined) => {
  const max = sql.raw(`now() + interval '${MAX_LIFETIME_DAYS} days'`);
  return sql`least(coalesce(${expiresAt ?? null}::timestamptz, ${max}), ${max})`;
};

/** Keys cannot mint keys, or a leaked key could outlive its own revocation through its children. */
function assertNotApiKey(ctx: ServiceContext): void {
  if (ctx.actor.credential === "api_key") {
    throw new ApiError("FORBIDDEN", "API keys cannot create or rotate API keys");
  }
}

/** A key acts with a role never above its creator's (system role order, Owner highest). */
function assertMayGrant(ctx: ServiceContext, role: string): void {
  if (!grantableRoles(ctx.actor.role).includes(role as never)) {
    throw new ApiError("FORBIDDEN", `Role ${ctx.actor.role} cannot grant role ${role}`, { field: "role" });
  }
}

function audit(
  ctx: ServiceContext,
  info: RequestInfo,
  action: AuditAction,
  keyId: string,
  when: SQL,
  extra = {},
) {
  return auditInsertWhen({ ...byActor(ctx, "api_key"), action, targetId: keyId, details: extra }, info, when);
}

async function mint(ctx: ServiceContext) {
  const secret = mintApiKey(ctx.region, ctx.actor.tenantId);
  return { id: crypto.randomUUID(), secret, hash: await sha256Hex(secret), hint: apiKeyHint(secret) };
}

export async function createApiKey(
  ctx: ServiceContext,
  info: RequestInfo,
  input: CreateApiKeyInput,
): Promise<MintedApiKey> {
  assertNotApiKey(ctx);
  assertMayGrant(ctx, input.role);
  const tenantId = ctx.actor.tenantId;
  const next = await mint(ctx);
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`insert into api_keys (id, tenant_id, name, key_hash, hint, role, scopes, created_by, expires_at)
        values (${next.id}, ${tenantId}, ${input.name}, ${next.hash}, ${next.hint}, ${input.role}, ${sql.param(input.scopes)}::text[],
                ${ctx.actor.userId}, ${expiryOf(input.expiresAt)})
        returning ${VIEW}`,
    audit(ctx, info, "api_key.created", next.id, sql`true`, { role: input.role, name: input.name }),
  ]);
  const key = rows[0] as ApiKeyView | undefined;
  if (!key) throw new Error("api key insert returned nothing");
  return { key, secret: next.secret };
}

export async function listApiKeys(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<ApiKeyView>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${VIEW} from api_keys
        where tenant_id = ${tenantId} ${afterCursor(query.cursor, sql`created_at`, sql`id`)}
        order by created_at desc, id desc
        limit ${query.limit + 1}`,
  ]);
  return pageOf(rows as ApiKeyView[], query.limit);
}

export async function getApiKey(ctx: ServiceContext, id: string): Promise<ApiKeyView> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${VIEW} from api_keys where id = ${id} and tenant_id = ${tenantId}`,
  ]);
  const key = rows[0] as ApiKeyView | undefined;
  if (!key) throw ApiError.notFound("API key");
  return key;
}

interface KeyState {
  role: string;
  live: boolean;
}

/**
 * A successor with a new secret (same name, role and scopes), and the old key's expiry cut to
 * now + grace, in one transaction. Compare-and-set on replaced_by_id: of two parallel rotations
 * one wins; the loser, like a revoked, expired or already rotated key, gets 409.
 */
export async function rotateApiKey(
  ctx: ServiceContext,
  info: RequestInfo,
  id: string,
  input: RotateApiKeyInput,
): Promise<MintedApiKey & { previous: ApiKeyView; previousKeyHash: string }> {
  assertNotApiKey(ctx);
  const tenantId = ctx.actor.tenantId;
  const next = await mint(ctx);
  // Rotating hands out a new secret: only for keys the caller could have minted.
  const grantable = grantableRoles(ctx.actor.role);
  const [before = [], created = [], previous = []] = await tenantRows(ctx.db, tenantId, [
    sql`select role, revoked_at is null and expires_at > now() as live
        from api_keys where id = ${id} and tenant_id = ${tenantId}`,
    sql`with old as (
          update api_keys
          set replaced_by_id = ${next.id},
              expires_at = least(expires_at, now() + make_interval(secs => ${input.gracePeriodSeconds}))
          where id = ${id} and tenant_id = ${tenantId} and revoked_at is null and expires_at > now()
            and replaced_by_id is null and role = any(${sql.param(grantable)}::text[])
          returning id, tenant_id, name, role, scopes
        )
        insert into api_keys (id, tenant_id, name, key_hash, hint, role, scopes, created_by, expires_at, replaces_id)
        select ${next.id}, tenant_id, name, ${next.hash}, ${next.hint}, role, scopes, ${ctx.actor.userId},
               ${expiryOf(input.expiresAt)}, id
        from old
        returning ${VIEW}`,
    sql`select ${VIEW}, key_hash from api_keys where id = ${id} and replaced_by_id = ${next.id}`,
    audit(ctx, info, "api_key.rotated", id, sql`exists (select 1 from api_keys where id = ${next.id})`, {
      successor: next.id,
      grace_period_seconds: input.gracePeriodSeconds,
    }),
  ]);
  const key = created[0] as ApiKeyView | undefined;
  const old = previous[0] as (ApiKeyView & { key_hash: string }) | undefined;
  if (key && old) {
    const { key_hash, ...view } = old;
    return { key, secret: next.secret, previous: view, previousKeyHash: key_hash };
  }

  const state = before[0] as KeyState | undefined;
  if (!state) throw ApiError.notFound("API key");
  assertMayGrant(ctx, state.role);
  if (!state.live) throw new ApiError("CONFLICT", "API key is revoked or expired");
  // Live, grantable, yet not updated: it already has a successor (perhaps from a parallel rotation).
  throw new ApiError("CONFLICT", "API key was already rotated; rotate its successor");
}

/**
 * Revoked at once in the database; the caller then drops the cached copies (forgetApiKey, with
 * the hash returned here). Idempotent: revoking again changes and audits nothing.
 * Revocation only removes access, so any holder of iam.api_keys.write may revoke any key of
 * the tenant, whatever its role.
 */
export async function revokeApiKey(
  ctx: ServiceContext,
  info: RequestInfo,
  id: string,
): Promise<{ key: ApiKeyView; keyHash: string }> {
  const tenantId = ctx.actor.tenantId;
  // The revocation and its audit entry are one statement: the entry exists exactly when it changed a row.
  const [, rows = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (update api_keys set revoked_at = now()
          where id = ${id} and tenant_id = ${tenantId} and revoked_at is null returning id)`,
      { ...byActor(ctx, "api_key"), action: "api_key.revoked", targetId: id },
      info,
    ),
    sql`select ${VIEW}, key_hash from api_keys where id = ${id} and tenant_id = ${tenantId}`,
  ]);
  const row = rows[0] as (ApiKeyView & { key_hash: string }) | undefined;
  if (!row) throw ApiError.notFound("API key");
  const { key_hash, ...key } = row;
  return { key, keyHash: key_hash };
}
