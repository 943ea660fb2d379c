import { sql } from "drizzle-orm";
import { tenantRows, textArray, utcIso } from "../../../../db/rows";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { auditInsert } from "./audit";
import { byActor } from "./audited-change";
import type { RequestInfo } from "./request-info";

/**
 * The tenant's rule requiring a second factor (tenant_mfa_policies): off, every member, or the
 * members holding named roles; and whether SMS codes are allowed at all. Sign-in reads it.
 */
export interface MfaPolicyView {
  required: "off" | "all" | "roles";
  roles: string[];
  allow_sms: boolean;
  updated_at: string | null;
}

export async function getMfaPolicy(ctx: ServiceContext): Promise<MfaPolicyView> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select required, roles, allow_sms, ${utcIso(sql`updated_at`)} as updated_at
        from tenant_mfa_policies where tenant_id = ${tenantId}`,
  ]);
  return (
    (rows[0] as MfaPolicyView | undefined) ?? {
      required: "off",
      roles: [],
      allow_sms: false,
      updated_at: null,
    }
  );
}

/**
 * Replaces the tenant's rule. Every role named must exist in the tenant (400 naming it). Takes
 * effect at members' next sign-in: those without an authenticator app get e-mailed codes.
 */
export async function putMfaPolicy(
  ctx: ServiceContext,
  info: RequestInfo,
  input: { required: "off" | "all" | "roles"; roles: string[]; allow_sms: boolean },
): Promise<MfaPolicyView> {
  const tenantId = ctx.actor.tenantId;
  if (input.required === "roles" && input.roles.length === 0) {
    throw ApiError.validation([
      { field: "roles", message: "Name at least one role when required is `roles`" },
    ]);
  }
  if (input.roles.length > 0) {
    const [found = []] = await tenantRows(ctx.db, tenantId, [
      sql`select name from roles where tenant_id = ${tenantId} and not is_deleted and name = any(${textArray(input.roles)})`,
    ]);
    const known = new Set((found as { name: string }[]).map((r) => r.name));
    const missing = input.roles.filter((r) => !known.has(r));
    if (missing.length > 0) {
      throw ApiError.validation(
        missing.map((name) => ({ field: "roles", message: `No role named ${name} in this tenant` })),
      );
    }
  }
  const [, rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`insert into tenant_mfa_policies (tenant_id, required, roles, allow_sms)
        values (${tenantId}, ${input.required}, ${textArray(input.roles)}, ${input.allow_sms})
        on conflict (tenant_id) do update set required = excluded.required, roles = excluded.roles,
          allow_sms = excluded.allow_sms, updated_at = now()`,
    sql`select required, roles, allow_sms, ${utcIso(sql`updated_at`)} as updated_at
        from tenant_mfa_policies where tenant_id = ${tenantId}`,
    auditInsert(
      {
        ...byActor(ctx, "tenant"),
        action: "tenant.settings_updated",
        targetId: tenantId,
        details: {
          mfa_required: input.required,
          roles: input.roles.join(","),
          allow_sms: String(input.allow_sms),
        },
      },
      info,
    ),
  ]);
  return rows[0] as MfaPolicyView;
}
