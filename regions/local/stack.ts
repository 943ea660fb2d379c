import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrateDatabase } from "../../db/tools/migrate";
import { seedDemo } from "../../db/tools/seed";
import { startPaymentProviders } from "../payment-providers/server";
import { REGION_IDS, type RegionId } from "../registry";
import { type SqlGateway, startSqlGateway } from "../sql-gateway/server";
import { startUpstashRest, type UpstashRestServer } from "../upstash-rest/server";
import { describeDemoFinance, setUpDemoFinance } from "./demo-finance";
import { jwksBinding, loadOrCreateDevKeys } from "./dev-keys";
import { loadOrCreateDevSecrets } from "./dev-secrets";
import { devKeysFile, devSecretsFile } from "./paths";
import { pgliteDatabase, postgresDatabase, type RegionDatabase } from "./region-database";
import { type StackInfo, writeStackInfo } from "./stack-info";
import { startWebhookInbox } from "./webhook-inbox";
import { startWranglerDev, type WorkerProcess } from "./wrangler-dev";

export interface StackOptions {
  dataDir: string;
  /** A Postgres server (with a superuser) to use instead of embedded PGlite. */
  postgresUrl?: string | undefined;
  /** Database name prefix on that server: `<prefix>eu`, `<prefix>lagos`. */
  databasePrefix: string;
  /** Added to every default port, to run a second stack (tests) beside a developer's. */
  portOffset: number;
  redisUrl: string;
  log: (line: string) => void;
  workerLog: (region: RegionId, line: string) => void;
}

export interface LocalStack {
  info: StackInfo;
  demoTokenHint: string;
  close(): Promise<void>;
}

export const DEFAULT_PORTS = {
  worker: { eu: 8787, lagos: 8788 },
  gateway: { eu: 4401, lagos: 4402 },
  upstash: 8079,
  paymentProviders: 8091,
  webhookInbox: 8092,
} as const;

/**
 * The two-region stack of DESIGN.md "Local development": per region a database, the SQL gateway
 * in front of it, migrations and a demo tenant; an Upstash-compatible endpoint when Redis is
 * reachable; both Workers. Everything started is stopped by close(), also after a failed start.
 */
export async function startLocalStack(options: StackOptions): Promise<LocalStack> {
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  };
  const step = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    options.log(`… ${label}`);
    const result = await run();
    options.log(`✓ ${label} (${Date.now() - started} ms)`);
    return result;
  };

  try {
    mkdirSync(options.dataDir, { recursive: true });
    const keys = await loadOrCreateDevKeys(devKeysFile(options.dataDir));
    const secrets = loadOrCreateDevSecrets(devSecretsFile(options.dataDir));
    const port = (base: number) => base + options.portOffset;
    const regionUrls = {
      eu: `http://127.0.0.1:${port(DEFAULT_PORTS.worker.eu)}`,
      lagos: `http://127.0.0.1:${port(DEFAULT_PORTS.worker.lagos)}`,
    };

    const databases = {} as Record<RegionId, RegionDatabase>;
    const gateways = {} as Record<RegionId, SqlGateway>;
    for (const region of REGION_IDS) {
      databases[region] = options.postgresUrl
        ? await postgresDatabase(options.postgresUrl, `${options.databasePrefix}${region}`)
        : pgliteDatabase(options.dataDir, region);
      const database = databases[region];
      const gateway = await step(`${region}: SQL gateway on ${database.describe}`, () =>
        startSqlGateway({ port: port(DEFAULT_PORTS.gateway[region]), backend: database.backend }),
      );
      gateways[region] = gateway;
      cleanups.push(() => gateway.close());
      await step(`${region}: migrations and demo tenant`, async () => {
        const httpEndpoint = `${gateway.url}/sql`;
        await migrateDatabase({ url: database.ownerUrl, httpEndpoint });
        await seedDemo({ url: database.ownerUrl, httpEndpoint, region });
      });
    }

    const upstash = await step("Upstash-compatible endpoint over Redis", () => startUpstashIfRedis(options));
    if (upstash) cleanups.push(() => upstash.close());
    else
      options.log(
        `  Redis at ${options.redisUrl} is not reachable: running without Upstash (slower, still correct)`,
      );

    // Stripe, Paystack and Flutterwave stand-in (regions/payment-providers): both Workers call it.
    const payments = await step("Payment providers stand-in (Stripe, Paystack, Flutterwave)", () =>
      startPaymentProviders({ port: port(DEFAULT_PORTS.paymentProviders) }),
    );
    cleanups.push(() => payments.close());

    const workers = {} as Record<RegionId, WorkerProcess>;
    const jwks = jwksBinding(keys);
    await Promise.all(
      REGION_IDS.map(async (region, index) => {
        const worker = await step(`${region}: Worker on ${regionUrls[region]}`, () =>
          startWranglerDev({
            region,
            port: port(DEFAULT_PORTS.worker[region]),
            inspectorPort: port(9230 + index),
            persistDir: join(options.dataDir, `wrangler-${region}`),
            vars: {
              REGION_URLS: JSON.stringify(regionUrls),
              JWKS: jwks,
              // Local only: in a deployment this is a secret (wrangler secret put JWT_SIGNING_KEY).
              JWT_SIGNING_KEY: JSON.stringify(keys[region].privateJwk),
              DATA_ENCRYPTION_KEY: secrets[region].dataEncryptionKey,
              DATABASE_URL: databases[region].appUrl,
              DATABASE_HTTP_URL: `${gateways[region].url}/sql`,
              // PGlite is one session: the Worker must not open a second one beside a request's.
              DATABASE_SINGLE_SESSION: options.postgresUrl ? "false" : "true",
              // Locally the gateway is the region's backend service; its /health is the backend's.
              BACKEND_URL: gateways[region].url,
              UPSTASH_REDIS_REST_URL: upstash?.url ?? "",
              UPSTASH_REDIS_REST_TOKEN: upstash?.token ?? "",
              PAYMENT_PROVIDER_URLS: JSON.stringify(payments.providerUrls),
            },
            onLine: (line) => options.workerLog(region, line),
          }),
        );
        workers[region] = worker;
        cleanups.push(() => worker.stop());
      }),
    );

    // The demo tenants' payment connections at the stand-in and their webhook inbox
    // (regions/local/demo-finance.ts), through the API as a tenant would set them up.
    const inbox = await step("Webhook inbox for the demo tenants", () =>
      startWebhookInbox({ port: port(DEFAULT_PORTS.webhookInbox) }),
    );
    cleanups.push(() => inbox.close());
    const finance = await step("Demo payment connections and webhook endpoints", () =>
      setUpDemoFinance({
        regionUrls,
        paymentProvidersUrl: payments.url,
        inboxUrlFor: (region) => inbox.urlFor(region),
      }),
    );
    options.log(`Demo payment connections: ${describeDemoFinance(finance)}`);

    const info: StackInfo = {
      pid: process.pid,
      regionUrls,
      gatewayUrls: { eu: gateways.eu.url, lagos: gateways.lagos.url },
      upstashUrl: upstash?.url ?? null,
      paymentProvidersUrl: payments.url,
      webhookInboxUrl: inbox.url,
      database: options.postgresUrl ? "postgres" : "pglite",
    };
    writeStackInfo(options.dataDir, info);
    return { info, demoTokenHint: "npm run -s token -- --region eu --role Owner", close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function startUpstashIfRedis(options: StackOptions): Promise<UpstashRestServer | undefined> {
  const server = await startUpstashRest({
    redisUrl: options.redisUrl,
    port: DEFAULT_PORTS.upstash + options.portOffset,
    token: `dev-${crypto.randomUUID()}`,
  });
  const health = await fetch(`${server.url}/health`).catch(() => undefined);
  if (health?.ok) return server;
  await server.close();
  return undefined;
}
