import { z } from "@hono/zod-openapi";

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const DomainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(DOMAIN, "A domain name such as example.com (no scheme, no @, no wildcard)")
  .openapi({ example: "acme.example", pattern: DOMAIN.source });

const RoleName = z.string().trim().min(1).max(64);

const ClaimName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_:./-]+$/, "A claim name (letters, digits, _ : . / -)");

export const ClaimMapping = z
  .strictObject({
    email: ClaimName.default("email").openapi({ description: "Claim holding the e-mail address." }),
    name: ClaimName.default("name").openapi({ description: "Claim holding the display name." }),
    groups: ClaimName.default("groups").openapi({
      description: "Claim holding the user's groups (an array of strings), for `group_roles`.",
    }),
  })
  .openapi("SsoClaimMapping");

export const GroupRole = z
  .strictObject({
    group: z
      .string()
      .trim()
      .min(1)
      .max(256)
      .openapi({ description: "A value of the groups claim (or a SCIM group's displayName)." }),
    role: RoleName.openapi({ description: "The tenant role members of that group get." }),
  })
  .openapi("SsoGroupRole");

const scopes = z
  .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "A scope token"))
  .min(1)
  .max(20)
  .refine((s) => s.includes("openid"), "Must include openid")
  .refine((s) => new Set(s).size === s.length, "Each scope once");

const domains = z
  .array(DomainName)
  .max(20)
  .refine((d) => new Set(d).size === d.length, "Each domain once")
  .openapi({
    description:
      "The e-mail domains this connection signs in. The sign-in page routes an address here only once the tenant " +
      "has verified its domain (`/iam/sso/domains`); a person whose e-mail is outside these domains is refused.",
  });

const fields = {
  name: z.string().trim().min(1).max(100).openapi({ example: "Acme Okta" }),
  issuer: z
    .string()
    .trim()
    .max(500)
    .openapi({
      description:
        "The IdP's exact issuer (its discovery document is at `<issuer>/.well-known/openid-configuration`). One " +
        "issuer per connection: Entra needs the tenant's own (`https://login.microsoftonline.com/<tenant id>/v2.0`; " +
        "`common`/`organizations` are refused), Okta the authorization server's, Google `https://accounts.google.com`.",
      example: "https://acme.okta.com",
    }),
  client_id: z.string().trim().min(1).max(255),
  client_secret: z.string().min(1).max(1024).openapi({
    description:
      "The client secret the IdP issued. Stored encrypted; never shown again (`has_client_secret`).",
  }),
  scopes: scopes.openapi({
    description: "Requested scopes; must include `openid`.",
    example: ["openid", "email", "profile"],
  }),
  domains,
  claims: ClaimMapping,
  group_roles: z
    .array(GroupRole)
    .max(50)
    .openapi({
      description:
        "Group → role, first match wins (so put the most powerful first). A member matching none gets `default_role`. " +
        "Applied at each sign-in and when SCIM changes a group. Roles must be ones you may grant; never Owner.",
    }),
  default_role: RoleName.openapi({
    description: "Role of a JIT or SCIM member matching no group.",
    example: "Member",
  }),
  jit: z.boolean().openapi({
    description:
      "Just-in-time membership: a first sign-in from a verified domain of this connection creates the member.",
  }),
  enabled: z.boolean(),
};

const common = {
  name: fields.name,
  domains: fields.domains.default([]),
  claims: fields.claims.default({ email: "email", name: "name", groups: "groups" }),
  group_roles: fields.group_roles.default([]),
  default_role: fields.default_role.default("Member"),
  jit: fields.jit.default(true),
  enabled: fields.enabled.default(true),
};

export const OidcConnectionInput = z
  .strictObject({
    protocol: z.literal("oidc").default("oidc").openapi({ description: "OpenID Connect (the default)." }),
    issuer: fields.issuer,
    client_id: fields.client_id,
    client_secret: fields.client_secret.optional(),
    scopes: fields.scopes.default(["openid", "email", "profile"]),
    ...common,
  })
  .openapi("OidcConnectionInput");

const MAX_METADATA_BYTES = 256 * 1024;
const SAML_FIELDS = ["idp_entity_id", "idp_sso_url", "idp_certificates"] as const;

export const SamlIdpSettings = z
  .strictObject({
    idp_metadata: z
      .string()
      .min(1)
      .max(MAX_METADATA_BYTES, { error: "At most 256 KiB", abort: true })
      .refine((xml) => new TextEncoder().encode(xml).length <= MAX_METADATA_BYTES, "At most 256 KiB")
      .optional()
      .openapi({
        description:
          "The IdP's SAML 2.0 metadata document (XML, at most 256 KiB) instead of the other three fields: the " +
          "region's SAML bridge reads the entity id, the HTTP-Redirect SingleSignOnService and every signing " +
          "certificate from it (Entra's federation metadata, Okta's, ADFS'). An EntitiesDescriptor must hold " +
          "exactly one IdP.",
      }),
    idp_entity_id: z.string().trim().min(1).max(1024).optional().openapi({
      description: "The IdP's entity id (the Issuer of its assertions), from its metadata.",
      example: "https://sts.windows.net/<tenant id>/",
    }),
    idp_sso_url: z.url().max(2000).optional().openapi({
      description: "The IdP's SingleSignOnService URL for the HTTP-Redirect binding.",
      example: "https://login.microsoftonline.com/<tenant id>/saml2",
    }),
    idp_certificates: z
      .array(z.string().min(100).max(16_384))
      .min(1)
      .max(3)
      .optional()
      .openapi({
        description:
          "The IdP's signing certificates (PEM, or the base64 of its metadata's X509Certificate); two during a " +
          "rollover. Assertions must be signed by one of these: a certificate inside an assertion is never trusted.",
      }),
  })
  .superRefine((settings, ctx) => {
    const given = SAML_FIELDS.filter((f) => settings[f] !== undefined);
    if (settings.idp_metadata !== undefined) {
      if (given.length > 0)
        ctx.addIssue({
          code: "custom",
          path: ["idp_metadata"],
          message: `Give idp_metadata or the three IdP fields, not both (also given: ${given.join(", ")})`,
        });
      return;
    }
    if (given.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["idp_metadata"],
        message: "Required: the IdP's metadata XML, or idp_entity_id, idp_sso_url and idp_certificates",
      });
    else
      for (const f of SAML_FIELDS)
        if (settings[f] === undefined)
          ctx.addIssue({ code: "custom", path: [f], message: "Required with the other IdP fields" });
  })
  .openapi("SamlIdpSettings", {
    description:
      "The IdP: either `idp_metadata` (its metadata XML) or all of `idp_entity_id`, `idp_sso_url` and " +
      "`idp_certificates`, never both.",
  });

export const SamlConnectionInput = z
  .strictObject({
    protocol: z.literal("saml"),
    saml: SamlIdpSettings,
    ...common,
  })
  .openapi("SamlConnectionInput", {
    description:
      "A SAML 2.0 IdP, verified by the region's SAML bridge, which the Worker then signs in through as one more " +
      "OpenID issuer. The assertion must be signed; the NameID (ask for a persistent one) keys the person. " +
      "Attributes `email`/`mail`, `displayName`/`name` and `groups` (Entra's claim URIs too) become the claims.",
  });

export const SsoConnectionInput = z
  .discriminatedUnion("protocol", [OidcConnectionInput, SamlConnectionInput])
  .openapi("SsoConnectionInput");

export const SsoConnectionPatch = z
  .strictObject({
    name: fields.name.optional(),
    client_id: fields.client_id.optional(),
    client_secret: fields.client_secret.nullable().optional(),
    saml: SamlIdpSettings.optional().openapi({
      description:
        "SAML connections only: the IdP again (a certificate rollover), as its metadata or all three fields.",
    }),
    scopes: fields.scopes.optional(),
    domains: fields.domains.optional(),
    claims: fields.claims.optional(),
    group_roles: fields.group_roles.optional(),
    default_role: fields.default_role.optional(),
    jit: fields.jit.optional(),
    enabled: fields.enabled.optional(),
  })
  .openapi("SsoConnectionPatch", {
    description:
      "Only the fields given change. The issuer cannot change (it keys the identities): make a new connection. " +
      "`client_id`, `client_secret` and `scopes` are for OIDC connections, `saml` for SAML ones.",
  });

export const SsoConnection = z
  .object({
    id: z.uuid(),
    name: z.string(),
    protocol: z.enum(["oidc", "saml"]),
    issuer: z
      .string()
      .openapi({ description: "For a SAML connection: its issuer at the region's SAML bridge." }),
    client_id: z.string(),
    has_client_secret: z.boolean(),
    scopes: z.array(z.string()),
    domains: z.array(z.string()),
    claims: z.object({ email: z.string(), name: z.string(), groups: z.string() }),
    group_roles: z.array(z.object({ group: z.string(), role: z.string() })),
    default_role: z.string(),
    jit: z.boolean(),
    enabled: z.boolean(),
    redirect_uri: z.string().openapi({
      description: "OIDC: register this as the redirect URI at the IdP (SAML: the bridge's, nothing to do).",
    }),
    saml: z
      .object({
        idp_entity_id: z.string(),
        idp_sso_url: z.string(),
        sp_entity_id: z
          .string()
          .openapi({ description: "Give the IdP this entity id (the Audience it must assert)." }),
        acs_url: z
          .string()
          .openapi({ description: "The assertion consumer service URL (HTTP-POST) to give the IdP." }),
        metadata_url: z
          .string()
          .openapi({ description: "The SP metadata of this connection, for IdPs that import it." }),
      })
      .nullable(),
    scim: z.object({
      base_url: z
        .string()
        .openapi({ description: "The SCIM 2.0 base URL to give the IdP (Entra: add `?aadOptscim062020`)." }),
      has_token: z.boolean(),
      token_created_at: z.string().nullable(),
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("SsoConnection");

export const ScimToken = z
  .object({
    token: z
      .string()
      .openapi({ description: "The SCIM bearer token. Shown once; a new one replaces it at once." }),
    base_url: z.string(),
  })
  .openapi("ScimToken");

export const SsoDomainInput = z.strictObject({ domain: DomainName }).openapi("SsoDomainInput");

export const SsoDomain = z
  .object({
    id: z.uuid(),
    domain: z.string(),
    verified: z.boolean(),
    verified_at: z.string().nullable(),
    last_checked_at: z.string().nullable(),
    verification: z.object({
      record_type: z.literal("TXT"),
      record_name: z.string().openapi({ example: "_nexus-verification.acme.example" }),
      record_value: z.string().openapi({ example: "nexus-verification=3f9c…" }),
    }),
    created_at: z.string(),
  })
  .openapi("SsoDomain");
