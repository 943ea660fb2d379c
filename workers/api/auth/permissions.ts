import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../lib/errors";

export const PERMISSIONS = ["crm.contacts.read", "crm.contacts.write"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** System roles. Custom roles (permission lists stored per tenant) arrive with IAM. */
export const ROLE_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  Owner: PERMISSIONS,
  Admin: PERMISSIONS,
  Manager: ["crm.contacts.read", "crm.contacts.write"],
  Member: ["crm.contacts.read", "crm.contacts.write"],
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
