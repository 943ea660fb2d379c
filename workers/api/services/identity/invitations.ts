import { sql } from "drizzle-orm";
import type { Database } from "../../../../db/client";
import { rowsOf, tenantRows } from "../../../../db/rows";
import { auditInsertFrom } from "./audit";
import type { RequestInfo } from "./request-info";

export interface PendingInvitation {
  tenant_id: string;
  tenant_name: string;
  role_name: string;
}

/** The user's pending invitations in this region (auth_user_invitations, migration 0017). */
export function pendingInvitations(db: Database, userId: string): Promise<PendingInvitation[]> {
  return rowsOf<PendingInvitation>(
    db,
    sql`select tenant_id, tenant_name, role_name from auth_user_invitations(${userId}::uuid)`,
  );
}

export interface InvitationAnswer {
  tenantId: string;
  accept: boolean;
}

/**
 * The signed-in user's answer to one of their invitations: accepting makes the membership
 * active (the role the tenant chose), declining removes it. Only a pending invitation of this
 * user changes; anything else is ignored. Audited in the inviting tenant.
 */
export async function answerInvitation(
  db: Database,
  userId: string,
  answer: InvitationAnswer,
  info: RequestInfo,
): Promise<void> {
  const change = answer.accept
    ? sql`update memberships set status = 'active', updated_at = now()`
    : sql`update memberships set is_deleted = true, deleted_at = now(), updated_at = now()`;
  await tenantRows(db, answer.tenantId, [
    sql`with change as (
          ${change}
          where tenant_id = ${answer.tenantId} and user_id = ${userId} and status = 'invited' and not is_deleted
          returning id
        ) ${auditInsertFrom(
          {
            tenantId: answer.tenantId,
            action: answer.accept ? "iam.invitation_accepted" : "iam.invitation_declined",
            outcome: "success",
            actorType: "user",
            actorId: userId,
            targetType: "membership",
            targetId: sql`c.id::text`,
          },
          info,
          sql`change c`,
        )}`,
  ]);
}
