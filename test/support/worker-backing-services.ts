/**
 * Runs in its own Node process (started by worker-global-setup.ts): the real SQL gateway on the
 * real Postgres, migrated and seeded, plus fresh signing keys (two published for eu, as during a
 * key rotation). Prints one JSON line with what the tests need, then serves until SIGTERM, when it
 * drops the database.
 *
 * A separate process because the worker project's Vite config resolves packages for workerd
 * (`ws`, `pg` would load their browser/worker builds), and the gateway is a Node service.
 */
import { migrateDatabase } from "../../db/tools/migrate";
import { seedTenant } from "../../db/tools/seed";
import { generateRegionKey, jwksBinding } from "../../regions/local/dev-keys";
import { startSqlGateway } from "../../regions/sql-gateway/server";
import { dropDatabase, ownerUrl, recreateDatabase, upstreamUrl } from "./postgres";
import { TEST_TENANTS } from "./tenants";

const database = process.argv[2] ?? "nexus_test_worker";

await recreateDatabase(database);
const gateway = await startSqlGateway({ port: 0, backend: { kind: "postgres", upstream: upstreamUrl() } });
const httpEndpoint = `${gateway.url}/sql`;
await migrateDatabase({ url: ownerUrl(database), httpEndpoint });
for (const tenant of Object.values(TEST_TENANTS)) {
  await seedTenant({ url: ownerUrl(database), httpEndpoint, region: "eu" }, tenant);
}
const keys = { eu: await generateRegionKey("eu"), lagos: await generateRegionKey("lagos") };
// The eu region mid-rotation: its previous key is still published beside the current one.
const euPrevious = await generateRegionKey("eu");

process.stdout.write(
  `${JSON.stringify({
    gatewayUrl: gateway.url,
    databaseName: database,
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
  await gateway.close();
  await dropDatabase(database);
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
// If the test runner dies without a signal, stdin closes: clean up then too.
process.stdin.on("end", () => void stop());
process.stdin.resume();
