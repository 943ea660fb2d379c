/** The deployed regions and how a credential names its home region. */
export const REGION_URLS = {
  eu: "https://eu.nexus.bac.cloud",
  lagos: "https://lagos.nexus.bac.cloud",
} as const;

export type RegionId = keyof typeof REGION_URLS;
export const REGION_IDS = Object.keys(REGION_URLS) as RegionId[];

/** API keys carry the region's key code (`nxk_eu_…`, `nxk_ng_…`), not its id. */
const KEY_CODES: Record<string, RegionId> = { eu: "eu", ng: "lagos" };

export function isRegionId(value: string): value is RegionId {
  return value in REGION_URLS;
}

function base64UrlJson(part: string): unknown {
  try {
    return JSON.parse(
      new TextDecoder().decode(
        Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
      ),
    );
  } catch {
    return undefined;
  }
}

/**
 * The home region a credential names: an API key's prefix, or an access token's `region` claim
 * (read without verifying: only to pick a URL; the server verifies).
 */
export function regionOfCredential(credential: string): RegionId | undefined {
  const key = /^nxk_([a-z]{2})_/.exec(credential);
  if (key) return KEY_CODES[key[1] as string];
  const payload = credential.split(".")[1];
  if (!payload) return undefined;
  const claims = base64UrlJson(payload) as { region?: unknown } | undefined;
  return typeof claims?.region === "string" && isRegionId(claims.region) ? claims.region : undefined;
}

export interface BaseUrlOptions {
  /** An explicit base URL wins over everything else. */
  baseUrl?: string;
  region?: RegionId;
  /** Where each region is, when not the deployed ones (a local stack: `{eu: "http://127.0.0.1:8787", …}`). */
  regionUrls?: Partial<Record<RegionId, string>>;
  /** A credential whose home region picks the URL when no region is given. */
  credential?: string;
}

/**
 * The base URL to call: the tenant's home region, so requests are served there without the
 * forwarding hop a wrong region adds (it would still answer, one hop later).
 */
export function resolveBaseUrl(options: BaseUrlOptions): { baseUrl: string; region: RegionId | undefined } {
  const urls = { ...REGION_URLS, ...options.regionUrls };
  if (options.baseUrl) {
    const base = options.baseUrl.replace(/\/+$/, "");
    const region = options.region ?? REGION_IDS.find((id) => urls[id]?.replace(/\/+$/, "") === base);
    return { baseUrl: base, region };
  }
  const region =
    options.region ?? (options.credential ? regionOfCredential(options.credential) : undefined) ?? "eu";
  return { baseUrl: (urls[region] ?? REGION_URLS[region]).replace(/\/+$/, ""), region };
}
