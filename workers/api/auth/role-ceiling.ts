import { effectivePermissions, isSystemRole, type RoleHolder } from "./permissions";
import { roleRank } from "./role-order";

/**
 * Whether `actor` may hand out or take away `target` (a member's role, a client's role, a custom
 * role's permission set): nobody reaches above their own role, or a member with `iam.*.write`
 * could mint themselves a stronger colleague. Only an Owner grants or removes Owner. Between
 * system roles the order decides (role-order.ts, Owner > Admin > Manager > Member > Viewer > Guest); otherwise the target's permissions must be a subset of the
 * actor's.
 */
export function mayGrant(actor: RoleHolder, target: RoleHolder): boolean {
  if (target.role === "Owner") return actor.role === "Owner";
  if (isSystemRole(actor.role) && isSystemRole(target.role))
    return roleRank(actor.role) >= roleRank(target.role);
  const own = effectivePermissions(actor);
  return effectivePermissions(target).every((p) => own.includes(p));
}
