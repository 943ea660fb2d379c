import { join } from "node:path";
import { workerLogFile } from "../../../regions/local/paths";
import type { StackInfo } from "../../../regions/local/stack-info";
import type { RegionId } from "../../../regions/registry";
import { regionAccess, regionSql } from "../ops-regions";
import {
  type ScanResult,
  scanFiles,
  scanJetStream,
  scanPostgres,
  scanRecordedRequests,
  scanUpstash,
} from "./store-scans";

/**
 * Every store of one region of a running local stack, and the stores that belong to no region,
 * each as a scan for a marker (store-scans.ts). The residency canary scans the other region's
 * set; an erasure's check (test/e2e/privacy-erasure-scan.test.ts) scans the home region's set
 * after the erasure. One list, so a store added here is scanned by both.
 */

export interface ScanTarget {
  stack: StackInfo;
  dataDir: string;
  natsUrl: string;
}

export type RegionStore =
  | "postgres"
  | "databaseFiles"
  | "durableObjects"
  | "logs"
  | "jetStream"
  | "models"
  | "embeddings";

/** Whether the stack's outbox relays stream into JetStream (only on a real Postgres). */
export const relayRunning = (stack: StackInfo) => stack.events?.startsWith("NATS JetStream") ?? false;

/** Scans until the marker shows up or the time runs out: the relay and the embedder are asynchronous. */
export async function eventually(scan: () => Promise<ScanResult>, timeoutMs: number): Promise<ScanResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await scan();
    if (result.hits.length > 0 || Date.now() > deadline) return result;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The model stand-in's deployment for each region (regions/model-standin/deployments.ts). */
const MODEL_DEPLOYMENT: Record<RegionId, string> = { eu: "eu-data-zone", lagos: "lagos-gateway" };

/** The region's stores, each scanned when called; `since` bounds the JetStream read. */
export function regionScans(
  target: ScanTarget,
  region: RegionId,
  since: Date,
  marker: string,
): Record<RegionStore, () => Promise<ScanResult>> {
  const { stack, dataDir } = target;
  const sql = regionSql(regionAccess(region, { dataDir, urls: {}, databaseUrls: {}, httpEndpoints: {} }));
  return {
    postgres: () => scanPostgres(sql, region, marker),
    databaseFiles: async () =>
      stack.database === "pglite"
        ? scanFiles(`${region} Postgres files on disk (PGlite)`, join(dataDir, `pglite-${region}`), marker)
        : { store: `${region} Postgres files on disk`, hits: [], scanned: "not local (a Postgres server)" },
    durableObjects: async () =>
      scanFiles(
        `${region} Durable Object storage (wrangler state)`,
        join(dataDir, `wrangler-${region}`),
        marker,
      ),
    logs: async () => scanFiles(`${region} Worker logs at rest`, workerLogFile(dataDir, region), marker),
    jetStream: () => scanJetStream(target.natsUrl, region, since, marker),
    models: () =>
      scanRecordedRequests(
        `${region} model gateway (prompts it received)`,
        stack.modelStandInUrl &&
          `${stack.modelStandInUrl}/__standin/requests?deployment=${MODEL_DEPLOYMENT[region]}`,
        marker,
      ),
    embeddings: () =>
      scanRecordedRequests(
        `${region} embedding server (texts it received)`,
        stack.embeddingsUrl && `${stack.embeddingsUrl}/_control/requests?site=${region}`,
        marker,
      ),
  };
}

export type GlobalStore = "upstash" | "globalModels";

/** Stores that belong to no region: nobody's personal data may be there. */
export function globalScans(
  target: ScanTarget,
  marker: string,
): Record<GlobalStore, () => Promise<ScanResult>> {
  const { stack } = target;
  return {
    upstash: () =>
      scanUpstash(
        stack.upstashUrl && stack.upstashToken
          ? { url: stack.upstashUrl, token: stack.upstashToken }
          : undefined,
        marker,
      ),
    globalModels: () =>
      scanRecordedRequests(
        "global model endpoint (no region's residency allows it)",
        stack.modelStandInUrl && `${stack.modelStandInUrl}/__standin/requests?deployment=global-endpoint`,
        marker,
      ),
  };
}

/** Every store a region's tenant can reach: the region's own set and the global one, all scanned. */
export async function scanRegionStores(
  target: ScanTarget,
  region: RegionId,
  since: Date,
  marker: string,
): Promise<Record<RegionStore | GlobalStore, ScanResult>> {
  const scans = { ...regionScans(target, region, since, marker), ...globalScans(target, marker) };
  const results = {} as Record<RegionStore | GlobalStore, ScanResult>;
  for (const [name, scan] of Object.entries(scans)) results[name as RegionStore | GlobalStore] = await scan();
  return results;
}
