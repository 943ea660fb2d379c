import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf, tenantRows } from "../../../../db/rows";
import type { AccountTokenPurpose } from "../../../../db/schema/account-lifecycle";
import { randomToken, sha256Hex } from "../../oauth/encoding";

/** Invitations wait three days; a reset link is good for half an hour. */
export const ACCOUNT_TOKEN_TTL_SECONDS: Record<AccountTokenPurpose, number> = {
  invitation: 72 * 3600,
  password_reset: 30 * 60,
};

/** The page a link opens, under the region's own origin. */
export const ACCOUNT_LINK_PATH: Record<AccountTokenPurpose, string> = {
  invitation: "/oauth/invitation",
  password_reset: "/oauth/reset",
};

/** Tokens are 256-bit random, base64url: 43 characters. Anything else is not one. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const linkFor = (origin: string, purpose: AccountTokenPurpose, token: string) =>
  `${origin}${ACCOUNT_LINK_PATH[purpose]}?token=${token}`;

/**
 * A new link for the user found by `userWhere` (a condition on `users u`), as one insert that
 * writes nothing when no such user exists: the caller runs the same statements whether or not
 * the account exists. Outstanding links of the same purpose (and tenant) stop working, so only
 * the newest e-mail counts.
 */
export async function newAccountToken(
  purpose: AccountTokenPurpose,
  userWhere: SQL,
  tenantId: string | null,
): Promise<{ token: string; statements: SQL[] }> {
  const token = randomToken(32);
  const hash = await sha256Hex(token);
  const sameTenant = tenantId === null ? sql`tenant_id is null` : sql`tenant_id = ${tenantId}`;
  return {
    token,
    statements: [
      sql`update account_tokens set used_at = now()
          where purpose = ${purpose} and ${sameTenant} and used_at is null
            and user_id in (select u.id from users u where ${userWhere})`,
      sql`insert into account_tokens (user_id, purpose, token_hash, tenant_id, expires_at)
          select u.id, ${purpose}, ${hash}, ${tenantId}, now() + make_interval(secs => ${ACCOUNT_TOKEN_TTL_SECONDS[purpose]})
          from users u where ${userWhere}`,
    ],
  };
}

export interface OpenAccountToken {
  user_id: string;
  tenant_id: string | null;
  has_password: boolean;
  email: string;
}

/** A usable link (unused, unexpired, of this purpose), without spending it; null otherwise. */
export async function findAccountToken(
  db: Database,
  purpose: AccountTokenPurpose,
  token: string | undefined,
): Promise<OpenAccountToken | null> {
  if (!token || !TOKEN_SHAPE.test(token)) return null;
  const [row] = await rowsOf<OpenAccountToken>(
    db,
    sql`select t.user_id, t.tenant_id, u.password_hash is not null as has_password, u.email
        from account_tokens t join users u on u.id = t.user_id
        where t.token_hash = ${await sha256Hex(token)} and t.purpose = ${purpose}
          and t.used_at is null and t.expires_at > now() and not u.is_deleted`,
  );
  return row ?? null;
}

/** The inviting tenant's name and the role offered, for the invitation page. */
export async function invitationDetails(
  db: Database,
  tenantId: string,
  userId: string,
): Promise<{ tenant_name: string; role_name: string } | null> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select t.name as tenant_name, r.name as role_name
        from memberships m join tenants t on t.id = m.tenant_id join roles r on r.id = m.role_id
        where m.tenant_id = ${tenantId} and m.user_id = ${userId} and m.status = 'invited' and not m.is_deleted`,
  ]);
  return (rows[0] as { tenant_name: string; role_name: string } | undefined) ?? null;
}

/**
 * Spends a reset link and sets the password, in one transaction that also ends every session
 * and every refresh-token family of the user (in all their tenants) and any other outstanding
 * reset link. Answers the user and the families revoked (for the edge revocation list), or
 * null when the link was already used, expired or unknown: two tabs, one winner.
 */
export async function redeemPasswordReset(
  db: Database,
  token: string,
  passwordHash: string,
): Promise<{ userId: string; revokedFamilies: string[] } | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const hash = await sha256Hex(token);
  const [spent = [], families = []] = (
    await db.batch([
      db.execute(sql`with spent as (
        update account_tokens set used_at = now()
        where token_hash = ${hash} and purpose = 'password_reset' and used_at is null and expires_at > now()
        returning user_id
      ), changed as (
        update users set password_hash = ${passwordHash}, updated_at = now()
        where id in (select user_id from spent) and not is_deleted returning id
      ), sessions as (
        update auth_sessions set revoked_at = now() where user_id in (select id from changed) and revoked_at is null
      ), others as (
        update account_tokens set used_at = now()
        where user_id in (select id from changed) and purpose = 'password_reset' and used_at is null
          and token_hash <> ${hash}
      )
      select id from changed`),
      // The same transaction: now() is the instant the link above was spent.
      db.execute(sql`select f as id from auth_revoke_user_grants(
        (select user_id from account_tokens where token_hash = ${hash} and used_at = now()::timestamptz(3)), 'password_reset') f`),
    ])
  ).map((r) => (r as unknown as { rows: { id: string }[] }).rows);
  const user = spent[0];
  if (!user) return null;
  return { userId: user.id, revokedFamilies: families.map((f) => f.id) };
}

/**
 * Spends an invitation link: sets the password when the account has none (`passwordHash`
 * given), and makes the pending membership active. Null when the link cannot be used.
 */
export async function redeemInvitation(
  db: Database,
  token: string,
  passwordHash: string | null,
): Promise<{ userId: string; tenantId: string } | null> {
  if (!TOKEN_SHAPE.test(token)) return null;
  const hash = await sha256Hex(token);
  const [row] = await rowsOf<{ user_id: string; tenant_id: string }>(
    db,
    sql`with spent as (
        update account_tokens t set used_at = now()
        from users u
        where t.token_hash = ${hash} and t.purpose = 'invitation' and t.used_at is null and t.expires_at > now()
          and u.id = t.user_id and not u.is_deleted and (u.password_hash is not null or ${passwordHash}::text is not null)
        returning t.user_id, t.tenant_id
      ), changed as (
        update users set password_hash = ${passwordHash}, updated_at = now()
        where id in (select user_id from spent) and password_hash is null and ${passwordHash}::text is not null
      )
      select user_id, tenant_id from spent`,
  );
  return row?.tenant_id ? { userId: row.user_id, tenantId: row.tenant_id } : null;
}
