import { SYSTEM_ROLES, type SystemRole } from "../../../db/schema/memberships";

/** Lowest first: Guest < Viewer < Member < Manager < Admin < Owner. */
export const ROLES_LOWEST_FIRST: readonly SystemRole[] = [...SYSTEM_ROLES].reverse();

/** A system role's rank (higher = more power); -1 for anything else (custom roles). */
export const roleRank = (role: string) => (ROLES_LOWEST_FIRST as readonly string[]).indexOf(role);

/**
 * The system roles someone holding `role` may hand to a credential: their own and those below.
 * A custom role grants none, since it cannot be placed in the order.
 */
export function grantableRoles(role: string): SystemRole[] {
  const rank = roleRank(role);
  return rank < 0 ? [] : ROLES_LOWEST_FIRST.slice(0, rank + 1);
}
