import { neon, neonConfig } from "@neondatabase/serverless";
import { readStackInfo, type StackInfo } from "../../regions/local/stack-info";
import { REGION_IDS, REGIONS, type RegionId } from "../../regions/registry";

/**
 * Where an operator command reaches a region: its owner database connection (Neon's SQL over
 * HTTP; in Lagos through the regional SQL gateway) and its public base URL. From flags, else
 * `DATABASE_OWNER_URL_<REGION>` / `DATABASE_HTTP_URL_<REGION>` / `NEXUS_URL_<REGION>`, else a
 * running `npm run dev` (its .data/stack.json), else (URLs only) the registry's deployed ones.
 */
export interface RegionAccess {
  region: RegionId;
  databaseUrl: string | undefined;
  httpEndpoint: string | undefined;
  baseUrl: string;
  /** The global directory (tenant entries the edge reads), when known. */
  upstash: { url: string; token: string; prefix: string } | undefined;
}

export interface AccessFlags {
  dataDir: string;
  urls: Partial<Record<RegionId, string>>;
  databaseUrls: Partial<Record<RegionId, string>>;
  httpEndpoints: Partial<Record<RegionId, string>>;
}

const envName = (region: RegionId) => region.toUpperCase();

export function regionAccess(region: RegionId, flags: AccessFlags): RegionAccess {
  const stack: StackInfo | undefined = readStackInfo(flags.dataDir);
  const env = process.env;
  const databaseUrl =
    flags.databaseUrls[region] ??
    env[`DATABASE_OWNER_URL_${envName(region)}`] ??
    (stack ? `postgres://postgres@localhost/${stack.databaseNames?.[region] ?? "postgres"}` : undefined);
  const httpEndpoint =
    flags.httpEndpoints[region] ??
    env[`DATABASE_HTTP_URL_${envName(region)}`] ??
    (stack && !flags.databaseUrls[region] ? `${stack.gatewayUrls[region]}/sql` : undefined);
  const baseUrl =
    flags.urls[region] ??
    env[`NEXUS_URL_${envName(region)}`] ??
    stack?.regionUrls[region] ??
    REGIONS[region].baseUrl;
  const upstashUrl = env.UPSTASH_REDIS_REST_URL ?? stack?.upstashUrl ?? undefined;
  const upstashToken = env.UPSTASH_REDIS_REST_TOKEN ?? stack?.upstashToken;
  return {
    region,
    databaseUrl,
    httpEndpoint,
    baseUrl,
    upstash:
      upstashUrl && upstashToken
        ? { url: upstashUrl, token: upstashToken, prefix: env.UPSTASH_KEY_PREFIX ?? "nexus:" }
        : undefined,
  };
}

export const allRegions = (flags: AccessFlags) => REGION_IDS.map((region) => regionAccess(region, flags));

/** Runs SQL on a region as its owner (row-level security does not hide other tenants from it). */
export function regionSql(access: RegionAccess) {
  if (!access.databaseUrl) {
    throw new Error(
      `no database for ${access.region}: pass --${access.region}-db postgres://… (an owner role) or set DATABASE_OWNER_URL_${envName(access.region)}`,
    );
  }
  const url = access.databaseUrl;
  return async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
    // The endpoint is process-wide in the driver; regions are queried one after the other.
    neonConfig.fetchEndpoint = access.httpEndpoint ?? ((host) => `https://${host}/sql`);
    return (await neon(url).query(text, params)) as T[];
  };
}
