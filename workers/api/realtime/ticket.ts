import { REGIONS, type RegionId } from "../../../regions/registry";
import { uuidFromHex, uuidHex } from "../lib/uuid-hex";

/**
 * A realtime ticket names its region and tenant (`rtk_ng_<tenant hex>_<secret>`), so the edge
 * that receives the upgrade knows where to send it without a lookup; only the secret is checked,
 * by the tenant's TenantHub, which holds its hash for 30 s and deletes it on first use.
 */
export function formatTicket(region: RegionId, tenantId: string, secret: string): string {
  return `rtk_${REGIONS[region].keyCode}_${uuidHex(tenantId)}_${secret}`;
}

const TICKET = /^rtk_([a-z]{2})_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export function parseTicket(ticket: string): { region: RegionId; tenantId: string; secret: string } | null {
  const match = TICKET.exec(ticket);
  if (!match) return null;
  const region = Object.values(REGIONS).find((r) => r.keyCode === match[1])?.id;
  if (!region) return null;
  const hex = match[2] as string;
  return {
    region,
    tenantId: uuidFromHex(hex),
    secret: match[3] as string,
  };
}
