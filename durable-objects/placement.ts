import { REGIONS, type RegionId } from "../regions/registry";

export interface PlacementOptions {
  /**
   * workerd (wrangler dev, tests) does not implement jurisdictions and throws on them; local
   * runs skip the jurisdiction. Deployed environments always apply it.
   */
  localRuntime: boolean;
}

/**
 * Gets a Durable Object stub placed as the region requires (regions/registry.ts): EU objects are
 * created in the EU jurisdiction, so they can never run or store outside it; Lagos objects get
 * the `afr` location hint, which is best effort, which is why they never hold personal data.
 *
 * Every caller goes through here; a raw `idFromName` on a namespace would skip the jurisdiction.
 */
export function placedStub<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  region: RegionId,
  name: string,
  options: PlacementOptions,
): DurableObjectStub<T> {
  const placement = REGIONS[region].durableObjects;
  if ("jurisdiction" in placement) {
    const scoped = options.localRuntime ? namespace : namespace.jurisdiction(placement.jurisdiction);
    return scoped.get(scoped.idFromName(name));
  }
  return namespace.get(namespace.idFromName(name), { locationHint: placement.locationHint });
}
