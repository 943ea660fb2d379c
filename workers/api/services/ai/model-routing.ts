import type { RegionId } from "../../../../regions/registry";
import type { Config } from "../../env";
import { ApiError } from "../../lib/errors";
import type { ModelDeployment } from "./ai-config";

/**
 * The residency rule, in code rather than configuration so a misconfigured deployment list cannot
 * widen it: a region's prompts are processed only by deployments whose processing stays in that
 * region. EU: EU-processed (in-region or the EU data zone). Lagos: only in-region deployments in
 * the Lagos cluster; there is no African data zone a hyperscaler guarantees today, so a zone or
 * global deployment never qualifies. Nothing falls back to a global endpoint.
 */
export function deploymentAllowed(region: RegionId, deployment: ModelDeployment): boolean {
  if (deployment.processing_region !== region || deployment.storage === "global") return false;
  if (region === "lagos") return deployment.processing_scope === "in-region" && deployment.storage !== "zone";
  return deployment.processing_scope !== "global";
}

export interface ResolvedModel {
  alias: string;
  /** The model name the deployment knows. */
  model: string;
  deployment: string;
  baseUrl: string;
  /** What `x-inference-region` says and each message stores. */
  inferenceRegion: RegionId;
}

/** The aliases agents may name in this region (the documented list in GET /api/v1/ai/models). */
export function availableAliases(config: Config): string[] {
  const aliases = new Set<string>();
  for (const d of config.ai.deployments) {
    if (deploymentAllowed(config.region, d)) for (const alias of Object.keys(d.models)) aliases.add(alias);
  }
  return [...aliases].sort();
}

/**
 * The deployment an alias resolves to for a tenant of this region: the first allowed one that
 * serves it. None: 503 naming the region (a clear refusal; never another region's deployment).
 */
export function resolveModel(config: Config, alias: string): ResolvedModel {
  for (const d of config.ai.deployments) {
    const model = d.models[alias];
    if (model && deploymentAllowed(config.region, d)) {
      return {
        alias,
        model,
        deployment: d.name,
        baseUrl: d.base_url.replace(/\/+$/, ""),
        inferenceRegion: config.region,
      };
    }
  }
  throw ApiError.unavailable(
    `No model deployment allowed for the ${config.region} region serves "${alias}"; prompts of this region are never sent elsewhere`,
    60,
  );
}
