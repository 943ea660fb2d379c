import { z } from "@hono/zod-openapi";
import { PRESETS } from "../../../db/presets";
import { REGION_IDS } from "../../../regions/registry";
import { checkPasswordPolicy, MIN_PASSWORD_CHARS } from "../auth/credentials/password-policy";
import { redirectUriProblem } from "../oauth/redirect-registration";

const countryNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
/** Codes CLDR names that are not countries (ISO 3166-1 keeps them reserved or unassigned). */
const NOT_COUNTRIES = new Set(["EU", "EZ", "UN", "ZZ", "QO"]);

/**
 * The code CLDR replaces `code` by (UK → GB, and retired ISO 3166-1 codes such as ZR → CD, YU → RS),
 * or `code` itself: CLDR names these aliases too, so a name alone does not make a code current.
 */
function canonicalRegion(code: string): string {
  return new Intl.Locale(`und-${code}`).region ?? code;
}

/** An assigned ISO 3166-1 alpha-2 code, by the runtime's own CLDR data (no list to keep current). */
export function isCountryCode(code: string): boolean {
  return (
    /^[A-Z]{2}$/.test(code) &&
    !NOT_COUNTRIES.has(code) &&
    countryNames.of(code) !== undefined &&
    canonicalRegion(code) === code
  );
}

/**
 * The EU's own country codes that CLDR does not alias (EL for Greece; UK, the other one, CLDR
 * does). Like CLDR's, answered with the code to send, never mapped silently.
 */
const EU_COUNTRY_CODES: Readonly<Record<string, string>> = { EL: "GR" };

/** Why `code` (upper case) is not an ISO 3166-1 alpha-2 code, or undefined when it is one. */
export function countryCodeProblem(code: string): string | undefined {
  if (isCountryCode(code)) return undefined;
  const meant = /^[A-Z]{2}$/.test(code) ? (EU_COUNTRY_CODES[code] ?? canonicalRegion(code)) : code;
  if (meant !== code && isCountryCode(meant)) {
    return `${code} is not an ISO 3166-1 alpha-2 code: did you mean ${meant}?`;
  }
  return "Country must be an ISO 3166-1 alpha-2 code, e.g. NG or DE";
}

const PRESET_IDS = PRESETS.map((p) => p.id) as [string, ...string[]];

/** What a business's URL-safe name is made of: lower-case ASCII words joined by hyphens. */
export const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** `Müller & Söhne GmbH` → `muller-sohne-gmbh`: the default slug of a business. */
export function slugOf(name: string): string {
  return name
    .normalize("NFKD")
    .replaceAll(/\p{M}/gu, "")
    .toLowerCase()
    .replaceAll(/[^a-z0-9]+/g, "-")
    .replaceAll(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
}

export const ActivationInput = z
  .strictObject({
    business_name: z.string().trim().min(2).max(200).openapi({ example: "Ade's Pharmacy Ltd" }),
    country: z
      .string()
      .trim()
      .transform((c) => c.toUpperCase())
      .superRefine((code, ctx) => {
        const problem = countryCodeProblem(code);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .openapi({
        description:
          "ISO 3166-1 alpha-2. Decides the home region: West African countries → lagos, EEA/UK/CH → eu, " +
          "any other country → eu (the stricter regime).",
        example: "NG",
      }),
    preset: z
      .enum(PRESET_IDS, { error: `Preset must be one of ${PRESET_IDS.join(", ")}` })
      .openapi({ description: "An id from GET /api/v1/nexus/presets.", example: "retail" }),
    owner: z.strictObject({
      name: z.string().trim().min(1).max(200),
      email: z.email("Invalid email format").max(254),
      password: z
        .string()
        .superRefine((password, ctx) => {
          const problem = checkPasswordPolicy(password);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        })
        .openapi({
          description:
            `At least ${MIN_PASSWORD_CHARS} characters, and not a common or breached password (nor a simple ` +
            "variation of one, checked offline); hashed before it is stored.",
        }),
    }),
    options: z
      .strictObject({
        slug: z
          .string()
          .min(2)
          .max(60)
          .regex(SLUG, "A slug is lower-case letters, digits and single hyphens")
          .optional()
          .openapi({ description: "The tenant's URL name; default: derived from business_name." }),
        currency: z
          .string()
          .regex(/^[A-Z]{3}$/, "An ISO 4217 currency code")
          .optional()
          .openapi({ description: "Default currency; default: the preset's for the home region." }),
        redirect_uris: z
          .array(z.string().max(2000))
          .max(10)
          .optional()
          .openapi({
            description:
              "Redirect URIs of the tenant's own OAuth client (public, PKCE). https, or loopback for native " +
              "apps; default: http://127.0.0.1/callback (any port, RFC 8252).",
          }),
      })
      .default({}),
  })
  .superRefine((input, ctx) => {
    if (!input.options.slug && slugOf(input.business_name).length < 2) {
      ctx.addIssue({
        code: "custom",
        path: ["options", "slug"],
        message: "The business name has too few letters or digits for a slug; give options.slug",
      });
    }
    for (const [i, uri] of (input.options.redirect_uris ?? []).entries()) {
      const problem = redirectUriProblem(uri, true);
      if (problem) ctx.addIssue({ code: "custom", path: ["options", "redirect_uris", i], message: problem });
    }
  })
  .openapi("ActivationInput");

export type ActivationInput = z.infer<typeof ActivationInput>;

export const ActivationIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "act_ng_3f1c2b7e8a4d4c1e9f2a5b6c7d8e9f01" }),
});

export const ACTIVATION_STEP_STATES = ["pending", "running", "done", "failed"] as const;

const ActivationStep = z
  .object({
    name: z.string().openapi({ example: "tenant" }),
    description: z.string(),
    state: z.enum(ACTIVATION_STEP_STATES),
    attempts: z.number().int(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable().openapi({ description: "Of the attempt that succeeded." }),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .openapi({ description: "The last attempt's failure (kept after a retry succeeded)." }),
  })
  .openapi("ActivationStep");

export const ActivationStatus = z
  .object({
    id: z.string(),
    state: z.enum(["running", "completed", "failed"]),
    percent: z.number().int().min(0).max(100),
    region: z.enum(REGION_IDS as ["eu", "lagos"]),
    tenant_id: z.uuid(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    steps: z.array(ActivationStep),
    errors: z.array(z.object({ step: z.string(), code: z.string(), message: z.string() })),
    sign_in: z
      .object({ issuer: z.string(), authorization_endpoint: z.string(), client_id: z.string() })
      .nullable()
      .openapi({
        description: "Once completed: where the owner signs in, and the tenant's own OAuth client.",
      }),
  })
  .openapi("ActivationStatus");

export type ActivationStatus = z.infer<typeof ActivationStatus>;

export const ActivationAccepted = z
  .object({
    id: z.string(),
    state: z.enum(["running", "completed", "failed"]),
    region: z.enum(REGION_IDS as ["eu", "lagos"]),
    tenant_id: z.uuid(),
    status_url: z.string(),
  })
  .openapi("ActivationAccepted");
