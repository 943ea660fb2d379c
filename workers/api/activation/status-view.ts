import type { RunRecord } from "../../../durable-objects/activation-run-client";
import type { Config } from "../env";
import type { ActivationStatus } from "../schemas/activation";
import { formatActivationId } from "./activation-id";
import { STEPS, tenantClientId } from "./steps";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A run as GET …/activation/{id}/status shows it. */
export async function activationStatusView(config: Config, run: RunRecord): Promise<ActivationStatus> {
  const { spec } = run;
  const done = run.steps.filter((s) => s.state === "done").length;
  const issuer = config.regionUrls[spec.region];
  return {
    id: formatActivationId(spec.region, spec.activationId),
    state: run.state,
    // 100 only once the run says so: a finished last step is not yet a finished run.
    percent: run.state === "completed" ? 100 : Math.min(99, Math.floor((done / run.steps.length) * 100)),
    region: spec.region,
    tenant_id: spec.tenantId,
    started_at: iso(run.startedAt) as string,
    finished_at: iso(run.finishedAt),
    duration_ms: run.finishedAt === null ? null : run.finishedAt - run.startedAt,
    steps: run.steps.map((s) => ({
      name: s.name,
      description: STEPS[s.name].description,
      state: s.state,
      attempts: s.attempts,
      started_at: iso(s.startedAt),
      finished_at: iso(s.finishedAt),
      duration_ms: s.durationMs,
      error: s.error,
    })),
    errors: run.steps.flatMap((s) => (s.error ? [{ step: s.name, ...s.error }] : [])),
    sign_in:
      run.state === "completed"
        ? {
            issuer,
            authorization_endpoint: `${issuer}/oauth/authorize`,
            client_id: await tenantClientId(spec.region, spec.activationId),
          }
        : null,
  };
}
