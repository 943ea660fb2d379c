import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../lib/errors";

/** Every permission a route can declare. Custom roles are built from these. */
export const PERMISSIONS = [
  "crm.contacts.read",
  "crm.contacts.write",
  "iam.audit.read",
  "iam.members.read",
  "iam.members.write",
  "iam.roles.read",
  "iam.roles.write",
  "iam.api_keys.read",
  "iam.api_keys.write",
  "iam.oauth_clients.read",
  "iam.oauth_clients.write",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const CRM: Permission[] = ["crm.contacts.read", "crm.contacts.write"];

/**
 * The six system roles (documented in the OpenAPI description of `iam`): Owner and Admin manage
 * the tenant; Manager sees its members and roles; Member works in it; Viewer only reads; Guest
 * sees nothing until a custom role grants it something.
 */
export const ROLE_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  Owner: PERMISSIONS,
  Admin: PERMISSIONS,
  Manager: [...CRM, "iam.members.read", "iam.roles.read"],
  Member: CRM,
  Viewer: ["crm.contacts.read"],
  Guest: [],
};

export function roleAllows(role: string, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}

/** Each route declares its permission; this is the one place it is checked. */
export const requirePermission = (permission: Permission) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const actor = c.get("actor");
    if (!actor) throw ApiError.unauthenticated("Authentication required", "invalid_request");
    if (!roleAllows(actor.role, permission)) {
      throw new ApiError("FORBIDDEN", `Role ${actor.role} lacks permission ${permission}`);
    }
    await next();
  });

/**
 * Routes about the caller's own account (MFA) need no tenant permission, only a user: every role,
 * Guest included, may protect its own sign-in. Declared per route like a permission.
 */
export const requireSignedInUser = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.get("actor")) throw ApiError.unauthenticated("Authentication required", "invalid_request");
    await next();
  });
