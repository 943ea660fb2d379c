import { z } from "@hono/zod-openapi";
import { SYSTEM_ROLES } from "../../../db/schema/memberships";
import type { SUPPORTED_SCOPES } from "../oauth/scopes";
import { MAX_GRACE_SECONDS, MAX_LIFETIME_DAYS } from "../services/identity/api-keys";

/** The API scopes a key may carry (the OpenID ones mean nothing without a user). */
export const API_KEY_SCOPES = [
  "crm:read",
  "crm:write",
  "iam:read",
  "iam:write",
  "webhooks:read",
  "webhooks:write",
] as const satisfies readonly (typeof SUPPORTED_SCOPES)[number][];

const DAY_MS = 24 * 60 * 60 * 1000;

/** In the future and at most 90 days away; left out, the key lives the full 90 days. */
const expiresAt = z.iso
  .datetime({ offset: true })
  .refine((v) => Date.parse(v) > Date.now(), "expires_at must be in the future")
  .refine(
    (v) => Date.parse(v) <= Date.now() + MAX_LIFETIME_DAYS * DAY_MS,
    `expires_at must be at most ${MAX_LIFETIME_DAYS} days away`,
  )
  .optional()
  .openapi({
    description: `RFC 3339; at most ${MAX_LIFETIME_DAYS} days away. Default: ${MAX_LIFETIME_DAYS} days.`,
  });

/** Strict: `id`, `secret`, `tenant_id`, `created_by` and anything unknown are rejected. */
export const ApiKeyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    role: z
      .enum(SYSTEM_ROLES)
      .openapi({ description: "At most the caller's own role (Owner > Admin > … > Guest)." }),
    scopes: z
      .array(z.enum(API_KEY_SCOPES))
      .min(1)
      .max(API_KEY_SCOPES.length)
      .transform((s) => [...new Set(s)]),
    expires_at: expiresAt,
  })
  .openapi("ApiKeyInput");

export const ApiKeyRotation = z
  .strictObject({
    grace_period_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional().openapi({
      description: "How long the old key keeps working: 0–604800 s (7 days), default 86400 (24 h).",
    }),
    expires_at: expiresAt,
  })
  .openapi("ApiKeyRotation");

export const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    hint: z
      .string()
      .openapi({ description: "Region and last four characters, e.g. `nxk_eu_…Xy3k`. Not the key." }),
    role: z.string(),
    scopes: z.array(z.string()),
    status: z.enum(["active", "expired", "revoked"]),
    created_by: z.uuid(),
    created_at: z.string(),
    expires_at: z.string(),
    last_used_at: z.string().nullable().openapi({ description: "Updated at most hourly." }),
    revoked_at: z.string().nullable(),
    replaces_id: z.uuid().nullable(),
    replaced_by_id: z.uuid().nullable(),
  })
  .openapi("ApiKey");

const secret = z.string().openapi({
  description: "The key itself (`nxk_{region}_…`). Shown only in this response; store it now.",
});

export const ApiKeyWithSecret = ApiKey.extend({ secret }).openapi("ApiKeyWithSecret");
export const RotatedApiKey = ApiKey.extend({ secret, previous: ApiKey }).openapi("RotatedApiKey");
