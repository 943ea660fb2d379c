import type { RegionId } from "../regions/registry";
import { logError } from "../workers/api/lib/log-error";
import type { DeliveriesByEndpoint } from "../workers/api/webhooks/delivery-store";
import { type PlacementOptions, placedStub } from "./placement";
import type { WebhookDispatcher } from "./webhook-dispatcher";

export type { DispatcherSnapshot } from "./webhook-dispatcher";

type Placement = { region: RegionId } & PlacementOptions;

/** An endpoint's WebhookDispatcher, placed in the tenant's home region. */
export function webhookDispatcher(
  namespace: DurableObjectNamespace<WebhookDispatcher>,
  placement: Placement,
  endpointId: string,
): DurableObjectStub<WebhookDispatcher> {
  return placedStub(namespace, placement.region, `webhooks:${endpointId}`, placement);
}

/**
 * Hands each endpoint's dispatcher its deliveries. A failed poke is logged, not thrown: the rows
 * are in Postgres, and the scheduled sweep pokes due, unclaimed ones again. Answers how many
 * pokes failed.
 */
export async function pokeDispatchers(
  namespace: DurableObjectNamespace<WebhookDispatcher> | undefined,
  placement: Placement,
  tenantId: string,
  deliveries: DeliveriesByEndpoint,
): Promise<number> {
  if (!namespace || deliveries.size === 0) return 0;
  const outcomes = await Promise.allSettled(
    [...deliveries].map(([endpointId, deliveryIds]) =>
      webhookDispatcher(namespace, placement, endpointId).enqueue({ tenantId, endpointId, deliveryIds }),
    ),
  );
  const failed = outcomes.filter((o) => o.status === "rejected");
  for (const f of failed)
    logError("webhook dispatcher poke failed", undefined, f.reason, { tenant_id: tenantId });
  return failed.length;
}
