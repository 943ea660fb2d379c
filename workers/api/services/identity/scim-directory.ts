import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf, tenantRows } from "../../../../db/rows";
import { sha256Hex } from "../../oauth/encoding";
import { ScimError } from "../../scim/scim-error";
import { emailDomain } from "../../sso/free-mail";
import { SCIM_TOKEN_PREFIX } from "./sso-connections";
import { mappedRole } from "./sso-sign-in";

/** The connection a SCIM call acts for, found by its bearer token; everything runs in its tenant. */
export interface ScimConnection {
  id: string;
  tenantId: string;
  domains: string[];
  defaultRole: string;
  groupRoles: { group: string; role: string }[];
}

export async function scimConnectionForToken(
  db: Database,
  token: string,
): Promise<ScimConnection | undefined> {
  if (!token.startsWith(SCIM_TOKEN_PREFIX) || token.length > 128) return undefined;
  const [found] = await rowsOf<{ connection_id: string; tenant_id: string }>(
    db,
    sql`select connection_id, tenant_id from scim_token_connection(${await sha256Hex(token)})`,
  );
  if (!found) return undefined;
  const [rows = []] = await tenantRows(db, found.tenant_id, [
    sql`select id, tenant_id, domains, default_role, group_roles from sso_connections
        where id = ${found.connection_id} and not is_deleted`,
  ]);
  const row = rows[0] as
    | {
        id: string;
        tenant_id: string;
        domains: string[];
        default_role: string;
        group_roles: ScimConnection["groupRoles"];
      }
    | undefined;
  return row
    ? {
        id: row.id,
        tenantId: row.tenant_id,
        domains: row.domains,
        defaultRole: row.default_role,
        groupRoles: row.group_roles,
      }
    : undefined;
}

/**
 * A provisioned address must be one the tenant owns: on a domain of the connection that the
 * tenant has verified (the same rule as JIT sign-in). Otherwise an IdP admin could attach any
 * existing account of the region to the tenant.
 */
export async function checkProvisionableEmail(
  db: Database,
  conn: ScimConnection,
  email: string,
): Promise<void> {
  const domain = emailDomain(email);
  if (!domain || !conn.domains.includes(domain)) {
    throw new ScimError(400, "The e-mail address is outside the connection's domains", "invalidValue");
  }
  const [verified = []] = await tenantRows(db, conn.tenantId, [
    sql`select 1 from sso_domains where tenant_id = ${conn.tenantId} and domain = ${domain} and verified_at is not null`,
  ]);
  if (verified.length === 0) {
    throw new ScimError(400, "The e-mail address's domain is not verified by this business", "invalidValue");
  }
}

/**
 * Re-derives the members' roles from the SCIM groups they are in (first mapping of the
 * connection's `group_roles` that matches, else `default_role`). Owners keep their role: an IdP
 * never hands out or takes away Owner. Answers the users whose role changed.
 */
export async function syncRoles(
  db: Database,
  conn: ScimConnection,
  identityIds: readonly string[],
): Promise<string[]> {
  if (identityIds.length === 0) return [];
  const [memberships = []] = await tenantRows(db, conn.tenantId, [
    sql`select i.id as identity_id, i.user_id, r.name as role, r.is_system,
          coalesce((select array_agg(g.display_name) from scim_groups g
                    where g.connection_id = ${conn.id} and i.id = any(g.member_ids)), '{}') as groups
        from sso_identities i
        join memberships m on m.tenant_id = i.tenant_id and m.user_id = i.user_id and not m.is_deleted
        join roles r on r.id = m.role_id
        where i.connection_id = ${conn.id} and i.id = any(${sql.param(identityIds)}::uuid[])`,
  ]);
  const changed: string[] = [];
  for (const row of memberships as {
    user_id: string;
    role: string;
    is_system: boolean;
    groups: string[];
  }[]) {
    if (row.is_system && row.role === "Owner") continue;
    const role = mappedRole(conn.groupRoles, conn.defaultRole, row.groups);
    if (role === row.role) continue;
    const [updated = []] = await tenantRows(db, conn.tenantId, [
      sql`update memberships m set role_id = r.id, updated_at = now()
          from roles r where r.tenant_id = ${conn.tenantId} and r.name = ${role} and not r.is_deleted
            and m.tenant_id = ${conn.tenantId} and m.user_id = ${row.user_id} and not m.is_deleted
          returning m.id`,
    ]);
    if (updated.length > 0) changed.push(row.user_id);
  }
  return changed;
}
