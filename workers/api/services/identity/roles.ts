import { sql } from "drizzle-orm";
import { tenantRows, textArray } from "../../../../db/rows";
import { isReservedRoleName } from "../../auth/permissions";
import { mayGrant } from "../../auth/role-ceiling";
import { ApiError } from "../../lib/errors";
import { afterCursor, pageOf } from "../../lib/keyset-page";
import type { RoleInput, RolePatch, RoleView } from "../../schemas/iam";
import type { Page } from "../contacts";
import type { ServiceContext } from "../context";
import { auditedChange, byActor } from "./audited-change";
import type { RequestInfo } from "./request-info";
import { findRole, ROLE_COLUMNS, type RoleRecord, roleView } from "./role-records";

function checkName(name: string): void {
  if (isReservedRoleName(name)) {
    throw ApiError.validation([{ field: "name", message: "This name belongs to a system role" }]);
  }
}

/** Nobody builds a role stronger than their own (it could then be handed to someone else). */
function checkCeiling(ctx: ServiceContext, name: string, permissions: readonly string[]): void {
  if (!mayGrant(ctx.actor, { role: name, permissions })) {
    throw new ApiError("FORBIDDEN", "A role may not hold permissions you do not hold");
  }
}

const nameFree = (tenantId: string, name: string, except: string | null) =>
  sql`not exists (select 1 from roles o where o.tenant_id = ${tenantId} and lower(o.name) = lower(${name})
                  and not o.is_deleted and o.id is distinct from ${except}::uuid)`;

export async function listRoles(
  ctx: ServiceContext,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<RoleView>> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${ROLE_COLUMNS} from roles r
        where r.tenant_id = ${tenantId} and not r.is_deleted ${afterCursor(query.cursor, sql`r.created_at`, sql`r.id`)}
        order by r.created_at desc, r.id desc limit ${query.limit + 1}`,
  ]);
  const page = pageOf(rows as RoleRecord[], query.limit);
  return { ...page, items: page.items.map(roleView) };
}

async function existingRole(ctx: ServiceContext, id: string): Promise<RoleRecord> {
  const role = await findRole(ctx, sql`r.id = ${id}`);
  if (!role) throw ApiError.notFound("Role");
  return role;
}

export async function getRole(ctx: ServiceContext, id: string): Promise<RoleView> {
  return roleView(await existingRole(ctx, id));
}

export async function createRole(
  ctx: ServiceContext,
  info: RequestInfo,
  input: RoleInput,
): Promise<RoleView> {
  checkName(input.name);
  checkCeiling(ctx, input.name, input.permissions);
  const tenantId = ctx.actor.tenantId;
  const id = crypto.randomUUID();
  const [created = [], rows = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (
        insert into roles (id, tenant_id, name, description, permissions)
        select ${id}, ${tenantId}, ${input.name}, ${input.description ?? null}, ${textArray(input.permissions)}
        where ${nameFree(tenantId, input.name, null)} returning id)`,
      { ...byActor(ctx, "role"), action: "iam.role_created", targetId: id, details: { name: input.name } },
      info,
    ),
    sql`select ${ROLE_COLUMNS} from roles r where r.id = ${id}`,
  ]);
  if (created.length === 0) throw new ApiError("CONFLICT", "A role with this name exists", { field: "name" });
  return roleView(rows[0] as RoleRecord);
}

export async function updateRole(
  ctx: ServiceContext,
  info: RequestInfo,
  id: string,
  patch: RolePatch,
): Promise<RoleView> {
  const role = await existingRole(ctx, id);
  if (role.is_system) throw new ApiError("CONFLICT", "System roles cannot be changed");
  const name = patch.name ?? role.name;
  const permissions = patch.permissions ?? role.permissions;
  checkName(name);
  checkCeiling(ctx, role.name, role.permissions);
  checkCeiling(ctx, name, permissions);
  const description = patch.description === undefined ? role.description : patch.description;
  const tenantId = ctx.actor.tenantId;
  const [changed = [], rows = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (
        update roles set name = ${name}, description = ${description}, permissions = ${textArray(permissions)}, updated_at = now()
        where id = ${id} and tenant_id = ${tenantId} and not is_system and not is_deleted
          and ${nameFree(tenantId, name, id)} returning id)`,
      {
        ...byActor(ctx, "role"),
        action: "iam.role_updated",
        targetId: id,
        details: { name, permissions: permissions.join(" ") },
      },
      info,
    ),
    sql`select ${ROLE_COLUMNS} from roles r where r.id = ${id} and not r.is_deleted`,
  ]);
  if (changed.length === 0) {
    if (rows.length === 0) throw ApiError.notFound("Role");
    throw new ApiError("CONFLICT", "A role with this name exists", { field: "name" });
  }
  return roleView(rows[0] as RoleRecord);
}

export async function deleteRole(ctx: ServiceContext, info: RequestInfo, id: string): Promise<void> {
  const role = await existingRole(ctx, id);
  if (role.is_system) throw new ApiError("CONFLICT", "System roles cannot be deleted");
  const tenantId = ctx.actor.tenantId;
  const [deleted = []] = await tenantRows(ctx.db, tenantId, [
    auditedChange(
      sql`change as (
        update roles set is_deleted = true, deleted_at = now(), updated_at = now()
        where id = ${id} and tenant_id = ${tenantId} and not is_system and not is_deleted
          and not exists (select 1 from memberships m where m.role_id = ${id} and not m.is_deleted)
        returning id)`,
      { ...byActor(ctx, "role"), action: "iam.role_deleted", targetId: id, details: { name: role.name } },
      info,
    ),
  ]);
  if (deleted.length === 0) throw new ApiError("CONFLICT", "The role is still assigned to members");
}
