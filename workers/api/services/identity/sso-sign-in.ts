import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf, tenantRows } from "../../../../db/rows";
import { openSecret } from "../../auth/credentials/secret-box";
import { emailDomain } from "../../sso/free-mail";
import { subjectOf } from "../../sso/issuer-rules";
import { auditInsert } from "./audit";
import type { RequestInfo } from "./request-info";
import { type ClaimNames, claimNames } from "./sso-connections";
import { findUserById, type SignInUser } from "./users";

/** A connection as the sign-in flow needs it, secret opened. Never leaves the Worker. */
export interface SsoConnectionConfig {
  id: string;
  tenantId: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  scopes: string[];
  domains: string[];
  claims: ClaimNames;
  groupRoles: { group: string; role: string }[];
  defaultRole: string;
  jit: boolean;
  updatedAt: string;
}

export interface DomainConnection {
  connection_id: string;
  tenant_id: string;
  connection_name: string;
  tenant_name: string;
}

/** Home-realm discovery: the enabled connections of the tenant that verified this address's domain. */
export async function connectionsForEmail(db: Database, email: string): Promise<DomainConnection[]> {
  const domain = emailDomain(email);
  if (!domain) return [];
  return rowsOf<DomainConnection>(
    db,
    sql`select connection_id, tenant_id, connection_name, tenant_name from sso_domain_connections(${domain})`,
  );
}

export async function loadConnection(
  db: Database,
  dataKey: string | undefined,
  connectionId: string,
): Promise<SsoConnectionConfig | undefined> {
  const [tenant] = await rowsOf<{ tenant_id: string | null }>(
    db,
    sql`select sso_connection_tenant(${connectionId}::uuid) as tenant_id`,
  );
  if (!tenant?.tenant_id) return undefined;
  const [rows = []] = await tenantRows(db, tenant.tenant_id, [
    sql`select id, tenant_id, name, issuer, client_id, client_secret_sealed, scopes, domains, claims, group_roles,
          default_role, jit, updated_at::text as updated_at
        from sso_connections where id = ${connectionId} and not is_deleted and enabled`,
  ]);
  const row = rows[0] as
    | {
        id: string;
        tenant_id: string;
        name: string;
        issuer: string;
        client_id: string;
        client_secret_sealed: string | null;
        scopes: string[];
        domains: string[];
        claims: Partial<ClaimNames>;
        group_roles: { group: string; role: string }[];
        default_role: string;
        jit: boolean;
        updated_at: string;
      }
    | undefined;
  if (!row) return undefined;
  const secret =
    row.client_secret_sealed && dataKey
      ? await openSecret(dataKey, row.client_secret_sealed, row.id)
      : undefined;
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    issuer: row.issuer,
    clientId: row.client_id,
    clientSecret: secret,
    scopes: row.scopes,
    domains: row.domains,
    claims: claimNames(row.claims),
    groupRoles: row.group_roles,
    defaultRole: row.default_role,
    jit: row.jit,
    updatedAt: row.updated_at,
  };
}

/** Groups → role: the first mapping whose group the user is in, else the default. */
export function mappedRole(
  groupRoles: readonly { group: string; role: string }[],
  defaultRole: string,
  groups: readonly string[],
): string {
  return groupRoles.find((m) => groups.includes(m.group))?.role ?? defaultRole;
}

const stringClaim = (claims: Record<string, unknown>, name: string) =>
  typeof claims[name] === "string" ? (claims[name] as string).trim() : undefined;

export function groupsClaim(claims: Record<string, unknown>, name: string): string[] {
  const value = claims[name];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === "string");
  return typeof value === "string" ? [value] : [];
}

export type SsoRefusal =
  | "no_subject"
  | "entra_missing_tid_oid"
  | "entra_wrong_tenant"
  | "google_hd_not_allowed"
  | "no_email"
  | "email_unverified"
  | "email_outside_connection_domains"
  | "domain_not_verified"
  | "jit_disabled"
  | "deprovisioned"
  | "membership_inactive";

export type SsoOutcome = { ok: true; user: SignInUser; created: boolean } | { ok: false; reason: SsoRefusal };

interface IdentityRow {
  id: string;
  user_id: string;
  subject: string | null;
  scim_active: boolean | null;
}

/**
 * The person an IdP vouched for, as a member of the connection's tenant. Found by the
 * connection and the IdP's subject first (an e-mail change at the IdP changes nothing); else
 * a SCIM-provisioned identity not yet signed in, matched by its externalId or userName; else
 * created just in time, if the connection allows it and the address's domain is one of the
 * connection's that the tenant has verified. Every path refuses an address outside the
 * connection's domains.
 */
export async function signInWithClaims(
  db: Database,
  connection: SsoConnectionConfig,
  claims: Record<string, unknown>,
  info: RequestInfo,
): Promise<SsoOutcome> {
  const checked = subjectOf(connection.issuer, claims, connection.domains);
  if (!checked.ok) return { ok: false, reason: checked.reason as SsoRefusal };
  const subject = checked.subject;
  const email = stringClaim(claims, connection.claims.email);
  const domain = email ? emailDomain(email) : undefined;
  if (!email || !domain) return { ok: false, reason: "no_email" };
  if (claims.email_verified === false) return { ok: false, reason: "email_unverified" };
  if (!connection.domains.includes(domain)) return { ok: false, reason: "email_outside_connection_domains" };
  const name = stringClaim(claims, connection.claims.name) || email.split("@")[0] || email;
  const role = mappedRole(
    connection.groupRoles,
    connection.defaultRole,
    groupsClaim(claims, connection.claims.groups),
  );
  const tenantId = connection.tenantId;

  const [identities = [], verified = []] = await tenantRows(db, tenantId, [
    sql`select id, user_id, subject, scim_active from sso_identities
        where connection_id = ${connection.id}
          and (subject = ${subject}
               or (subject is null and (external_id = ${subject} or external_id = ${stringClaim(claims, "sub") ?? ""}
                                        or lower(scim_user_name) = lower(${email}))))
        order by (subject is not null) desc limit 1`,
    sql`select 1 from sso_domains where tenant_id = ${tenantId} and domain = ${domain} and verified_at is not null`,
  ]);
  const identity = identities[0] as IdentityRow | undefined;
  const domainVerified = verified.length > 0;
  if (identity?.scim_active === false) return { ok: false, reason: "deprovisioned" };
  if (!identity && !connection.jit) return { ok: false, reason: "jit_disabled" };
  // Linking a SCIM identity by address, and JIT, both trust the address: only on a proved domain.
  if (!identity?.subject && !domainVerified) return { ok: false, reason: "domain_not_verified" };

  let userId = identity?.user_id;
  let created = false;
  if (!userId) {
    const [user] = await rowsOf<{ id: string; inserted: boolean }>(
      db,
      sql`with inserted as (
            insert into users (email, name) values (${email}, ${name})
            on conflict (lower(email)) where not is_deleted do nothing returning id)
          select id, true as inserted from inserted
          union all
          select id, false from users where lower(email) = lower(${email}) and not is_deleted
          limit 1`,
    );
    if (!user) throw new Error("user upsert returned nothing");
    userId = user.id;
    created = user.inserted;
  }

  const grantRole = sql`(select id from roles where tenant_id = ${tenantId} and name = ${role} and not is_deleted
                         union all select id from roles where tenant_id = ${tenantId} and name = ${connection.defaultRole} and not is_deleted
                         limit 1)`;
  const [, , membership = []] = await tenantRows(db, tenantId, [
    identity
      ? sql`update sso_identities set subject = ${subject}, email = ${email}, last_sign_in_at = now(), updated_at = now()
            where id = ${identity.id}`
      : sql`insert into sso_identities (tenant_id, connection_id, user_id, subject, email, last_sign_in_at)
            values (${tenantId}, ${connection.id}, ${userId}, ${subject}, ${email}, now())
            on conflict (connection_id, user_id) do update set subject = excluded.subject, email = excluded.email,
              last_sign_in_at = now(), updated_at = now()`,
    // A new member, or an invitation the IdP now vouches for; an existing membership keeps its
    // status (suspended stays suspended) and follows the IdP's groups, except an Owner's.
    sql`with existing as (
          select m.id, m.status, r.name as role_name, r.is_system from memberships m join roles r on r.id = m.role_id
          where m.tenant_id = ${tenantId} and m.user_id = ${userId} and not m.is_deleted
        ), added as (
          insert into memberships (tenant_id, user_id, role_id, status)
          select ${tenantId}, ${userId}, ${grantRole}, 'active'
          where not exists (select 1 from existing) and ${connection.jit}
          on conflict do nothing returning id
        )
        update memberships m set
          status = case when m.status = 'invited' then 'active' else m.status end,
          role_id = case when e.is_system and e.role_name = 'Owner' then m.role_id
                         when ${connection.groupRoles.length > 0} then ${grantRole} else m.role_id end,
          updated_at = now()
        from existing e where m.id = e.id`,
    sql`select m.status from memberships m where m.tenant_id = ${tenantId} and m.user_id = ${userId} and not m.is_deleted`,
    auditInsert(
      {
        tenantId,
        action: identity || !created ? "auth.sign_in" : "iam.member_provisioned",
        outcome: "success",
        actorType: "user",
        actorId: userId,
        targetType: "user",
        targetId: userId,
        details: { method: "sso", connection: connection.id, role },
      },
      info,
    ),
  ]);
  const status = (membership[0] as { status: string } | undefined)?.status;
  if (status !== "active") return { ok: false, reason: "membership_inactive" };
  const user = await findUserById(db, userId);
  if (!user) return { ok: false, reason: "membership_inactive" };
  return { ok: true, user, created };
}
