import type { PlatformEvent } from "../schemas/event";

/**
 * Where published events go. The publisher hands every sink the same batch of one tenant's
 * events, oldest first, and marks them published only after every sink resolved; a sink that
 * throws leaves the whole batch for the next run. Delivery is therefore at least once: a sink may
 * see an event again (after another sink failed, or a publisher died before marking it), and
 * must de-duplicate on `event_id` where that matters.
 *
 * Sinks that plug in here: the tenant's TenantHub Durable Object (fans events out to the
 * tenant's WebSocket subscribers) and its WebhookDispatcher Durable Object (signs and delivers
 * them to registered endpoints, with its own retries).
 */
export interface EventSink {
  /** Names the sink in logs when it fails. */
  readonly name: string;
  deliver(events: readonly PlatformEvent[]): Promise<void>;
}

/** A batch split by tenant, order kept (a sink may be handed several tenants' events). */
export function groupByTenant(events: readonly PlatformEvent[]): Map<string, PlatformEvent[]> {
  const byTenant = new Map<string, PlatformEvent[]>();
  for (const e of events) byTenant.set(e.tenant_id, [...(byTenant.get(e.tenant_id) ?? []), e]);
  return byTenant;
}
