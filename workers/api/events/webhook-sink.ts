import type { Database } from "../../../db/client";
import { pokeDispatchers } from "../../../durable-objects/webhook-dispatcher-client";
import type { RegionId } from "../../../regions/registry";
import type { PlatformEvent } from "../schemas/event";
import { createDeliveries } from "../webhooks/delivery-store";
import { type EventSink, groupByTenant } from "./sink";

/**
 * Turns published events into webhook deliveries: one row per matching enabled endpoint and event
 * (created once, however often the at-least-once publisher hands the event over), then a poke to
 * each endpoint's WebhookDispatcher. Only the insert can fail the batch, since until the rows
 * exist nothing else would deliver the events; a lost poke is the scheduled sweep's to repeat.
 */
export class WebhookSink implements EventSink {
  readonly name = "webhooks";

  constructor(
    private readonly db: Database,
    private readonly namespace: Env["WEBHOOK_DISPATCHER"],
    private readonly placement: { region: RegionId; localRuntime: boolean },
  ) {}

  async deliver(events: readonly PlatformEvent[]): Promise<void> {
    for (const [tenantId, batch] of groupByTenant(events)) {
      const deliveries = await createDeliveries(this.db, tenantId, batch);
      await pokeDispatchers(this.namespace, this.placement, tenantId, deliveries);
    }
  }
}
