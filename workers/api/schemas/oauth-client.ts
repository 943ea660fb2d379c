import { z } from "@hono/zod-openapi";
import { SYSTEM_ROLES } from "../../../db/schema/memberships";
import { MAX_ACCESS_TOKEN_TTL_SECONDS } from "../auth/token-format";
import { redirectUriProblem } from "../oauth/redirect-registration";
import { SUPPORTED_SCOPES } from "../oauth/scopes";

const GRANT_TYPES = ["authorization_code", "refresh_token", "client_credentials"] as const;
const unique = (list: readonly string[]) => new Set(list).size === list.length;

export const OAuthClientInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    type: z.enum(["public", "confidential"]),
    redirect_uris: z
      .array(z.string().max(2000))
      .max(10)
      .default([])
      .openapi({
        description:
          "1–10 exact URIs when authorization_code is granted, none otherwise. https only; public native " +
          "clients may use http://127.0.0.1 or http://[::1] (any port at run time, RFC 8252). No fragments.",
      }),
    grant_types: z.array(z.enum(GRANT_TYPES)).min(1).max(3).refine(unique, "Each grant type once"),
    scopes: z
      .array(z.enum(SUPPORTED_SCOPES))
      .min(1)
      .max(SUPPORTED_SCOPES.length)
      .refine(unique, "Each scope once"),
    role: z.enum(SYSTEM_ROLES).optional().openapi({
      description:
        "Role of client_credentials tokens (required with that grant); not above the creator's role.",
    }),
    access_token_ttl_seconds: z.number().int().min(60).max(MAX_ACCESS_TOKEN_TTL_SECONDS).default(900),
    refresh_token_ttl_seconds: z
      .number()
      .int()
      .min(3600)
      .max(30 * 24 * 3600)
      .default(7 * 24 * 3600),
  })
  .superRefine((input, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const grants = new Set(input.grant_types);
    const machine = grants.has("client_credentials");
    if (machine && input.type !== "confidential")
      issue("grant_types", "client_credentials needs a confidential client");
    if (machine !== (input.role !== undefined))
      issue("role", "role is required with client_credentials, and only then");
    if (grants.has("refresh_token") && !grants.has("authorization_code")) {
      issue("grant_types", "refresh_token needs authorization_code");
    }
    if (grants.has("authorization_code") && input.redirect_uris.length === 0) {
      issue("redirect_uris", "authorization_code needs at least one redirect URI");
    }
    if (!grants.has("authorization_code") && input.redirect_uris.length > 0) {
      issue("redirect_uris", "Redirect URIs are only for authorization_code");
    }
    if (!unique(input.redirect_uris)) issue("redirect_uris", "Each redirect URI once");
    input.redirect_uris.forEach((uri, i) => {
      const problem = redirectUriProblem(uri, input.type === "public");
      if (problem) ctx.addIssue({ code: "custom", path: ["redirect_uris", i], message: problem });
    });
  })
  .openapi("OAuthClientInput");

export const OAuthClient = z
  .object({
    id: z.uuid(),
    client_id: z.string(),
    name: z.string(),
    type: z.enum(["public", "confidential"]),
    redirect_uris: z.array(z.string()),
    grant_types: z.array(z.string()),
    scopes: z.array(z.string()),
    role: z.string().nullable(),
    access_token_ttl_seconds: z.number().int(),
    refresh_token_ttl_seconds: z.number().int(),
    created_at: z.string(),
  })
  .openapi("OAuthClient");

export const CreatedOAuthClient = OAuthClient.extend({
  client_secret: z.string().nullable().openapi({
    description: "Confidential clients only; shown once, stored as a SHA-256 hash.",
  }),
}).openapi("CreatedOAuthClient");

export type OAuthClientInput = z.infer<typeof OAuthClientInput>;
export type OAuthClientView = z.infer<typeof OAuthClient>;
