import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { TEST_REGION_URLS } from "../support/regions.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

// The real Worker (wrangler.toml, env local-eu) inside workerd, against the real SQL gateway and
// Postgres started by the global setup.
export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: `${root}/wrangler.toml`, environment: "local-eu" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          REGION_URLS: JSON.stringify(TEST_REGION_URLS),
          JWKS: inject("jwks"),
          // The eu region's current private key: the Worker under test is eu's authorization server.
          DATA_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
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
