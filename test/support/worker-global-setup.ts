import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { ProvidedContext } from "vitest";
import type { TestProject } from "vitest/node";

const root = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Worker tests run inside workerd but talk to a real Postgres through the real SQL gateway,
 * exactly as a deployed region does. The gateway runs in a child Node process; its address and
 * the test signing keys reach the Miniflare config and the tests through `provide`.
 */
export default async function setup(project: TestProject) {
  const child = spawn(
    process.execPath,
    // NEXUS_TEST_WORKER_DB lets two checkouts run their worker tests at once on one Postgres.
    [
      `${root}/node_modules/tsx/dist/cli.mjs`,
      "test/support/worker-backing-services.ts",
      process.env.NEXUS_TEST_WORKER_DB ?? "nexus_test_worker",
    ],
    {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const firstLine = await new Promise<string>((resolve, reject) => {
    // Two databases (Postgres, and PGlite for search's vectors) migrated and seeded: slow on a busy machine.
    const timer = setTimeout(() => reject(new Error("backing services did not start within 180 s")), 180_000);
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once("exit", (code) => reject(new Error(`backing services exited with code ${code}`)));
  });
  const ready = JSON.parse(firstLine) as {
    gatewayUrl: string;
    webhookReceiverUrl: string;
    paymentProvidersUrl: string;
    silentUrl: string;
    modelStandInUrl: string;
    mail: ProvidedContext["mail"];
    oidcIdpIssuer: string;
    saml: ProvidedContext["saml"];
    sms: ProvidedContext["sms"];
    dnsResolverUrl: string;
    pgliteGatewayUrl: string;
    embeddingsUrl: string;
    collectorUrl: string;
    databaseName: string;
    jwks: string;
    signingKeys: string;
    upstash: ProvidedContext["upstash"];
  };
  project.provide("gatewayUrl", ready.gatewayUrl);
  project.provide("webhookReceiverUrl", ready.webhookReceiverUrl);
  project.provide("paymentProvidersUrl", ready.paymentProvidersUrl);
  project.provide("silentUrl", ready.silentUrl);
  project.provide("modelStandInUrl", ready.modelStandInUrl);
  project.provide("mail", ready.mail);
  project.provide("oidcIdpIssuer", ready.oidcIdpIssuer);
  project.provide("saml", ready.saml);
  project.provide("sms", ready.sms);
  project.provide("dnsResolverUrl", ready.dnsResolverUrl);
  project.provide("pgliteGatewayUrl", ready.pgliteGatewayUrl);
  project.provide("embeddingsUrl", ready.embeddingsUrl);
  project.provide("collectorUrl", ready.collectorUrl);
  project.provide("databaseName", ready.databaseName);
  project.provide("jwks", ready.jwks);
  project.provide("signingKeys", ready.signingKeys);
  project.provide("upstash", ready.upstash);

  return async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  };
}
