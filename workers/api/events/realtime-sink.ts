import { tenantHub } from "../../../durable-objects/tenant-hub-client";
import type { RegionId } from "../../../regions/registry";
import type { PlatformEvent } from "../schemas/event";
import { type EventSink, groupByTenant } from "./sink";

/**
 * Delivers a tenant's events to its TenantHub, which hands them to the sockets subscribed to
 * their types (live, at least once: a socket may see an event twice after a retried batch; the
 * event_id tells). The hub is the tenant's, in the tenant's home region: a socket of another
 * tenant never sees them. A tenant with no open socket costs one call to an idle hub.
 */
export class RealtimeSink implements EventSink {
  readonly name = "realtime";

  constructor(
    private readonly namespace: Env["TENANT_HUB"],
    private readonly placement: { region: RegionId; localRuntime: boolean },
  ) {}

  async deliver(events: readonly PlatformEvent[]): Promise<void> {
    if (!this.namespace || events.length === 0) return;
    await Promise.all(
      [...groupByTenant(events)].map(([tenantId, batch]) =>
        tenantHub(this.namespace as NonNullable<Env["TENANT_HUB"]>, this.placement, tenantId).publishEvents(
          tenantId,
          this.placement.region,
          batch,
        ),
      ),
    );
  }
}
