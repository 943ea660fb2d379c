import { type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../context";
import { type AuditEntryInput, actorTypeOf, auditInsertWhen } from "./audit";
import type { RequestInfo } from "./request-info";

/**
 * One statement that makes a change and audits it only if it happened: `ctes` must define a CTE
 * named `change` (a data-modifying statement with `returning`); more CTEs may follow it. Answers
 * one row when the change touched something, none otherwise, so the caller can tell a lost race
 * or an unmet condition from success without a second round trip.
 */
export function auditedChange(ctes: SQL, entry: AuditEntryInput, info: RequestInfo): SQL {
  return sql`with ${ctes} ${auditInsertWhen(entry, info, sql`exists (select 1 from change)`)} returning id`;
}

/** The audit fields of a change an authenticated caller makes in its tenant. */
export const byActor = (ctx: ServiceContext, targetType: string) => ({
  tenantId: ctx.actor.tenantId,
  outcome: "success" as const,
  actorType: actorTypeOf(ctx.actor),
  actorId: ctx.actor.userId,
  targetType,
});
