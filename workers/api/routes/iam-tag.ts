import { ROLE_PERMISSIONS } from "../auth/permissions";

/**
 * The `iam` tag's description in the OpenAPI document: the system roles' permission sets, built
 * from the same table requirePermission reads, so the documentation cannot drift from the check.
 */
export function iamTagDescription(): string {
  const rows = Object.entries(ROLE_PERMISSIONS).map(
    ([role, set]) => `| ${role} | ${set.length === 0 ? "(none)" : set.map((p) => `\`${p}\``).join(", ")} |`,
  );
  return [
    "Members, roles, OAuth clients and the audit log of the caller's tenant.",
    "",
    "Every route declares one permission (`x-permission` on the operation); a caller without it gets 403.",
    "System roles and their fixed permissions:",
    "",
    "| role | permissions |",
    "|---|---|",
    ...rows,
    "",
    "Custom roles are any subset of `GET /api/v1/iam/permissions`. Their permissions are carried in the access " +
      "token (`perms` claim) and checked without a database round trip, so a change to a custom role or to a " +
      "member's role takes effect at the member's next token refresh: at most one access-token lifetime " +
      "(15 minutes by default). Nobody grants a role above their own; only an Owner grants or removes Owner; " +
      "the last active Owner cannot be removed, demoted or suspended; nobody changes their own membership.",
  ].join("\n");
}
