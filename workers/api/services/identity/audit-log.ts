import { sql } from "drizzle-orm";
import { tenantRows, utcIso } from "../../../../db/rows";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import type { AuditAction, AuditActorType } from "./audit";

export interface AuditEntryView {
  id: string;
  action: AuditAction;
  outcome: "success" | "failure";
  actor_type: AuditActorType;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  created_at: string;
}

/** The tenant's audit trail, newest first, keyset-paginated; optionally one action. */
export async function listAuditEntries(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined; action?: string | undefined },
): Promise<Page<AuditEntryView>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select id, action, outcome, actor_type, actor_id, target_type, target_id, ip, user_agent, request_id, details,
               ${utcIso(sql`created_at`)} as created_at
        from audit_log
        where tenant_id = ${tenantId}
          ${query.action ? sql`and action = ${query.action}` : sql``}
          ${afterCursor(query.cursor, sql`created_at`, sql`id`)}
        order by created_at desc, id desc
        limit ${query.limit + 1}`,
  ]);
  return pageOf(rows as AuditEntryView[], query.limit);
}
