/**
 * Runs in its own Node process (started by worker-global-setup.ts): the real SQL gateway on the
 * real Postgres, migrated and seeded, the Upstash REST server on the real Redis (keys under a
 * prefix of this run), a webhook receiver (webhook-receiver.ts), plus fresh signing keys (two published for eu, as during a key rotation).
 * Prints one JSON line with what the tests need, then serves until SIGTERM, when it drops the
 * database and this run's Redis keys.
 *
 * A second Upstash REST server ("switchable", same Redis) can be stopped and started by tests
 * through a loopback control endpoint (`POST {controlUrl}/upstash/stop|start`), to show a region
 * with Upstash unreachable, and recovering, without disturbing test files that use the first.
 *
 * A separate process because the worker project's Vite config resolves packages for workerd
 * (`ws`, `pg` would load their browser/worker builds), and the gateway is a Node service.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis as DirectRedis } from "ioredis";
import { migrateDatabase } from "../../db/tools/migrate";
import { seedTenant } from "../../db/tools/seed";
import { startDnsResolver } from "../../regions/dns-resolver/server";
import { generateRegionKey, jwksBinding } from "../../regions/local/dev-keys";
import { startMailCatcher } from "../../regions/mail-catcher/server";
import { startMailRelay } from "../../regions/mail-relay/server";
import { startModelStandIn } from "../../regions/model-standin/server";
import { startOidcIdp } from "../../regions/oidc-idp/server";
import { startEmbeddingStandin } from "../../regions/openai-embeddings/server";
import { startTraceCollector } from "../../regions/otel-collector/server";
import { startPaymentProviders } from "../../regions/payment-providers/server";
import { startSamlBridge } from "../../regions/saml-bridge/server";
import { postgresStore } from "../../regions/saml-bridge/store";
import { startSamlIdp } from "../../regions/saml-idp/server";
import { startSmsProviders } from "../../regions/sms-providers/server";
import { startSqlGateway } from "../../regions/sql-gateway/server";
import { startUpstashRest, type UpstashRestServer } from "../../regions/upstash-rest/server";
import { dropDatabase, ownerUrl, recreateDatabase, upstreamUrl } from "./postgres";
import { TEST_REGION_URLS } from "./regions";
import { startSilentServer } from "./silent-server";
import { TEST_TENANTS } from "./tenants";
import { startWebhookReceiver } from "./webhook-receiver";

const database = process.argv[2] ?? "nexus_test_worker";
/** PGlite has one database and trusts any role; the gateway runs each request as the URL's role. */
const PGLITE_OWNER_URL = "postgres://postgres@localhost:5432/postgres";

await recreateDatabase(database);
// Search's vector tests: a second region database on PGlite (pgvector), migrated and seeded
// alongside, and the OpenAI-wire embedding stand-in (regions/openai-embeddings) both use.
// PGlite starts meanwhile; it is migrated after Postgres, since the driver's endpoint is global.
const pgliteStarting = startSqlGateway({ port: 0, backend: { kind: "pglite" } });
const embeddings = startEmbeddingStandin();
// The trace collector stand-in: tests that trace set TRACES_ENDPOINT to it (the default config traces
// nothing); the gateway continues a request's trace there when the request carries a traceparent.
const collector = await startTraceCollector({ port: 0 });
const gateway = await startSqlGateway({
  port: 0,
  backend: { kind: "postgres", upstream: upstreamUrl() },
  traces: { endpoint: collector.tracesEndpoint, region: "eu" },
});
const httpEndpoint = `${gateway.url}/sql`;
await migrateDatabase({ url: ownerUrl(database), httpEndpoint });
for (const tenant of Object.values(TEST_TENANTS)) {
  await seedTenant({ url: ownerUrl(database), httpEndpoint, region: "eu" }, tenant);
}
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const upstashToken = `test-${randomUUID()}`;
// The Redis is shared with other checkouts' test runs: everything this run writes is under this.
const upstashKeyPrefix = `nexus-test:${database}:${randomUUID()}:`;
const upstash = await startUpstashRest({ token: upstashToken, redisUrl });
let switchable: UpstashRestServer | undefined = await startUpstashRest({ token: upstashToken, redisUrl });
const switchablePort = switchable.port;
const switchableUrl = switchable.url;

const control = createServer((req, res) => {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  void (async () => {
    if (req.method === "POST" && req.url === "/upstash/stop") {
      await switchable?.close();
      switchable = undefined;
      return reply(200, { switchable: "stopped" });
    }
    if (req.method === "POST" && req.url === "/upstash/start") {
      switchable ??= await startUpstashRest({ token: upstashToken, redisUrl, port: switchablePort });
      return reply(200, { switchable: "running" });
    }
    reply(404, { error: "unknown control request" });
  })().catch((error: unknown) => reply(500, { error: String(error) }));
});
await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

// Receives the Worker's webhook deliveries (webhook-delivery tests).
const receiver = await startWebhookReceiver();
// The Stripe/Paystack/Flutterwave stand-in the Worker's connectors call (PAYMENT_PROVIDER_URLS);
// webhook retries at 100/200/400 ms so a test sees a recovered delivery quickly.
const paymentProviders = await startPaymentProviders({
  retryDelaysMs: [100, 200, 400],
  webhookTimeoutMs: 2_000,
});
// The region's mail relay (regions/mail-relay) in front of the local mail catcher: the Worker's
// MAIL_RELAY_URL; tests read what was sent from the catcher's JSON API.
const mailCatcher = await startMailCatcher();
const mailRelayToken = `relay-${randomUUID()}`;
const mailRelay = await startMailRelay({
  smtpUrl: mailCatcher.smtpUrl,
  from: "Nexus Edge <no-reply@eu.nexus.test>",
  token: mailRelayToken,
});
// A company's OpenID provider (regions/oidc-idp) and the DNS-over-HTTPS stand-in (enterprise sign-in).
const oidcIdp = await startOidcIdp({
  clients: [
    {
      client_id: "nexus-test",
      client_secret: "nexus-test-secret",
      redirect_uris: [`${TEST_REGION_URLS.eu}/oauth/sso/callback`],
    },
  ],
});
const dnsResolver = await startDnsResolver();
// SAML: the region's SAML-to-OIDC bridge (its tables in this run's database, schema saml_bridge)
// and a company's SAML IdP (regions/saml-idp) signing real assertions.
const samlStore = await postgresStore(ownerUrl(database));
const samlBridgeToken = `bridge-${randomUUID()}`;
const samlBridge = await startSamlBridge({
  adminToken: samlBridgeToken,
  store: samlStore,
  allowLoopbackHttp: true,
});
const samlIdp = await startSamlIdp();
// Twilio and Africa's Talking (regions/sms-providers): the Worker texts sign-in codes through it.
const smsProviders = await startSmsProviders();
// Accepts connections and never answers: a frozen peer region or dependency (deadline tests).
const silent = await startSilentServer();
// The OpenAI-compatible model deployments agents call (MODEL_DEPLOYMENTS in the test config).
const models = await startModelStandIn();

const [pgliteGateway, embeddingStandin] = await Promise.all([pgliteStarting, embeddings]);
const pgliteOwner = { url: PGLITE_OWNER_URL, httpEndpoint: `${pgliteGateway.url}/sql` };
await migrateDatabase(pgliteOwner);
// Tenants a and b only: the vector tests need two tenants, and each seeded tenant costs password hashes.
for (const tenant of [TEST_TENANTS.a, TEST_TENANTS.b])
  await seedTenant({ ...pgliteOwner, region: "eu" }, tenant);

const keys = { eu: await generateRegionKey("eu"), lagos: await generateRegionKey("lagos") };
// The eu region mid-rotation: its previous key is still published beside the current one.
const euPrevious = await generateRegionKey("eu");

process.stdout.write(
  `${JSON.stringify({
    gatewayUrl: gateway.url,
    webhookReceiverUrl: receiver.url,
    paymentProvidersUrl: paymentProviders.url,
    silentUrl: silent.url,
    modelStandInUrl: models.url,
    mail: { catcherUrl: mailCatcher.url, relayUrl: mailRelay.url, relayToken: mailRelayToken },
    oidcIdpIssuer: oidcIdp.issuer,
    saml: {
      bridgeUrl: samlBridge.url,
      bridgeToken: samlBridgeToken,
      idpUrl: samlIdp.url,
      idpEntityId: samlIdp.entityId,
      idpSsoUrl: samlIdp.ssoUrl,
      idpCertificate: samlIdp.certificatePem,
    },
    dnsResolverUrl: dnsResolver.url,
    sms: { url: smsProviders.url, twilio: smsProviders.accounts.twilio },
    pgliteGatewayUrl: pgliteGateway.url,
    embeddingsUrl: embeddingStandin.url,
    collectorUrl: collector.url,
    databaseName: database,
    upstash: {
      url: upstash.url,
      switchableUrl,
      token: upstashToken,
      keyPrefix: upstashKeyPrefix,
      controlUrl,
    },
    jwks: jwksBinding(keys, { eu: [euPrevious] }),
    signingKeys: JSON.stringify({
      eu: keys.eu.privateJwk,
      lagos: keys.lagos.privateJwk,
      euPrevious: euPrevious.privateJwk,
    }),
  })}\n`,
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  control.close();
  await Promise.all([
    gateway.close(),
    upstash.close(),
    switchable?.close(),
    receiver.close(),
    pgliteGateway.close(),
    embeddingStandin.close(),
    collector.close(),
  ]);
  await paymentProviders.close();
  await silent.close();
  await models.close();
  await mailRelay.close();
  await mailCatcher.close();
  await Promise.all([
    oidcIdp.close(),
    dnsResolver.close(),
    samlBridge.close(),
    samlIdp.close(),
    smsProviders.close(),
  ]);
  await samlStore.close();
  await dropDatabase(database);
  await deleteRedisKeys(upstashKeyPrefix).catch(() => undefined);
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
// If the test runner dies without a signal, stdin closes: clean up then too.
process.stdin.on("end", () => void stop());
process.stdin.resume();

async function deleteRedisKeys(prefix: string): Promise<void> {
  const direct = new DirectRedis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  });
  await direct.connect();
  try {
    let cursor = "0";
    do {
      const [next, found] = await direct.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (found.length > 0) await direct.del(...found);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    direct.disconnect();
  }
}
