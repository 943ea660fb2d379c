import type { RegionId } from "../regions/registry";
import type { ActivationRun, RunRecord, RunSpec } from "./activation-run";
import { type PlacementOptions, placedStub } from "./placement";

export type { RunRecord, RunSpec };

type Placement = { region: RegionId } & PlacementOptions;

/** One object per activation, named by the activations row's id, placed in its home region. */
const runOf = (
  namespace: DurableObjectNamespace<ActivationRun>,
  placement: Placement,
  activationId: string,
) => placedStub(namespace, placement.region, `activation:${activationId}`, placement);

export function startActivationRun(
  namespace: DurableObjectNamespace<ActivationRun>,
  placement: Placement,
  spec: RunSpec,
): Promise<RunRecord> {
  return runOf(namespace, placement, spec.activationId).start(spec);
}

export function activationRunStatus(
  namespace: DurableObjectNamespace<ActivationRun>,
  placement: Placement,
  activationId: string,
): Promise<RunRecord | null> {
  return runOf(namespace, placement, activationId).status();
}
