import { REGIONS, type RegionId } from "../../../regions/registry";
import { uuidFromHex, uuidHex } from "../lib/uuid-hex";

/**
 * An activation's public id names its home region as every credential does (`act_ng_…`,
 * `act_eu_…`), so a status request reaching the other region is forwarded without a lookup.
 * The rest is the activations row's UUID without hyphens: 122 random bits, which is what lets
 * the status be read without a credential (the owner has none yet).
 */
export function formatActivationId(region: RegionId, uuid: string): string {
  return `act_${REGIONS[region].keyCode}_${uuidHex(uuid)}`;
}

const ID = /^act_([a-z]{2})_([0-9a-f]{32})$/;

export function parseActivationId(id: string): { region: RegionId; uuid: string } | null {
  const match = ID.exec(id);
  if (!match) return null;
  const region = Object.values(REGIONS).find((r) => r.keyCode === match[1])?.id;
  const hex = match[2] as string;
  if (!region) return null;
  const uuid = uuidFromHex(hex);
  return { region, uuid };
}
