import { REGIONS, type RegionId } from "../../../regions/registry";
import { uuidFromHex, uuidHex } from "../lib/uuid-hex";

/**
 * A payment connection's public id names its home region as every credential does
 * (`pcn_eu_…`, `pcn_ng_…`): it is in the webhook URL given to the provider, so a webhook that
 * reaches the other region is forwarded without a lookup, and the Lagos tenant's connection is
 * only ever read from the Lagos database. The rest is the row's UUID without hyphens.
 */
export function formatConnectionId(region: RegionId, uuid: string): string {
  return `pcn_${REGIONS[region].keyCode}_${uuidHex(uuid)}`;
}

const ID = /^pcn_([a-z]{2})_([0-9a-f]{32})$/;

export function parseConnectionId(id: string): { region: RegionId; uuid: string } | null {
  const match = ID.exec(id);
  if (!match) return null;
  const region = Object.values(REGIONS).find((r) => r.keyCode === match[1])?.id;
  if (!region) return null;
  return { region, uuid: uuidFromHex(match[2] as string) };
}
