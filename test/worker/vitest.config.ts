import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { standInDeployments } from "../../regions/model-standin/deployments.ts";
import { TEST_REGION_URLS } from "../support/regions.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
/**
 * One region key for the whole run, not one per test runner: the shared test tenants' sealed
 * fields (subject keys wrapped under it) are written by one file's runner and read by another's.
 */
const DATA_ENCRYPTION_KEY = randomBytes(32).toString("base64");

// The real Worker (wrangler.toml, env local-eu) inside workerd, against the real SQL gateway and
// Postgres started by the global setup.
export default defineProject({
  resolve: {
    // The pool sends a new test file every module the previous ones loaded, in one message of at
    // most 32 MiB; fontkit's full ES build becomes 6.4 MB of it once transformed (source map
    // inlined). Its minified build is the same code in a tenth of that.
    alias: [
      {
        find: /^@pdf-lib\/fontkit$/,
        replacement: `${root}/node_modules/@pdf-lib/fontkit/dist/fontkit.es.min.js`,
      },
    ],
  },
  plugins: [
    {
      // The same snapshot, again: Vite gives every transformed module a source map holding the
      // whole original text (sourcesContent) and a mapping per word, and Vitest inlines it as
      // base64 — for a minified dependency five times the code (fontkit: 0.6 MB of code, 3.6 MB
      // transformed). The pool's message passed 32 MiB ("Message is too large") once the Worker
      // grew a few KB. An empty map for dependencies (Vite then makes none, Vitest inlines none)
      // keeps the message to the code itself; stack traces keep their lines in our own files.
      name: "no-source-maps-for-dependencies",
      enforce: "post",
      transform(code, id) {
        if (id.includes("/node_modules/")) return { code, map: { mappings: "" } };
        return undefined;
      },
    },
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: `${root}/wrangler.toml`, environment: "local-eu" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          // The run shares two cores with the other projects' stacks and Chromium: at the default
          // 5 s deadline, 10 of 305 concurrent API-key lookups answered 503 once in CI. The tests
          // of the deadline itself (faults.test.ts, observability.test.ts) set their own.
          DATABASE_TIMEOUT_MS: "15000",
          REGION_URLS: JSON.stringify(TEST_REGION_URLS),
          JWKS: inject("jwks"),
          DATA_ENCRYPTION_KEY,
          // The eu region's current private key: the Worker under test is eu's authorization server.
          JWT_SIGNING_KEY: JSON.stringify((JSON.parse(inject("signingKeys")) as { eu: unknown }).eu),
          DATABASE_URL: `postgres://nexus_app:nexus_app@127.0.0.1:5432/${inject("databaseName")}`,
          DATABASE_HTTP_URL: `${inject("gatewayUrl")}/sql`,
          BACKEND_URL: inject("gatewayUrl"),
          // The real @upstash/redis client against the REST server on the real Redis.
          UPSTASH_REDIS_REST_URL: inject("upstash").url,
          UPSTASH_REDIS_REST_TOKEN: inject("upstash").token,
          UPSTASH_KEY_PREFIX: inject("upstash").keyPrefix,
          // The Stripe/Paystack/Flutterwave stand-in: Stripe at its root, the others under a path.
          PAYMENT_PROVIDER_URLS: JSON.stringify({
            stripe: inject("paymentProvidersUrl"),
            paystack: `${inject("paymentProvidersUrl")}/paystack`,
            flutterwave: `${inject("paymentProvidersUrl")}/flutterwave`,
          }),
          // The model stand-in as an EU, a Lagos and a global deployment (the router picks by residency).
          MODEL_DEPLOYMENTS: JSON.stringify(standInDeployments(inject("modelStandInUrl"))),
          // The mail relay in front of the catcher; retries after 1, 2, 4 … s instead of 60, 120 ….
          MAIL_RELAY_URL: inject("mail").relayUrl,
          MAIL_RELAY_TOKEN: inject("mail").relayToken,
          MAIL_RETRY_BASE_SECONDS: "1",
          // Domain verification asks the DNS-over-HTTPS stand-in (regions/dns-resolver).
          DNS_RESOLVER_URL: `${inject("dnsResolverUrl")}/dns-query`,
          // SAML connections are registered at, and signed in through, the region's SAML bridge.
          SAML_BRIDGE_URL: inject("saml").bridgeUrl,
          SAML_BRIDGE_TOKEN: inject("saml").bridgeToken,
          // Small per-connection allowances, so enterprise-limits.test.ts can reach them.
          SSO_STARTS_PER_CONNECTION_PER_MINUTE: "12",
          SCIM_REQUESTS_PER_CONNECTION_PER_MINUTE: "60",
          // SMS codes through the stand-in's Twilio (the EU region's provider).
          SMS_PROVIDER: "twilio",
          SMS_PROVIDER_URL: inject("sms").url,
          SMS_ACCOUNT: inject("sms").twilio.accountSid,
          SMS_API_KEY: inject("sms").twilio.authToken,
          SMS_FROM: "+4915700000000",
          // The EU site of the embedding stand-in (the Postgres here has no pgvector: search tests
          // switch DATABASE_HTTP_URL to the PGlite gateway for vectors).
          EMBEDDING_PROVIDERS: JSON.stringify([
            {
              id: "standin-eu-wink-100",
              url: `${inject("embeddingsUrl")}/eu/v1`,
              model: "wink-sg-100d",
              dimensions: 100,
              processing: "eu",
            },
          ]),
          // Short, so tests can show an API key revoked elsewhere stops working within the bound.
          API_KEY_CACHE_TTL_SECONDS: "2",
          // Small, so a handful of test sockets spreads over several shards; quick revocation checks.
          REALTIME_SHARD_CAPACITY: "2",
          REALTIME_RECHECK_SECONDS: "1",
          // Webhook retries at 0.25, 0.5, 1, 2, 4 s: the 1/2/4/8/16 s schedule scaled by 1/4, so a
          // delivery that fails for good takes under 8 s instead of 31.
          WEBHOOK_RETRY_BASE_MS: "250",
          // A receiver that hangs is cut off after 1 s instead of 30 (webhook-delivery.test.ts).
          WEBHOOK_TIMEOUT_MS: "1000",
        },
      },
    })),
  ],
  test: {
    name: "worker",
    root,
    include: ["test/worker/**/*.test.ts"],
    globalSetup: ["test/support/worker-global-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
