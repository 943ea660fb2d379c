import { type SQL, sql } from "drizzle-orm";
import { tenantRows, utcIso } from "../../../../db/rows";
import { effectivePermissions, type RoleHolder } from "../../auth/permissions";
import type { RoleView } from "../../schemas/iam";
import type { ServiceContext } from "../context";

/** A tenant's role as stored. System roles keep no permissions in the table: theirs are in code. */
export interface RoleRecord {
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
  is_system: boolean;
  created_at: string;
  updated_at: string;
}

export const ROLE_COLUMNS = sql`r.id, r.name, r.description, r.permissions, r.is_system,
  ${utcIso(sql`r.created_at`)} as created_at, ${utcIso(sql`r.updated_at`)} as updated_at`;

export const holderOf = (role: Pick<RoleRecord, "name" | "permissions">): RoleHolder => ({
  role: role.name,
  permissions: role.permissions,
});

export function roleView(role: RoleRecord): RoleView {
  return { ...role, permissions: [...effectivePermissions(holderOf(role))] };
}

/** One live role of the actor's tenant matching `where` (on alias `r`). */
export async function findRole(ctx: ServiceContext, where: SQL): Promise<RoleRecord | undefined> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${ROLE_COLUMNS} from roles r where r.tenant_id = ${tenantId} and not r.is_deleted and ${where} limit 1`,
  ]);
  return rows[0] as RoleRecord | undefined;
}
