import type { TestProject } from "vitest/node";
import type { DemoTenant } from "../../db/seed/demo";
import { migrateDatabase } from "../../db/tools/migrate";
import { seedTenant } from "../../db/tools/seed";
import { generateRegionKey, jwksBinding } from "../../regions/local/dev-keys";
import { startSqlGateway } from "../../regions/sql-gateway/server";
import { dropDatabase, ownerUrl, recreateDatabase, upstreamUrl } from "./postgres";
import { TEST_TENANTS } from "./tenants";

const DATABASE = "nexus_test_worker";

/**
 * Worker tests run inside workerd but talk to a real Postgres through the real SQL gateway,
 * exactly as a deployed region does. This starts both, migrates and seeds, and hands the
 * addresses and keys to the Miniflare config and the tests through `provide`.
 */
export default async function setup(project: TestProject) {
  await recreateDatabase(DATABASE);
  const gateway = await startSqlGateway({ port: 0, backend: { kind: "postgres", upstream: upstreamUrl() } });
  const httpEndpoint = `${gateway.url}/sql`;
  await migrateDatabase({ url: ownerUrl(DATABASE), httpEndpoint });
  for (const tenant of Object.values(TEST_TENANTS) as DemoTenant[]) {
    await seedTenant({ url: ownerUrl(DATABASE), httpEndpoint, region: "eu" }, tenant);
  }

  const keys = { eu: await generateRegionKey("eu"), lagos: await generateRegionKey("lagos") };
  project.provide("gatewayUrl", gateway.url);
  project.provide("databaseName", DATABASE);
  project.provide("jwks", jwksBinding(keys));
  project.provide("signingKeys", JSON.stringify({ eu: keys.eu.privateJwk, lagos: keys.lagos.privateJwk }));

  return async () => {
    await gateway.close();
    await dropDatabase(DATABASE);
  };
}
