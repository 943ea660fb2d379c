import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { id, softDelete, tenantId, tenantIsolation, timestamps } from "./columns";
import { tenants } from "./tenants";
import { users } from "./users";

export const SYSTEM_ROLES = ["Owner", "Admin", "Manager", "Member", "Viewer", "Guest"] as const;
export type SystemRole = (typeof SYSTEM_ROLES)[number];

/** A tenant's roles: the six system roles plus custom roles built from permissions. */
export const roles = pgTable(
  "roles",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    name: text("name").notNull(),
    description: text("description"),
    permissions: text("permissions").array().notNull().default(sql`'{}'::text[]`),
    isSystem: boolean("is_system").notNull().default(false),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    index("roles_tenant_id_idx").on(t.tenantId),
    uniqueIndex("roles_tenant_name_key").on(t.tenantId, t.name).where(sql`not ${t.isDeleted}`),
    tenantIsolation(),
  ],
).enableRLS();

export const memberships = pgTable(
  "memberships",
  {
    id: id(),
    tenantId: tenantId().references(() => tenants.id),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id),
    roleId: uuid("role_id")
      .notNull()
      .references(() => roles.id),
    /**
     * `invited`: pending until the user accepts (at their next sign-in); no access until then.
     * Only an accepted membership is `active` or `suspended`.
     */
    status: text("status", { enum: ["invited", "active", "suspended"] })
      .notNull()
      .default("active"),
    /**
     * What the inviting tenant typed, shown to it while the invitation is pending instead of the
     * user's own email and name, so inviting an address tells nobody whether it has an account.
     */
    inviteEmail: text("invite_email"),
    inviteName: text("invite_name"),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    index("memberships_tenant_id_idx").on(t.tenantId),
    index("memberships_user_id_idx").on(t.userId),
    uniqueIndex("memberships_tenant_user_key").on(t.tenantId, t.userId).where(sql`not ${t.isDeleted}`),
    tenantIsolation(),
  ],
).enableRLS();

export type Role = typeof roles.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
