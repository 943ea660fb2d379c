import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf } from "../../../../db/rows";
import type { Actor } from "../context";
import type { RequestInfo } from "./request-info";

export type AuditActorType = "user" | "client" | "api_key" | "system" | "anonymous";

/** Who an authenticated caller is, for the audit log: a person, a key, or a client acting as itself. */
export function actorTypeOf(actor: Actor): AuditActorType {
  if (actor.credential === "api_key") return "api_key";
  return actor.credential === "client_credentials" ? "client" : "user";
}

/** The audited actions (API docs list them); a closed set so a typo cannot invent one. */
export const AUDIT_ACTIONS = [
  "auth.sign_in",
  "oauth.token_issued",
  "oauth.token_refreshed",
  "oauth.refresh_reuse_detected",
  "oauth.code_reuse_detected",
  "oauth.token_revoked",
  "oauth.client_created",
  "oauth.client_deleted",
  "api_key.created",
  "api_key.rotated",
  "api_key.revoked",
  "mfa.enabled",
  "mfa.disabled",
  "mfa.recovery_code_used",
  "iam.member_added",
  "iam.member_role_changed",
  "iam.member_removed",
  "iam.invitation_accepted",
  "iam.invitation_declined",
  "iam.role_created",
  "iam.role_updated",
  "iam.role_deleted",
  "tenant.settings_updated",
  "iam.sso_connection_created",
  "iam.sso_connection_updated",
  "iam.sso_connection_deleted",
  "iam.scim_token_created",
  "iam.sso_domain_added",
  "iam.sso_domain_verified",
  "iam.sso_domain_removed",
  "iam.member_provisioned",
  "iam.member_deprovisioned",
  "privacy.request_created",
  "privacy.request_completed",
  "privacy.request_failed",
  "privacy.export_downloaded",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntryInput {
  tenantId: string;
  action: AuditAction;
  outcome: "success" | "failure";
  actorType: AuditActorType;
  /** A value, or an expression over the rows of `auditInsertFrom`'s source (e.g. sql`c.user_id::text`). */
  actorId: string | SQL | null;
  targetType?: string;
  targetId?: string | SQL;
  details?: Record<string, string | number | boolean | null>;
}

function values(entry: AuditEntryInput, info: RequestInfo): SQL {
  return sql`${entry.tenantId}::uuid, ${entry.action}, ${entry.outcome}, ${entry.actorType}, ${entry.actorId},
    ${entry.targetType ?? null}, ${entry.targetId ?? null}, ${info.ip}, ${info.userAgent}, ${info.requestId},
    ${JSON.stringify(entry.details ?? {})}::jsonb`;
}

const COLUMNS = sql.raw(
  "(tenant_id, action, outcome, actor_type, actor_id, target_type, target_id, ip, user_agent, request_id, details)",
);

/** An insert for a tenant batch, so the entry commits with the change it records. */
export function auditInsert(entry: AuditEntryInput, info: RequestInfo): SQL {
  return sql`insert into audit_log ${COLUMNS} values (${values(entry, info)})`;
}

/**
 * An insert with one entry per row of `source` (a CTE of the same statement, say), so an entry
 * is written exactly for the rows a data-modifying CTE changed.
 */
export function auditInsertFrom(entry: AuditEntryInput, info: RequestInfo, source: SQL): SQL {
  return sql`insert into audit_log ${COLUMNS} select ${values(entry, info)} from ${source}`;
}

/** An insert that writes only when `condition` holds inside the same transaction. */
export function auditInsertWhen(entry: AuditEntryInput, info: RequestInfo, condition: SQL): SQL {
  return sql`insert into audit_log ${COLUMNS} select ${values(entry, info)} where ${condition}`;
}

/**
 * Sign-in attempts happen before a tenant is chosen: written for each tenant of the user, or once
 * without a tenant (see auth_record_sign_in in migration 0005).
 */
export async function recordSignIn(
  db: Database,
  userId: string | null,
  outcome: "success" | "failure",
  info: RequestInfo,
  details: Record<string, string>,
): Promise<void> {
  await rowsOf(
    db,
    sql`select auth_record_sign_in(${userId}::uuid, ${outcome}, ${info.ip}, ${info.userAgent}, ${info.requestId}, ${JSON.stringify(details)}::jsonb)`,
  );
}
