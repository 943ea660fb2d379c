import { createMiddleware } from "hono/factory";
import { SYSTEM_ROLES, type SystemRole } from "../../../db/schema/memberships";
import type { AppEnv } from "../app-env";
import { ApiError } from "../lib/errors";
import { PERMISSIONS, type Permission } from "./permission-catalogue";

export { isReservedRoleName, PERMISSIONS, type Permission } from "./permission-catalogue";

const CRM_READ: Permission[] = ["crm.contacts.read", "crm.leads.read", "crm.opportunities.read"];
const CRM: Permission[] = [...CRM_READ, "crm.contacts.write", "crm.leads.write", "crm.opportunities.write"];
/**
 * Whoever works in the tenant follows its changes. Viewer does not: an event carries the whole
 * changed record, and a Viewer's reads are limited to what it was granted (the CRM today), which
 * the event log would widen as other services start emitting events.
 */
const WORK: Permission[] = [
  ...CRM,
  "events.read",
  "realtime.read",
  "realtime.write",
  "tenant.settings.read",
  // Resources (documents, policies, notes) and the one search box: worked on like CRM records.
  "resources.read",
  "resources.write",
];

/** Reading the books: invoices and payments, never the provider connections behind them. */
const FINANCE_READ: Permission[] = ["finance.invoices.read", "finance.payments.read"];
/** Billing customers and taking their payments; voiding, refunds and connections are not work. */
const FINANCE_WORK: Permission[] = [...FINANCE_READ, "finance.invoices.write", "finance.payments.write"];

/**
 * AI agents: every role that reads the tenant's records may use its agents (list them, chat,
 * execute, read its own history and runs); an agent's tools then act with the caller's own
 * permissions, so a Viewer's agent only reads. Defining custom agents and reading the usage
 * ledger is management (Manager and up); reading other users' sessions and runs is Owner and
 * Admin only (`ai.sessions.read_all`), since a chat may quote anything its user could see.
 */
const AI_USE: Permission[] = ["ai.agents.read", "ai.runs.read", "ai.runs.write"];
const AI_MANAGE: Permission[] = [...AI_USE, "ai.agents.write", "ai.usage.read"];

/**
 * The six system roles (documented in the OpenAPI description of `iam`): Owner and Admin manage
 * the tenant; Manager sees its members, roles and webhook endpoints; Member works in it; Viewer
 * only reads the CRM (contacts, leads, opportunities) and the books (invoices, payments); Guest sees nothing until a custom role
 * grants it something. Realtime (connect and receive: `realtime.read`; post: `realtime.write`)
 * goes with work in the tenant, so not to Viewer.
 *
 * Finance: Viewer reads invoices and payments; Member bills and takes payments but cannot void
 * an invoice or refund; Manager can, and sees which provider connections exist; only Owner and
 * Admin manage connections, since a connection's keys move the tenant's money.
 *
 * Changing webhook endpoints stays with Owner and Admin: an endpoint receives every event it
 * subscribes to, so `webhooks.write` is the power to send the tenant's data anywhere. Reading
 * them (never their secrets) lets a Manager see where the data goes.
 *
 * The tenant's settings (name, custom field definitions, pipeline) are read by every role that
 * reads the CRM, Viewer included (`tenant.settings.read`), and changed by Owner and Admin only.
 */
export const ROLE_PERMISSIONS: Readonly<Record<SystemRole, readonly Permission[]>> = {
  Owner: PERMISSIONS,
  Admin: PERMISSIONS,
  Manager: [
    ...WORK,
    ...AI_MANAGE,
    ...FINANCE_WORK,
    "finance.invoices.void",
    "finance.payments.refund",
    "finance.connections.read",
    "iam.members.read",
    "iam.roles.read",
    "webhooks.read",
  ],
  Member: [...WORK, ...FINANCE_WORK, ...AI_USE],
  // The tenant's field definitions and pipeline say what its CRM records mean: readable with them.
  Viewer: [...CRM_READ, ...FINANCE_READ, "tenant.settings.read", "resources.read", ...AI_USE],
  Guest: [],
};

export function isSystemRole(role: string): role is SystemRole {
  return (SYSTEM_ROLES as readonly string[]).includes(role);
}

/** Who holds a role: its name, and for a custom role the permissions its credential carries. */
export interface RoleHolder {
  role: string;
  /** Only read for custom roles; a system role's set is always the one above. */
  permissions?: readonly string[] | undefined;
}

/**
 * What a role may do. A system role's set comes from the code, whatever the credential says, so a
 * token can never pair a system name with its own list; a custom role's set comes from the
 * credential (no database round trip), which the authorization server filled from the roles table.
 */
export function effectivePermissions(holder: RoleHolder): readonly Permission[] {
  if (isSystemRole(holder.role)) return ROLE_PERMISSIONS[holder.role];
  const carried = holder.permissions ?? [];
  return PERMISSIONS.filter((p) => carried.includes(p));
}

export function roleAllows(holder: RoleHolder, permission: Permission): boolean {
  return effectivePermissions(holder).includes(permission);
}

/**
 * Services whose permissions are covered by another service's scope. The event log holds CRM
 * changes only so far, so reading it is a CRM read (`crm:read`); it gets a scope of its own
 * (which every client registration, the first-party one included, would have to be given) once
 * other services emit events.
 */
// Resources and search sit with the CRM's scopes too: the one search box spans CRM records, and
// no client registration has to be given a new scope to use them.
// Data subject requests are administration of the tenant (Owner and Admin): the iam scopes.
const SCOPE_SERVICE: Readonly<Record<string, string>> = { events: "crm", resources: "crm", privacy: "iam" };

/**
 * Permissions whose scope is not their service's. Reading the tenant's settings is what a CRM
 * client needs to write valid records (which fields are required, an enum's options, the
 * stages), so `crm:read`; changing them is administration, so `iam:write`. No new scope: every
 * client registration keeps working as it is.
 */
const PERMISSION_SCOPE: Readonly<Partial<Record<Permission, string>>> = {
  "tenant.settings.read": "crm:read",
  "tenant.settings.write": "iam:write",
  // The usage charts (requests, refusals, events, webhook success) are the tenant's operations:
  // read with the administration scope, like the audit log.
  "tenant.usage.read": "iam:read",
};

/**
 * The OAuth scope a permission needs: `<service>:read` or `<service>:write` by its first and last
 * segments (`crm.contacts.write` → `crm:write`, `iam.audit.read` → `iam:read`, `events.read` →
 * `crm:read` by SCOPE_SERVICE; PERMISSION_SCOPE overrides both); `:write` also grants `:read`. A role says what a person may do;
 * the scope says what they let this client do; a request needs both.
 */
export function scopeFor(permission: Permission): string {
  const fixed = PERMISSION_SCOPE[permission];
  if (fixed) return fixed;
  const parts = permission.split(".");
  const service = parts[0] ?? "";
  return `${SCOPE_SERVICE[service] ?? service}:${parts.at(-1) === "write" ? "write" : "read"}`;
}

/**
 * Whether a credential's scopes cover a permission. Write includes read: a client allowed to
 * change the CRM may also see it.
 */
export function scopeAllows(scopes: readonly string[], permission: Permission): boolean {
  const scope = scopeFor(permission);
  return scopes.includes(scope) || scopes.includes(scope.replace(/:read$/, ":write"));
}

/** What a principal may do through this credential: its role's permissions its scopes cover. */
export function grantedPermissions(holder: RoleHolder & { scopes: readonly string[] }): Permission[] {
  return effectivePermissions(holder).filter((p) => scopeAllows(holder.scopes, p));
}

/** Both walls at once, for code that filters rather than refuses: the role allows it, the scope covers it. */
export function actorMay(actor: RoleHolder & { scopes: readonly string[] }, permission: Permission): boolean {
  return roleAllows(actor, permission) && scopeAllows(actor.scopes, permission);
}

/** Each route declares its permission; this is the one place it is checked. */
export const requirePermission = (permission: Permission) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const actor = c.get("actor");
    if (!actor) throw ApiError.unauthenticated("Authentication required", "invalid_request");
    if (!roleAllows(actor, permission)) {
      throw new ApiError("FORBIDDEN", `Role ${actor.role} lacks permission ${permission}`);
    }
    const scope = scopeFor(permission);
    if (!scopeAllows(actor.scopes, permission)) {
      // RFC 6750 §3.1: the client may ask the user for a token with more scope.
      throw new ApiError("FORBIDDEN", `The credential's scope does not include ${scope}`, {
        headers: { "WWW-Authenticate": `Bearer realm="nexus", error="insufficient_scope", scope="${scope}"` },
      });
    }
    await next();
  });

/**
 * Routes about the caller's own account (MFA) need no tenant permission, only a user: every role,
 * Guest included, may protect its own sign-in. Declared per route like a permission.
 */
const requireSignedInUser = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.get("actor")) throw ApiError.unauthenticated("Authentication required", "invalid_request");
    await next();
  });

/**
 * What a route spreads into its `createRoute` config: the check, and the same permission in the
 * OpenAPI operation (`x-permission`), so the document, the enforcement and the RBAC matrix test
 * read one declaration.
 */
export function guardedBy(permission: Permission) {
  return { middleware: requirePermission(permission), "x-permission": permission } as const;
}

/**
 * guardedBy for a route whose work needs more than one permission (converting a lead also opens an
 * opportunity and may create a contact): all are checked, the first is the route's `x-permission`
 * (the RBAC matrix's), the others are listed in `x-permissions-also`.
 */
export function guardedByAll(permission: Permission, ...also: Permission[]) {
  return {
    middleware: [permission, ...also].map(requirePermission),
    "x-permission": permission,
    "x-permissions-also": also,
  } as const;
}

/**
 * The declaration of a route about the caller's own account (`x-permission: self`): any signed-in
 * principal, whatever its role, acting on itself only.
 */
export function selfService() {
  return { middleware: requireSignedInUser(), "x-permission": "self" } as const;
}
