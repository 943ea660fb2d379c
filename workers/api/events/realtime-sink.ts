import type { Database } from "../../../db/client";
import { tenantHub } from "../../../durable-objects/tenant-hub-client";
import type { RegionId } from "../../../regions/registry";
import type { PlatformEvent } from "../schemas/event";
import { revealSealed } from "../services/privacy/subject-keys";
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
    /**
     * Opens sealed fields (services/privacy/) for subscribers; without it (no
     * DATA_ENCRYPTION_KEY) events go out as stored.
     */
    private readonly keys?: { db: Database; rootKey: string | undefined },
  ) {}

  async deliver(events: readonly PlatformEvent[]): Promise<void> {
    if (!this.namespace || events.length === 0) return;
    await Promise.all(
      [...groupByTenant(events)].map(async ([tenantId, batch]) =>
        tenantHub(this.namespace as NonNullable<Env["TENANT_HUB"]>, this.placement, tenantId).publishEvents(
          tenantId,
          this.placement.region,
          await this.opened(tenantId, batch),
        ),
      ),
    );
  }

  private opened(tenantId: string, batch: PlatformEvent[]): Promise<PlatformEvent[]> {
    const rootKey = this.keys?.rootKey;
    if (!this.keys || !rootKey) return Promise.resolve(batch);
    return revealSealed({ db: this.keys.db, tenantId, rootKey }, batch);
  }
}
