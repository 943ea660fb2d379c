import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { tenantRows } from "../../../../db/rows";
import { ROLES_LOWEST_FIRST } from "../../auth/role-order";

/** What a verified API key lets its holder do. Ids, a role, scopes and a time: no personal data. */
export interface VerifiedApiKey {
  keyId: string;
  tenantId: string;
  role: string;
  scopes: string[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** last_used_at is a hint for humans ("unused for weeks?"), so it is written at most this often. */
const LAST_USED_RESOLUTION = sql.raw("interval '1 hour'");

/**
 * The live key with this hash in its tenant, in one round trip: not revoked, not expired, its
 * tenant active, and its creator still an active member whose role is at least the key's (a
 * demoted or removed creator's keys stop working). Touches last_used_at when stale.
 */
export async function findLiveApiKey(
  db: Database,
  tenantId: string,
  keyHash: string,
): Promise<VerifiedApiKey | undefined> {
  const order = [...ROLES_LOWEST_FIRST];
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`with live as (
          select k.id, k.role, k.scopes, (extract(epoch from k.expires_at) * 1000)::bigint as expires_ms
          from api_keys k
          where k.key_hash = ${keyHash} and k.tenant_id = ${tenantId}
            and k.revoked_at is null and k.expires_at > now()
            and exists (select 1 from tenants t where t.id = k.tenant_id and not t.is_deleted and t.status = 'active')
            and exists (
              select 1 from memberships m join roles r on r.id = m.role_id
              where m.tenant_id = k.tenant_id and m.user_id = k.created_by and not m.is_deleted
                and m.status = 'active' and not r.is_deleted
                and array_position(${sql.param(order)}::text[], r.name) >= array_position(${sql.param(order)}::text[], k.role))
        ), touched as (
          update api_keys set last_used_at = now()
          where id in (select id from live)
            and (last_used_at is null or last_used_at < now() - ${LAST_USED_RESOLUTION})
          returning 1
        )
        select id, role, scopes, expires_ms from live`,
  ]);
  const row = rows[0] as { id: string; role: string; scopes: string[]; expires_ms: string } | undefined;
  if (!row) return undefined;
  return {
    keyId: row.id,
    tenantId,
    role: row.role,
    scopes: row.scopes,
    expiresAt: Number(row.expires_ms),
  };
}
