import { sql } from "drizzle-orm";
import {
  deleteRowsCall,
  isTenant,
  outcomeOf,
  privileged,
  tenantChanges,
  tenantSelect,
  uuidArray,
} from "../store-sql";
import { identifierPattern, mentions } from "../text-match";
import type { PersonalDataStore, StoreContext } from "../types";

const userOf = (ctx: StoreContext) => (ctx.profile.subject.type === "user" ? ctx.profile.subject.id : null);

/**
 * Sign-in state: refresh-token families are revoked (the revocation list reaches every region's
 * edge within its bound, auth/revocation-list.ts) and their tokens, codes and SSO links deleted.
 * Access tokens already issued expire within their 15 minutes; the membership's removal (below)
 * ends their access at the next check.
 */
export const tokensStore: PersonalDataStore = {
  name: "identity.sessions_and_tokens",
  where: "postgres",
  description: "Refresh-token families and tokens, authorization codes, SSO identities and SCIM links.",
  columns: {
    refresh_families: ["user_id", "scope"],
    refresh_tokens: ["token_hash"],
    oauth_codes: ["user_id", "code_hash", "redirect_uri", "code_challenge", "nonce"],
    sso_identities: ["user_id", "subject", "email", "external_id", "scim_user_name", "scim_attributes"],
    scim_groups: ["member_ids"],
    revoked_access_tokens: ["jti"],
  },
  subjects: ["user", "tenant"],
  export(ctx) {
    const user = userOf(ctx);
    return tenantSelect(
      ctx,
      sql`select 'sso_identity' as type, id, subject, email, external_id, scim_user_name, last_sign_in_at, created_at
          from sso_identities where tenant_id = ${ctx.tenantId} and user_id = ${user}::uuid
          union all
          select 'refresh_family', id, null, null, null, scope, auth_time, created_at
          from refresh_families where tenant_id = ${ctx.tenantId} and user_id = ${user}::uuid`,
    );
  },
  async erase(ctx) {
    const t = ctx.tenantId;
    const families = isTenant(ctx)
      ? sql`select id from refresh_families where tenant_id = ${t}`
      : sql`select id from refresh_families where tenant_id = ${t} and user_id = ${userOf(ctx)}::uuid`;
    if (!isTenant(ctx) && !userOf(ctx)) return { action: "none", rows: 0 };
    const user = sql`${userOf(ctx)}::uuid`;
    const counts = await tenantChanges(ctx, [
      sql`update refresh_families set revoked_at = coalesce(revoked_at, now()), revoked_reason = coalesce(revoked_reason, 'privacy_erasure')
          where id in (${families}) and revoked_at is null`,
      sql`delete from refresh_tokens where tenant_id = ${t} and family_id in (${families})`,
      isTenant(ctx)
        ? sql`delete from sso_identities where tenant_id = ${t}`
        : sql`delete from sso_identities where tenant_id = ${t} and user_id = ${user}`,
      isTenant(ctx)
        ? sql`delete from scim_groups where tenant_id = ${t}`
        : sql`update scim_groups set member_ids = array_remove(member_ids, ${userOf(ctx)}::uuid) where tenant_id = ${t} and ${userOf(ctx)}::uuid = any(member_ids)`,
    ]);
    // Families keep no personal field once revoked; a tenant's go with its clients (tenantConfigStore).
    return outcomeOf(counts, "revoked");
  },
};

/**
 * The idempotency records replay a response for 24 h; any that holds the subject's record
 * (a created contact, say) is dropped: a replay then runs the request again.
 */
export const idempotencyStore: PersonalDataStore = {
  name: "platform.idempotency_records",
  where: "postgres",
  description: "Stored responses replayed for Idempotency-Key retries (24 h).",
  columns: { idempotency_keys: ["credential", "request_hash", "response_headers", "response_body"] },
  subjects: ["contact", "lead", "user", "tenant"],
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx))
      return outcomeOf(await tenantChanges(ctx, [sql`delete from idempotency_keys where tenant_id = ${t}`]));
    const text = identifierPattern(ctx.profile.identifiers);
    const ids = identifierPattern(ctx.profile.ids);
    return outcomeOf(
      await tenantChanges(ctx, [
        sql`delete from idempotency_keys where tenant_id = ${t} and (${mentions(sql`response_body`, text)}
              or ${mentions(sql`response_body`, ids)} or ${mentions(sql`credential`, ids)})`,
      ]),
    );
  },
};

/**
 * The audit log is a security record the tenant keeps (who did what, when; Art. 17(3)(e)): its
 * rows about the subject keep actor and target ids (pseudonymous once the person is gone) and
 * lose the IP address, user agent and details.
 */
export const auditStore: PersonalDataStore = {
  name: "iam.audit_log",
  where: "postgres",
  description: "Audit log entries by or about the person (IP address, user agent, details).",
  columns: { audit_log: ["actor_id", "target_id", "ip", "user_agent", "details"] },
  subjects: ["contact", "lead", "user", "tenant"],
  export: (ctx) =>
    tenantSelect(
      ctx,
      sql`select id, action, outcome, actor_type, actor_id, target_type, target_id, ip, user_agent, created_at from audit_log
          where tenant_id = ${ctx.tenantId} and (actor_id = any(${uuidArray(ctx.profile.ids)}::text[]) or target_id = any(${uuidArray(ctx.profile.ids)}::text[]))
          order by created_at`,
    ),
  async erase(ctx) {
    if (isTenant(ctx)) return outcomeOf(await privileged(ctx, [deleteRowsCall(ctx, "audit_log")]));
    const [n = 0] = await privileged(ctx, [
      sql`select privacy_minimise_audit(${ctx.requestId}::uuid, ${uuidArray(ctx.profile.ids)}::text[]) as n`,
    ]);
    return n === 0
      ? { action: "none", rows: 0 }
      : { action: "anonymised", rows: n, reason: "Security record kept without network details" };
  },
};

/**
 * The member and their account. The membership, sign-up record and key authorship go; the
 * global account (email, name, password hash, MFA secrets, sessions, codes) goes once the user
 * belongs to no other tenant, which the outcome says when it stays.
 */
export const accountStore: PersonalDataStore = {
  name: "identity.account",
  where: "postgres",
  description:
    "The member's account: email, name, phone, password hash, MFA secrets, sessions, one-time codes.",
  columns: {
    users: ["email", "name", "password_hash", "totp_secret", "phone_number", "locale", "last_sign_in_at"],
    memberships: ["user_id", "invite_email", "invite_name"],
    auth_sessions: ["user_id", "token_hash"],
    one_time_codes: ["user_id", "code_hash"],
    recovery_codes: ["user_id", "code_hash"],
    account_tokens: ["user_id", "token_hash"],
    activations: [
      "owner_id",
      "owner_email",
      "owner_name",
      "password_hash",
      "business_name",
      "slug",
      "options",
    ],
    api_keys: ["created_by"],
  },
  subjects: ["user", "tenant"],
  export(ctx) {
    const user = userOf(ctx);
    return tenantSelect(
      ctx,
      sql`select 'account' as type, u.id, u.email, u.name, u.phone_number, u.locale, u.mfa_enabled, u.email_otp_enabled,
                 u.sms_otp_enabled, u.last_sign_in_at, u.created_at, m.status as membership_status, r.name as role
          from memberships m join users u on u.id = m.user_id left join roles r on r.id = m.role_id
          where m.tenant_id = ${ctx.tenantId} and m.user_id = ${user}::uuid`,
    );
  },
  async erase(ctx) {
    const t = ctx.tenantId;
    if (isTenant(ctx)) {
      const members = await tenantSelect<{ user_id: string }>(
        ctx,
        sql`select distinct user_id::text from memberships where tenant_id = ${t} and user_id is not null`,
      );
      // What points at the accounts goes first (foreign keys), keys after the edge forgot them.
      const cleared = await tenantChanges(ctx, [
        sql`delete from refresh_tokens where tenant_id = ${t}`,
        sql`delete from refresh_families where tenant_id = ${t}`,
        sql`delete from oauth_codes where tenant_id = ${t}`,
        sql`delete from memberships where tenant_id = ${t}`,
        sql`delete from activations where tenant_id = ${t}`,
        sql`delete from account_tokens where tenant_id = ${t}`,
      ]);
      const [keys = 0] = await privileged(ctx, [deleteRowsCall(ctx, "api_keys")]);
      const accounts =
        members.length === 0
          ? []
          : await privileged(
              ctx,
              members.map(
                (m) => sql`select privacy_delete_account(${ctx.requestId}::uuid, ${m.user_id}::uuid) as n`,
              ),
            );
      return outcomeOf([...cleared, keys, ...accounts]);
    }
    const user = userOf(ctx);
    if (!user) return { action: "none", rows: 0 };
    const counts = await tenantChanges(ctx, [
      sql`update api_keys set created_by = null where tenant_id = ${t} and created_by = ${user}::uuid`,
      sql`delete from oauth_codes where tenant_id = ${t} and user_id = ${user}::uuid`,
      sql`delete from refresh_families where tenant_id = ${t} and user_id = ${user}::uuid`,
      sql`delete from activations where tenant_id = ${t} and owner_id = ${user}::uuid`,
      sql`delete from memberships where tenant_id = ${t} and user_id = ${user}::uuid`,
    ]);
    const [account = 0] = await privileged(ctx, [
      sql`select privacy_delete_account(${ctx.requestId}::uuid, ${user}::uuid) as n`,
    ]);
    const rows = (counts[4] ?? 0) + account;
    if (account === 0 && (counts[4] ?? 0) > 0) {
      return {
        action: "deleted",
        rows,
        reason: "Membership deleted; the account stays while another tenant holds a membership",
      };
    }
    return outcomeOf([rows]);
  },
};
