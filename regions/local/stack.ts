import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrateDatabase } from "../../db/tools/migrate";
import { seedDemo } from "../../db/tools/seed";
import { startDnsResolver } from "../dns-resolver/server";
import { startMailCatcher } from "../mail-catcher/server";
import { startMailRelay } from "../mail-relay/server";
import { standInDeployments } from "../model-standin/deployments";
import { startModelStandIn } from "../model-standin/server";
import { startOidcIdp } from "../oidc-idp/server";
import { startEmbeddingStandin } from "../openai-embeddings/server";
import { startTraceCollector } from "../otel-collector/server";
import { startPaymentProviders } from "../payment-providers/server";
import { REGION_IDS, type RegionId } from "../registry";
import { startSamlBridge } from "../saml-bridge/server";
import { memoryStore, postgresStore } from "../saml-bridge/store";
import { DEMO_SAML_DOMAIN } from "../saml-idp/demo-users";
import { startSamlIdp } from "../saml-idp/server";
import { startSmsProviders } from "../sms-providers/server";
import { type SqlGateway, startSqlGateway } from "../sql-gateway/server";
import { startUpstashRest, type UpstashRestServer } from "../upstash-rest/server";
import { describeCron, startCronTicker } from "./cron-ticker";
import { describeDemoFinance, setUpDemoFinance } from "./demo-finance";
import { DEMO_IDP_CLIENT, DEMO_SSO_DOMAIN, setUpDemoSso } from "./demo-sso";
import { jwksBinding, loadOrCreateDevKeys } from "./dev-keys";
import { loadOrCreateDevSecrets } from "./dev-secrets";
import { DEFAULT_NATS_URL, startLocalEvents } from "./events-relay";
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
  /** The NATS server (JetStream) the outbox relays publish to, when reachable. */
  natsUrl?: string | undefined;
  /** How often each region's scheduled handler is fired (regions/local/cron-ticker.ts); null: never. */
  cronEveryMs: number | null;
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
  modelStandIn: 8096,
  mailCatcherSmtp: 8025,
  mailCatcher: 8093,
  mailRelay: 8094,
  oidcIdp: 8097,
  dnsResolver: 8098,
  embeddings: 8095,
  traceCollector: 8099,
  samlIdp: 8100,
  samlBridge: 8101,
  smsProviders: 8102,
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

    // The trace collector stand-in (regions/otel-collector) first: the gateways and Workers export to it.
    const collector = await step("Trace collector and viewer (OTLP/HTTP JSON)", () =>
      startTraceCollector({ port: port(DEFAULT_PORTS.traceCollector) }),
    );
    cleanups.push(() => collector.close());

    const databases = {} as Record<RegionId, RegionDatabase>;
    const gateways = {} as Record<RegionId, SqlGateway>;
    for (const region of REGION_IDS) {
      databases[region] = options.postgresUrl
        ? await postgresDatabase(options.postgresUrl, `${options.databasePrefix}${region}`)
        : pgliteDatabase(options.dataDir, region);
      const database = databases[region];
      const gateway = await step(`${region}: SQL gateway on ${database.describe}`, () =>
        startSqlGateway({
          port: port(DEFAULT_PORTS.gateway[region]),
          backend: database.backend,
          traces: { endpoint: collector.tracesEndpoint, region },
        }),
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

    // The outbox relay per region into NATS JetStream (regions/outbox-relay), when NATS is up.
    const events = await step("Events: outbox relays to NATS JetStream", () =>
      startLocalEvents(options.natsUrl ?? DEFAULT_NATS_URL, databases, options.log),
    );
    for (const relay of events.relays) cleanups.push(() => relay.close());
    // The OpenAI-compatible model stand-in (regions/model-standin) as each region's model gateway.
    const models = await step("Model stand-in (EU data zone, Lagos gateway)", () =>
      startModelStandIn({ port: port(DEFAULT_PORTS.modelStandIn) }),
    );
    cleanups.push(() => models.close());
    // Mail: the regional relay (regions/mail-relay) speaking SMTP to the local catcher, whose
    // inbox a developer opens in the browser. Both regions share it locally.
    const catcher = await step("Mail catcher (SMTP + inbox)", () =>
      startMailCatcher({
        smtpPort: port(DEFAULT_PORTS.mailCatcherSmtp),
        httpPort: port(DEFAULT_PORTS.mailCatcher),
      }),
    );
    cleanups.push(() => catcher.close());
    const relayToken = `dev-${crypto.randomUUID()}`;
    const relay = await step("Mail relay", () =>
      startMailRelay({
        port: port(DEFAULT_PORTS.mailRelay),
        smtpUrl: catcher.smtpUrl,
        from: "Nexus Edge <no-reply@nexus.localhost>",
        token: relayToken,
      }),
    );
    cleanups.push(() => relay.close());
    // Enterprise sign-in: a company's OpenID provider (regions/oidc-idp) and the DNS-over-HTTPS
    // stand-in that domain verification asks (regions/dns-resolver).
    const oidcIdp = await step("Local identity provider (oidc-provider, Acme's demo staff)", () =>
      startOidcIdp({
        port: port(DEFAULT_PORTS.oidcIdp),
        clients: [
          {
            ...DEMO_IDP_CLIENT,
            redirect_uris: REGION_IDS.map((r) => `${regionUrls[r]}/oauth/sso/callback`),
          },
        ],
      }),
    );
    cleanups.push(() => oidcIdp.close());
    // SAML: a company's SAML IdP (regions/saml-idp, Globex's demo staff) and the region's
    // SAML-to-OIDC bridge (regions/saml-bridge), one for both regions locally. On a real Postgres
    // the bridge keeps its entries in the EU database (schema saml_bridge); on PGlite, whose one
    // session the Worker needs, in memory.
    const samlIdp = await step("Local SAML identity provider (Globex's demo staff)", () =>
      startSamlIdp({ port: port(DEFAULT_PORTS.samlIdp) }),
    );
    cleanups.push(() => samlIdp.close());
    const samlStore = databases.eu.relayUrl ? await postgresStore(databases.eu.ownerUrl) : memoryStore();
    cleanups.push(() => samlStore.close());
    const samlBridgeToken = `dev-${crypto.randomUUID()}`;
    const samlBridge = await step("SAML bridge (SAML connections as OpenID issuers)", () =>
      startSamlBridge({
        port: port(DEFAULT_PORTS.samlBridge),
        adminToken: samlBridgeToken,
        store: samlStore,
        allowLoopbackHttp: true,
        log: (line) => {
          if (line.level !== "info") options.log(`[saml-bridge] ${JSON.stringify(line)}`);
        },
      }),
    );
    cleanups.push(() => samlBridge.close());
    // SMS codes: Twilio (the EU's provider) and Africa's Talking (Lagos') stand-in, whose inbox
    // page shows what was texted.
    const sms = await step("SMS providers stand-in (Twilio, Africa's Talking)", () =>
      startSmsProviders({ port: port(DEFAULT_PORTS.smsProviders) }),
    );
    cleanups.push(() => sms.close());
    const smsVars = (region: RegionId) =>
      region === "lagos"
        ? {
            SMS_PROVIDER: "africastalking",
            SMS_ACCOUNT: sms.accounts.africasTalking.username,
            SMS_API_KEY: sms.accounts.africasTalking.apiKey,
            SMS_FROM: "NEXUS",
          }
        : {
            SMS_PROVIDER: "twilio",
            SMS_ACCOUNT: sms.accounts.twilio.accountSid,
            SMS_API_KEY: sms.accounts.twilio.authToken,
            SMS_FROM: "+4915700000000",
          };
    const dnsResolver = await step("DNS-over-HTTPS stand-in", () =>
      startDnsResolver({ port: port(DEFAULT_PORTS.dnsResolver) }),
    );
    cleanups.push(() => dnsResolver.close());
    // The OpenAI-wire embedding stand-in (regions/openai-embeddings): one site per region, as each
    // region's own model server; each Worker is given only its own (the allowlist would refuse the other).
    const embeddings = await step("Embedding server stand-in (OpenAI wire, word vectors)", () =>
      startEmbeddingStandin({ port: port(DEFAULT_PORTS.embeddings) }),
    );
    cleanups.push(() => embeddings.close());

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
              MODEL_DEPLOYMENTS: JSON.stringify(standInDeployments(models.url)),
              MAIL_RELAY_URL: relay.url,
              MAIL_RELAY_TOKEN: relayToken,
              DNS_RESOLVER_URL: dnsResolver.queryUrl,
              // Every request traced locally: a developer opens any request's trace by its Nexus-Trace-Id.
              TRACES_ENDPOINT: collector.tracesEndpoint,
              TRACES_SAMPLE_RATE: "1",
              SAML_BRIDGE_URL: samlBridge.url,
              // Local only: in a deployment this is a secret (wrangler secret put SAML_BRIDGE_TOKEN).
              SAML_BRIDGE_TOKEN: samlBridgeToken,
              SMS_PROVIDER_URL: sms.url,
              ...smsVars(region),
              EMBEDDING_PROVIDERS: JSON.stringify([
                {
                  id: `local-${region}-wink-100`,
                  url: `${embeddings.url}/${region}/v1`,
                  model: "wink-sg-100d",
                  dimensions: 100,
                  processing: region,
                },
              ]),
            },
            cronFired: options.cronEveryMs !== null,
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
    await step(
      `Demo SSO: ${DEMO_SSO_DOMAIN} (OpenID) and ${DEMO_SAML_DOMAIN} (SAML) verified, connected to the local IdPs`,
      () =>
        setUpDemoSso({
          apiUrl: regionUrls.eu,
          issuer: oidcIdp.issuer,
          dns: dnsResolver,
          saml: {
            idpEntityId: samlIdp.entityId,
            idpSsoUrl: samlIdp.ssoUrl,
            certificate: samlIdp.certificatePem,
          },
        }),
    );

    // Last, once the demo set-up is done: production's cron (wrangler.toml) for both Workers.
    options.log(describeCron(options.cronEveryMs));
    if (options.cronEveryMs !== null) {
      const cron = startCronTicker({
        workerUrls: regionUrls,
        everyMs: options.cronEveryMs,
        log: options.log,
      });
      cleanups.push(() => cron.stop());
    }

    const info: StackInfo = {
      pid: process.pid,
      regionUrls,
      gatewayUrls: { eu: gateways.eu.url, lagos: gateways.lagos.url },
      upstashUrl: upstash?.url ?? null,
      ...(upstash ? { upstashToken: upstash.token } : {}),
      paymentProvidersUrl: payments.url,
      modelStandInUrl: models.url,
      webhookInboxUrl: inbox.url,
      mailInboxUrl: catcher.url,
      oidcIdpUrl: oidcIdp.issuer,
      samlIdpUrl: samlIdp.url,
      samlBridgeUrl: samlBridge.url,
      smsInboxUrl: sms.url,
      embeddingsUrl: embeddings.url,
      traceViewerUrl: collector.url,
      database: options.postgresUrl ? "postgres" : "pglite",
      ...(options.postgresUrl
        ? { databaseNames: { eu: `${options.databasePrefix}eu`, lagos: `${options.databasePrefix}lagos` } }
        : {}),
      events: events.describe,
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
