import { REGIONS, type RegionId } from "../regions/registry";
import { tracedStub } from "../workers/api/observability/traced-stub";

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
    return tracedStub(scoped.get(scoped.idFromName(name)), className(name));
  }
  return tracedStub(
    namespace.get(namespace.idFromName(name), { locationHint: placement.locationHint }),
    className(name),
  );
}

/** Each class's object names start so (the clients beside this file); the rest are rate-limit subjects. */
const CLASS_BY_PREFIX: Record<string, string> = {
  activation: "ActivationRun",
  webhooks: "WebhookDispatcher",
  hub: "TenantHub",
  realtime: "RealtimeShard",
};

/** The object's class for a span name (names carry ids, so the name itself is never a span's). */
function className(name: string): string {
  return CLASS_BY_PREFIX[name.slice(0, name.indexOf(":"))] ?? "RateLimiter";
}
