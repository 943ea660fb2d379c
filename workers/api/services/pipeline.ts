import { ApiError } from "../lib/errors";
import type { CrmSettings, Stage } from "./crm-settings";

/**
 * The stage an opportunity goes to: the one asked for, which must be in the tenant's pipeline, or
 * the pipeline's first open stage. A tenant without an industry has no pipeline, so no
 * opportunities until it has one.
 */
export function resolveStage(settings: CrmSettings, requested: string | undefined, field: string): Stage {
  if (settings.stages.length === 0) {
    throw new ApiError("CONFLICT", "The tenant has no pipeline: it was set up without an industry preset");
  }
  if (requested === undefined) {
    const first = settings.stages.find((s) => s.terminal === null);
    if (first) return first;
    throw new Error("a pipeline without an open stage");
  }
  const stage = settings.stages.find((s) => s.key === requested);
  if (stage) return stage;
  throw new ApiError(
    "VALIDATION_ERROR",
    `Unknown stage ${requested}; the pipeline has ${settings.stages.map((s) => s.key).join(", ")}`,
    { field },
  );
}
