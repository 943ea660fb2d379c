import type { RegionId } from "../regions/registry";
import { type PlacementOptions, placedStub } from "./placement";
import type { RealtimeShard } from "./realtime-shard";
import type { TenantHub } from "./tenant-hub";

export type { ConnectionGrant, TicketGrant } from "./tenant-hub";

/** The name of a tenant's TenantHub (the shards use it too). */
export const hubName = (tenantId: string) => `hub:${tenantId}`;

/** A tenant's TenantHub, placed in its home region. */
export function tenantHub(
  namespace: DurableObjectNamespace<TenantHub>,
  placement: { region: RegionId } & PlacementOptions,
  tenantId: string,
): DurableObjectStub<TenantHub> {
  return placedStub(namespace, placement.region, hubName(tenantId), placement);
}

/** One of a tenant's RealtimeShard objects (numbered from 0 by the hub as they fill up). */
export function realtimeShard(
  namespace: DurableObjectNamespace<RealtimeShard>,
  placement: { region: RegionId } & PlacementOptions,
  tenantId: string,
  shard: number,
): DurableObjectStub<RealtimeShard> {
  return placedStub(namespace, placement.region, `realtime:${tenantId}:${shard}`, placement);
}
