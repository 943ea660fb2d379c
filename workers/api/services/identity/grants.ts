import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import { hashOpaqueToken, mintOpaqueToken, tenantOfOpaqueToken } from "../../oauth/opaque-token";
import { auditInsert, auditInsertFrom, auditInsertWhen } from "./audit";
import type { RequestInfo } from "./request-info";

const idsOf = (rows: unknown[]) => (rows as { id: string }[]).map((row) => String(row.id));

/** OAuth 2.1 §4.1.2: short-lived; 60 s. */
export const CODE_TTL_SECONDS = 60;

/** A column of the role a user holds in a tenant now (null: no longer an active member). */
const currentRoleColumn = (column: SQL, tenantId: string, userId: SQL) => sql`(
  select ${column} from memberships m join roles r on r.id = m.role_id
  where m.tenant_id = ${tenantId}::uuid and m.user_id = ${userId} and not m.is_deleted
    and m.status = 'active' and not r.is_deleted limit 1)`;

const currentRole = (tenantId: string, userId: SQL) => currentRoleColumn(sql`r.name`, tenantId, userId);

/**
 * A custom role's permissions, space-separated, for the access token's `perms` claim, read in the
 * same statement as the role so the two always agree; null for a system role (its set is in code).
 * A change to the role therefore reaches tokens at the next issue or refresh.
 */
const currentPermissions = (tenantId: string, userId: SQL) =>
  currentRoleColumn(
    sql`case when r.is_system then null else array_to_string(r.permissions, ' ') end`,
    tenantId,
    userId,
  );

export interface CodeGrant {
  tenantId: string;
  clientId: string; // oauth_clients.id
  userId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  nonce: string | null;
  authTime: string;
}

export async function issueCode(db: Database, grant: CodeGrant): Promise<string> {
  const code = mintOpaqueToken("code", grant.tenantId);
  await tenantRows(db, grant.tenantId, [
    sql`insert into oauth_codes (tenant_id, code_hash, client_id, user_id, redirect_uri, code_challenge, scope, nonce, auth_time, expires_at)
        values (${grant.tenantId}, ${await hashOpaqueToken(code)}, ${grant.clientId}, ${grant.userId}, ${grant.redirectUri},
                ${grant.codeChallenge}, ${grant.scope}, ${grant.nonce}, ${grant.authTime}, now() + make_interval(secs => ${CODE_TTL_SECONDS}))`,
  ]);
  return code;
}

export interface StoredCode {
  id: string;
  tenantId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  nonce: string | null;
  authTime: string;
  used: boolean;
  expired: boolean;
}

export async function findCode(db: Database, code: string): Promise<StoredCode | undefined> {
  const tenantId = tenantOfOpaqueToken("code", code);
  if (!tenantId) return undefined;
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select id, client_id, user_id, redirect_uri, code_challenge, scope, nonce, auth_time,
               used_at is not null as used, expires_at <= now() as expired
        from oauth_codes where code_hash = ${await hashOpaqueToken(code)}`,
  ]);
  const row = rows[0] as Record<string, unknown> | undefined;
  if (!row) return undefined;
  return {
    id: String(row.id),
    tenantId,
    clientId: String(row.client_id),
    userId: String(row.user_id),
    redirectUri: String(row.redirect_uri),
    codeChallenge: String(row.code_challenge),
    scope: String(row.scope),
    nonce: row.nonce === null ? null : String(row.nonce),
    authTime: String(row.auth_time),
    used: row.used === true,
    expired: row.expired === true,
  };
}

export interface IssuedRefresh {
  familyId: string;
  refreshToken: string;
  role: string;
  /** Custom role's permissions (space-separated); null for a system role. */
  permissions: string | null;
}

/**
 * Consumes a code (compare-and-set on used_at) and opens its refresh-token family in the same
 * transaction. Null: the code was consumed by someone else meanwhile, or the user is no longer a
 * member; the caller treats both as a failed grant.
 */
export async function redeemCode(
  db: Database,
  code: StoredCode,
  refreshTtlSeconds: number,
  info: RequestInfo,
): Promise<IssuedRefresh | null> {
  const familyId = crypto.randomUUID();
  const refreshToken = mintOpaqueToken("refresh", code.tenantId);
  const role = currentRole(code.tenantId, sql`${code.userId}::uuid`);
  const permissions = currentPermissions(code.tenantId, sql`${code.userId}::uuid`);
  const [rows = []] = await tenantRows(db, code.tenantId, [
    sql`with consumed as (
          update oauth_codes set used_at = now()
          where id = ${code.id} and used_at is null and expires_at > now() and ${role} is not null
          returning id, user_id, client_id, scope, auth_time
        ), family as (
          insert into refresh_families (id, tenant_id, client_id, user_id, code_id, scope, auth_time)
          select ${familyId}, ${code.tenantId}, client_id, user_id, id, scope, auth_time from consumed
          returning id
        ), token as (
          insert into refresh_tokens (tenant_id, family_id, token_hash, expires_at)
          select ${code.tenantId}, id, ${await hashOpaqueToken(refreshToken)}, now() + make_interval(secs => ${refreshTtlSeconds})
          from family returning id
        )
        select ${role} as role, ${permissions} as perms from token`,
    auditInsertWhen(
      {
        tenantId: code.tenantId,
        action: "oauth.token_issued",
        outcome: "success",
        actorType: "user",
        actorId: code.userId,
        targetType: "refresh_family",
        targetId: familyId,
        details: { grant_type: "authorization_code", client: code.clientId },
      },
      info,
      sql`exists (select 1 from refresh_families where id = ${familyId})`,
    ),
  ]);
  const row = rows[0] as { role: string; perms: string | null } | undefined;
  return row ? { familyId, refreshToken, role: row.role, permissions: row.perms } : null;
}

/**
 * A code presented again: RFC 6749 §4.1.2 / SECURITY.md — refuse, and revoke what its first
 * redemption issued (the refresh family, whose id is returned for the edge revocation list).
 */
export async function revokeCodeFamily(db: Database, code: StoredCode, info: RequestInfo): Promise<string[]> {
  const [revoked = []] = await tenantRows(db, code.tenantId, [
    sql`update refresh_families set revoked_at = now(), revoked_reason = 'code_reuse'
        where code_id = ${code.id} and revoked_at is null returning id`,
    auditInsert(
      {
        tenantId: code.tenantId,
        action: "oauth.code_reuse_detected",
        outcome: "failure",
        actorType: "user",
        actorId: code.userId,
        targetType: "oauth_code",
        targetId: code.id,
        details: { client: code.clientId },
      },
      info,
    ),
  ]);
  return idsOf(revoked);
}

export type RotationResult =
  | {
      ok: true;
      tenantId: string;
      familyId: string;
      userId: string;
      scope: string;
      authTime: string;
      role: string;
      permissions: string | null;
      refreshToken: string;
    }
  | { ok: false; reason: "invalid" | "reuse_detected"; revokedFamilies: string[] };

/**
 * Refresh-token rotation in one transaction:
 * 1. compare-and-set: mark the presented token used, only if unused, unexpired, of this client, in
 *    a live family, for a user still a member; and insert its successor;
 * 2. if instead the token had already been used (a replay, or the loser of two parallel
 *    refreshes), revoke its whole family (RFC 9700 §4.14.2);
 * 3. audit whichever happened.
 * Row locks make the compare-and-set exact: of two concurrent refreshes, one rotates and the
 * other sees the token used.
 */
export async function rotateRefreshToken(
  db: Database,
  presented: string,
  clientId: string,
  ttlSeconds: number,
  info: RequestInfo,
): Promise<RotationResult> {
  const tenantId = tenantOfOpaqueToken("refresh", presented);
  if (!tenantId) return { ok: false, reason: "invalid", revokedFamilies: [] };
  const presentedHash = await hashOpaqueToken(presented);
  const next = mintOpaqueToken("refresh", tenantId);
  const nextHash = await hashOpaqueToken(next);
  const role = currentRole(tenantId, sql`f.user_id`);
  const permissions = currentPermissions(tenantId, sql`f.user_id`);

  const [rotated = [], reused = []] = await tenantRows(db, tenantId, [
    sql`with current as (
          update refresh_tokens rt set used_at = now()
          from refresh_families f
          where rt.token_hash = ${presentedHash} and rt.used_at is null and rt.expires_at > now()
            and f.id = rt.family_id and f.revoked_at is null and f.client_id = ${clientId}
            and ${role} is not null
          returning rt.family_id, f.user_id, f.scope, f.auth_time, ${role} as role, ${permissions} as perms
        ), successor as (
          insert into refresh_tokens (tenant_id, family_id, token_hash, expires_at)
          select ${tenantId}, family_id, ${nextHash}, now() + make_interval(secs => ${ttlSeconds}) from current
          returning family_id
        ), audited as (${auditInsertFrom(
          {
            tenantId,
            action: "oauth.token_refreshed",
            outcome: "success",
            actorType: "user",
            actorId: sql`c.user_id::text`,
            targetType: "refresh_family",
            targetId: sql`c.family_id::text`,
            details: { client: clientId },
          },
          info,
          sql`current c join successor s using (family_id)`,
        )} returning 1)
        select c.family_id, c.user_id, c.scope, c.auth_time, c.role, c.perms from current c join successor s using (family_id)`,
    sql`with revoked as (
          update refresh_families f set revoked_at = now(), revoked_reason = 'refresh_token_reuse'
          from refresh_tokens rt
          where rt.token_hash = ${presentedHash} and rt.used_at is not null and f.id = rt.family_id
            and f.revoked_at is null and f.client_id = ${clientId}
            and not exists (select 1 from refresh_tokens where token_hash = ${nextHash})
          returning f.id, f.user_id
        ), audited as (${auditInsertFrom(
          {
            tenantId,
            action: "oauth.refresh_reuse_detected",
            outcome: "failure",
            actorType: "user",
            actorId: sql`r.user_id::text`,
            targetType: "refresh_family",
            targetId: sql`r.id::text`,
            details: { client: clientId, family_revoked: true },
          },
          info,
          sql`revoked r`,
        )} returning 1)
        select id from revoked`,
  ]);
  const row = rotated[0] as
    | {
        family_id: string;
        user_id: string;
        scope: string;
        auth_time: string;
        role: string;
        perms: string | null;
      }
    | undefined;
  if (row) {
    return {
      ok: true,
      tenantId,
      familyId: row.family_id,
      userId: row.user_id,
      scope: row.scope,
      authTime: row.auth_time,
      role: row.role,
      permissions: row.perms,
      refreshToken: next,
    };
  }
  return {
    ok: false,
    reason: reused.length > 0 ? "reuse_detected" : "invalid",
    revokedFamilies: idsOf(reused),
  };
}

/**
 * RFC 7009 for a refresh token: its family ends (its id is returned for the edge revocation
 * list). Unknown tokens are not an error.
 */
export async function revokeRefreshToken(
  db: Database,
  presented: string,
  clientId: string,
  info: RequestInfo,
): Promise<string[]> {
  const tenantId = tenantOfOpaqueToken("refresh", presented);
  if (!tenantId) return [];
  const hash = await hashOpaqueToken(presented);
  const [revoked = []] = await tenantRows(db, tenantId, [
    sql`with revoked as (
          update refresh_families f set revoked_at = now(), revoked_reason = 'revoked'
          from refresh_tokens rt
          where rt.token_hash = ${hash} and f.id = rt.family_id and f.client_id = ${clientId} and f.revoked_at is null
          returning f.id
        ), audited as (${auditInsertFrom(
          {
            tenantId,
            action: "oauth.token_revoked",
            outcome: "success",
            actorType: "client",
            actorId: clientId,
            targetType: "refresh_family",
            targetId: sql`r.id::text`,
            details: { token_type: "refresh_token" },
          },
          info,
          sql`revoked r`,
        )} returning 1)
        select id from revoked`,
  ]);
  return idsOf(revoked);
}

/**
 * RFC 7009 for an access token: its jti is listed until it expires, and its family ends. The
 * caller announces both to the edge revocation list.
 */
export async function revokeAccessToken(
  db: Database,
  token: { tenantId: string; jti: string; expiresAt: number; familyId: string | null; userId: string },
  clientId: string,
  info: RequestInfo,
): Promise<void> {
  await tenantRows(db, token.tenantId, [
    sql`insert into revoked_access_tokens (jti, tenant_id, expires_at)
        values (${token.jti}, ${token.tenantId}, to_timestamp(${token.expiresAt})) on conflict (jti) do nothing`,
    sql`update refresh_families set revoked_at = now(), revoked_reason = 'revoked'
        where id = ${token.familyId}::uuid and client_id = ${clientId} and revoked_at is null`,
    auditInsert(
      {
        tenantId: token.tenantId,
        action: "oauth.token_revoked",
        outcome: "success",
        actorType: "client",
        actorId: clientId,
        targetType: "access_token",
        targetId: token.jti,
        details: { token_type: "access_token", family: token.familyId },
      },
      info,
    ),
  ]);
}

/** Whether a refresh family is still live (used by tests and by userinfo for sid-bound tokens). */
export async function familyIsLive(db: Database, tenantId: string, familyId: string): Promise<boolean> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select 1 from refresh_families where id = ${familyId} and revoked_at is null`,
  ]);
  return rows.length === 1;
}
