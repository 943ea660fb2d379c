import { z } from "zod";
import type { tenantTiers } from "../../../../db/schema/tenants";
import { REGION_IDS, type RegionId } from "../../../../regions/registry";

/**
 * Where a deployment processes and stores prompts. `in-region`: inside the named region only
 * (the Lagos cluster's model gateway); `zone`: anywhere inside a data zone (Azure's EU Data Zone,
 * OpenAI's EU residency); `global`: anywhere (never allowed for a region here).
 */
export const PROCESSING_SCOPES = ["in-region", "zone", "global"] as const;

/**
 * One OpenAI-compatible deployment a region's Worker may call: the regional model gateway that
 * holds the provider's credentials (the Worker sends none), with what it processes where.
 */
export const modelDeploymentSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lower-case letters, digits and '-'"),
  /** The chat completions base URL (…/v1): `${base_url}/chat/completions` is called. */
  base_url: z.url(),
  /** The data-residency region its processing and storage stay in. */
  processing_region: z.enum(REGION_IDS as [RegionId, ...RegionId[]]).or(z.literal("global")),
  processing_scope: z.enum(PROCESSING_SCOPES),
  /** Where it stores prompts and logs (none for zero-retention gateways). */
  storage: z.enum(["none", "in-region", "zone", "global"]),
  /** Alias → the model name this deployment knows it by. */
  models: z.record(z.string().regex(/^[a-z0-9][a-z0-9.-]{0,62}$/), z.string().min(1).max(200)),
});
export type ModelDeployment = z.infer<typeof modelDeploymentSchema>;

export const modelDeploymentsSchema = z.array(modelDeploymentSchema).max(50);

/** Tokens (input + output) a tenant's agents may use per UTC day, by tier. */
export const DEFAULT_DAILY_TOKEN_BUDGETS = {
  starter: 200_000,
  professional: 2_000_000,
  enterprise: 20_000_000,
} as const;

export const aiBudgetsSchema = z
  .strictObject({
    starter: z.number().int().min(0).optional(),
    professional: z.number().int().min(0).optional(),
    enterprise: z.number().int().min(0).optional(),
  })
  .transform((b) => ({ ...DEFAULT_DAILY_TOKEN_BUDGETS, ...b }));
export type AiBudgets = Record<(typeof tenantTiers)[number], number>;
