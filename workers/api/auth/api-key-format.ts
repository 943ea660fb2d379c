import { REGIONS, type RegionId } from "../../../regions/registry";
import { tenantOfTaggedSecret, tenantTaggedSecret } from "../oauth/opaque-token";

/**
 * `nxk_{region code}_{64 base64url characters}`: the region code (`eu`, `ng` for Lagos) says
 * where the key lives, so a key presented at the wrong region is forwarded without any lookup;
 * the body is the tenant id (16 bytes, so row-level security can be set before the lookup) and
 * 32 random bytes. Only the SHA-256 of the whole string is stored.
 */
export const API_KEY_PREFIX = "nxk_";
const SHAPE = /^nxk_([a-z]{2})_([A-Za-z0-9_-]{64})$/;

const REGION_BY_CODE = new Map(Object.values(REGIONS).map((r) => [r.keyCode, r.id] as const));

export interface ParsedApiKey {
  region: RegionId;
  tenantId: string;
}

export function mintApiKey(region: RegionId, tenantId: string): string {
  return `${API_KEY_PREFIX}${REGIONS[region].keyCode}_${tenantTaggedSecret(tenantId)}`;
}

/** Region and tenant of a well-formed key, or null: decided from the string alone, no I/O. */
export function parseApiKey(key: string): ParsedApiKey | null {
  const match = SHAPE.exec(key);
  const region = match?.[1] ? REGION_BY_CODE.get(match[1]) : undefined;
  const tenantId = match?.[2] ? tenantOfTaggedSecret(match[2]) : null;
  return region && tenantId ? { region, tenantId } : null;
}

export const looksLikeApiKey = (credential: string) => credential.startsWith(API_KEY_PREFIX);

/** What lists show instead of the key: its region and last four characters. */
export function apiKeyHint(key: string): string {
  return `${key.slice(0, 7)}…${key.slice(-4)}`;
}
