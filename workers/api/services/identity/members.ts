import { type SQL, sql } from "drizzle-orm";
import { tenantRows, utcIso } from "../../../../db/rows";
import { mayGrant } from "../../auth/role-ceiling";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import { queueMailStatement } from "../../mail/mail-outbox";
import { isMailLocale, type MailLocale } from "../../mail/templates";
import type { MemberInput, MemberPatch, MemberView } from "../../schemas/iam";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { ACCOUNT_TOKEN_TTL_SECONDS, linkFor, newAccountToken } from "./account-tokens";
import { auditedChange, byActor } from "./audited-change";
import type { RequestInfo } from "./request-info";
import { findRole, holderOf, ROLE_COLUMNS, type RoleRecord } from "./role-records";

/**
 * A member is a user in a tenant; its id in the API is the user's id (stable across re-adds).
 * While the invitation is pending, the tenant sees what it typed, never the account's own email
 * or name: whether the address had an account is not its business until the user accepts.
 */
const MEMBER_COLUMNS = sql`u.id,
  case when m.status = 'invited' then coalesce(m.invite_email, u.email) else u.email end as email,
  case when m.status = 'invited' then coalesce(m.invite_name, u.name) else u.name end as name,
  r.name as role, m.status,
  ${utcIso(sql`m.created_at`)} as created_at, ${utcIso(sql`m.updated_at`)} as updated_at`;
const MEMBER_FROM = sql`memberships m join users u on u.id = m.user_id join roles r on r.id = m.role_id`;

const memberQuery = (tenantId: string, where: SQL) =>
  sql`select ${MEMBER_COLUMNS} from ${MEMBER_FROM} where m.tenant_id = ${tenantId} and not m.is_deleted and ${where}`;

/** Another active Owner than `userId`: the tenant never loses its last one. */
const anotherOwner = (tenantId: string, userId: string) => sql`exists (
  select 1 from ${MEMBER_FROM} where m.tenant_id = ${tenantId} and not m.is_deleted and m.status = 'active'
    and r.is_system and r.name = 'Owner' and m.user_id <> ${userId})`;

/**
 * Locks the tenant's Owner memberships first, so two concurrent demotions of the last two Owners
 * are serialised: the second sees the first's result when it checks `anotherOwner`.
 */
const lockOwners = (tenantId: string) =>
  sql`select m.id from ${MEMBER_FROM} where m.tenant_id = ${tenantId} and not m.is_deleted
      and r.is_system and r.name = 'Owner' for update of m`;

export async function listMembers(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<MemberView>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`${memberQuery(tenantId, sql`true`)} ${afterCursor(query.cursor, sql`m.created_at`, sql`u.id`)}
        order by m.created_at desc, u.id desc limit ${query.limit + 1}`,
  ]);
  return pageOf(rows as MemberView[], query.limit);
}

export async function getMember(ctx: ServiceContext, userId: string): Promise<MemberView> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [memberQuery(tenantId, sql`u.id = ${userId}`)]);
  const member = rows[0] as MemberView | undefined;
  if (!member) throw ApiError.notFound("Member");
  return member;
}

async function grantableRole(ctx: ServiceContext, name: string): Promise<RoleRecord> {
  const role = await findRole(ctx, sql`r.name = ${name}`);
  if (!role) throw ApiError.validation([{ field: "role", message: "No role of that name in this tenant" }]);
  if (!mayGrant(ctx.actor, holderOf(role))) {
    throw new ApiError("FORBIDDEN", `You may not grant the role ${role.name}`);
  }
  return role;
}

/** What sending an invitation needs beyond the service context. */
export interface InvitationMail {
  dataKey: string | undefined;
  /** The region's public origin: the link's host. */
  origin: string;
  defaultLocale: MailLocale;
}

/**
 * Invites the region's user with this email (an unknown email becomes a user without a
 * password). The membership is `invited` whoever the email belongs to, and the answer is built
 * from the input alone, so it is the same whether or not an account exists. In the same
 * transaction an invitation link (single use, 72 h, hashed) and its e-mail are queued: an
 * account without a password sets one from the link, one with a password accepts there (or at
 * its next sign-in). Answers the member and the mail to send once committed.
 */
export async function addMember(
  ctx: ServiceContext,
  info: RequestInfo,
  input: MemberInput,
  mail: InvitationMail,
): Promise<{ member: MemberView; mailIds: string[] }> {
  const role = await grantableRole(ctx, input.role);
  const tenantId = ctx.actor.tenantId;
  const membershipId = crypto.randomUUID();
  const name = input.name ?? defaultName(input.email);
  const [tenant = []] = await tenantRows(ctx.db, tenantId, [
    sql`select t.name, (select u.locale from users u where lower(u.email) = lower(${input.email}) and not u.is_deleted) as locale
        from tenants t where t.id = ${tenantId}`,
  ]);
  const about = tenant[0] as { name: string; locale: string | null } | undefined;
  const added = sql`exists (select 1 from memberships x where x.id = ${membershipId})`;
  const link = await newAccountToken(
    "invitation",
    sql`lower(u.email) = lower(${input.email}) and not u.is_deleted and ${added}`,
    tenantId,
  );
  const queued = await queueMailStatement(
    mail.dataKey,
    {
      template: "invitation",
      locale: input.locale ?? (isMailLocale(about?.locale) ? about.locale : mail.defaultLocale),
      to: input.email,
      values: {
        tenant_name: about?.name ?? "Nexus Edge",
        role_name: role.name,
        link: linkFor(mail.origin, "invitation", link.token),
        expires_hours: ACCOUNT_TOKEN_TTL_SECONDS.invitation / 3600,
      },
    },
    added,
  );
  const [, inserted = [], rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`insert into users (email, name) values (${input.email}, ${name})
        on conflict (lower(email)) where not is_deleted do nothing`,
    auditedChange(
      sql`change as (
        insert into memberships (id, tenant_id, user_id, role_id, status, invite_email, invite_name)
        select ${membershipId}, ${tenantId}, u.id, ${role.id}, 'invited', ${input.email}, ${name}
        from users u
        where lower(u.email) = lower(${input.email}) and not u.is_deleted
          and not exists (select 1 from memberships x where x.tenant_id = ${tenantId} and x.user_id = u.id and not x.is_deleted)
        returning id)`,
      {
        ...byActor(ctx, "membership"),
        action: "iam.member_added",
        targetId: membershipId,
        details: { role: role.name },
      },
      info,
    ),
    memberQuery(tenantId, sql`m.id = ${membershipId}`),
    ...link.statements,
    queued.statement,
  ]);
  if (inserted.length === 0)
    throw new ApiError("CONFLICT", "This user is already a member", { field: "email" });
  return { member: rows[0] as MemberView, mailIds: [queued.id] };
}

const defaultName = (email: string) => email.split("@")[0] || email;

interface Target {
  membershipId: string;
  status: string;
  role: RoleRecord;
}

/** The member to change: 404 for unknown and other tenants' ids alike; never oneself. */
async function changeableMember(ctx: ServiceContext, userId: string): Promise<Target> {
  if (userId === ctx.actor.userId) throw new ApiError("FORBIDDEN", "You cannot change your own membership");
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select m.id as membership_id, m.status, ${ROLE_COLUMNS} from memberships m join roles r on r.id = m.role_id
        where m.tenant_id = ${tenantId} and m.user_id = ${userId} and not m.is_deleted`,
  ]);
  const row = rows[0] as (RoleRecord & { membership_id: string; status: string }) | undefined;
  if (!row) throw ApiError.notFound("Member");
  const { membership_id, status, ...role } = row;
  if (!mayGrant(ctx.actor, holderOf(role))) {
    throw new ApiError("FORBIDDEN", `You may not change a member with the role ${role.name}`);
  }
  return { membershipId: membership_id, status, role };
}

const isActiveOwner = (t: Target) => t.role.is_system && t.role.name === "Owner" && t.status === "active";
const lastOwner = () =>
  new ApiError("CONFLICT", "The tenant's last Owner cannot be removed, demoted or suspended");

export async function changeMember(
  ctx: ServiceContext,
  info: RequestInfo,
  userId: string,
  patch: MemberPatch,
): Promise<MemberView> {
  const target = await changeableMember(ctx, userId);
  if (target.status === "invited" && patch.status !== undefined) {
    throw new ApiError(
      "CONFLICT",
      "An invitation becomes a membership only when the user accepts it; remove it to withdraw it",
      { field: "status" },
    );
  }
  const role = patch.role === undefined ? target.role : await grantableRole(ctx, patch.role);
  const status = patch.status ?? target.status;
  const losesOwner =
    isActiveOwner(target) && (role.name !== "Owner" || !role.is_system || status !== "active");
  const tenantId = ctx.actor.tenantId;
  const [, changed = [], rows = []] = await tenantRows(ctx.db, tenantId, [
    lockOwners(tenantId),
    auditedChange(
      sql`change as (
        update memberships set role_id = ${role.id}, status = ${status}, updated_at = now()
        where id = ${target.membershipId} and not is_deleted and role_id = ${target.role.id}
          and (${!losesOwner} or ${anotherOwner(tenantId, userId)})
        returning id)`,
      {
        ...byActor(ctx, "membership"),
        action: "iam.member_role_changed",
        targetId: target.membershipId,
        details: {
          user: userId,
          role_from: target.role.name,
          role_to: role.name,
          status_from: target.status,
          status_to: status,
        },
      },
      info,
    ),
    memberQuery(tenantId, sql`m.id = ${target.membershipId}`),
  ]);
  if (changed.length === 0) {
    throw losesOwner
      ? lastOwner()
      : new ApiError("CONFLICT", "The membership changed meanwhile; read it again");
  }
  return rows[0] as MemberView;
}

/**
 * Soft-deletes the membership and, in the same transaction, revokes the member's refresh-token
 * families in this tenant, so no new access token follows. Returns the families' ids, for the
 * edge revocation list to refuse the access tokens already issued.
 */
export async function removeMember(
  ctx: ServiceContext,
  info: RequestInfo,
  userId: string,
): Promise<{ revokedFamilies: string[] }> {
  const target = await changeableMember(ctx, userId);
  const losesOwner = isActiveOwner(target);
  const tenantId = ctx.actor.tenantId;
  const [, removed = [], families = []] = await tenantRows(ctx.db, tenantId, [
    lockOwners(tenantId),
    auditedChange(
      sql`change as (
        update memberships set is_deleted = true, deleted_at = now(), updated_at = now()
        where id = ${target.membershipId} and not is_deleted
          and (${!losesOwner} or ${anotherOwner(tenantId, userId)})
        returning id, user_id
      ), revoked as (
        update refresh_families f set revoked_at = now(), revoked_reason = 'membership_removed'
        from change c where f.tenant_id = ${tenantId} and f.user_id = c.user_id and f.revoked_at is null
        returning f.id)`,
      {
        ...byActor(ctx, "membership"),
        action: "iam.member_removed",
        targetId: target.membershipId,
        details: { user: userId, role: target.role.name },
      },
      info,
    ),
    // now() is the transaction's start (rounded as the column stores it): the families just revoked.
    sql`select id from refresh_families
        where tenant_id = ${tenantId} and user_id = ${userId} and revoked_at = now()::timestamptz(3) and revoked_reason = 'membership_removed'`,
  ]);
  if (removed.length === 0) throw losesOwner ? lastOwner() : ApiError.notFound("Member");
  return { revokedFamilies: (families as { id: string }[]).map((f) => f.id) };
}
