import { z } from "@hono/zod-openapi";
import { PERMISSIONS } from "../auth/permissions";
import { MAIL_LOCALES } from "../mail/templates";

const ROLE_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;

// The document states the pattern itself: the generator writes a flagged regex as `…$/u`, which no
// validator built from the document can match. JSON Schema patterns are Unicode-aware (ECMA-262
// with the `u` flag, as Ajv compiles them), so the source alone means the same.
const RoleName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(ROLE_NAME, "Role names are letters, digits, spaces, dots, dashes, underscores")
  .openapi({ pattern: ROLE_NAME.source, example: "Sales team" });

export const Permission = z.enum(PERMISSIONS);

export const PermissionList = z
  .array(Permission)
  .max(PERMISSIONS.length)
  .refine((list) => new Set(list).size === list.length, "Each permission once");

export const MemberStatus = z.enum(["invited", "active", "suspended"]);

export const Member = z
  .object({
    id: z.uuid().openapi({ description: "The user's id (the member id in paths)." }),
    email: z.string(),
    name: z.string(),
    role: z.string(),
    status: MemberStatus,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Member");

export const MemberInput = z
  .strictObject({
    email: z.email("Invalid email format").max(254),
    role: RoleName.openapi({ description: "A role name of this tenant (system or custom)." }),
    name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .openapi({
        description:
          "The name you see while the invitation is pending, and the new user's name when the email has no " +
          "account yet (defaults to the email's local part).",
      }),
    locale: z.enum(MAIL_LOCALES).optional().openapi({
      description:
        "Language of the invitation e-mail (`en`, `fr`); defaults to the user's own, else the region's default.",
    }),
  })
  .openapi("MemberInput");

export const MemberPatch = z
  .strictObject({
    role: RoleName.optional(),
    status: z.enum(["active", "suspended"]).optional(),
  })
  .refine((p) => p.role !== undefined || p.status !== undefined, "Give role, status or both")
  .openapi("MemberPatch");

export const Role = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    permissions: z.array(Permission),
    is_system: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Role");

export const RoleInput = z
  .strictObject({
    name: RoleName,
    description: z.string().trim().max(500).nullable().optional(),
    permissions: PermissionList,
  })
  .openapi("RoleInput");

export const RolePatch = z
  .strictObject({
    name: RoleName.optional(),
    description: z.string().trim().max(500).nullable().optional(),
    permissions: PermissionList.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, "Give at least one field")
  .openapi("RolePatch");

export const PermissionEntry = z
  .object({
    name: Permission,
    system_roles: z.array(z.string()).openapi({ description: "System roles that hold it." }),
  })
  .openapi("PermissionEntry");

export type MemberInput = z.infer<typeof MemberInput>;
export type MemberPatch = z.infer<typeof MemberPatch>;
export type RoleInput = z.infer<typeof RoleInput>;
export type RolePatch = z.infer<typeof RolePatch>;
export type MemberView = z.infer<typeof Member>;
export type RoleView = z.infer<typeof Role>;
