/**
 * Gives a tenant's own service read access to its events on one region's JetStream:
 *
 *   npm run events:tenant-access -- --region lagos --tenant <tenant uuid> \
 *     [--nats nats://nats.lagos.svc:4222] (operator credentials: NATS_USER / NATS_PASSWORD)
 *
 * Creates the tenant's durable consumer (filtered to evt.<region>.<tenant>.>) if it is missing,
 * mints a fresh nkey pair, and prints two JSON documents: `server_user`, the entry to add to the
 * region's NATS `users` list (the tenant-users Secret in regions/k8s; the config reloader applies
 * it), and `credentials`, what the tenant's service needs (hand the seed over once, as a secret).
 * Re-running it mints another key: replace the old entry to revoke the old seed.
 */
import { parseArgs } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { z } from "zod";
import {
  ensureTenantConsumer,
  newTenantCredentials,
  tenantPermissions,
} from "../regions/outbox-relay/tenant-access";

const { values } = parseArgs({
  options: {
    region: { type: "string" },
    tenant: { type: "string" },
    nats: { type: "string", default: process.env.NATS_URL ?? "nats://127.0.0.1:4222" },
    "no-consumer": { type: "boolean", default: false },
  },
});
const args = z
  .object({ region: z.enum(["eu", "lagos"]), tenant: z.uuid(), nats: z.string().min(1) })
  .safeParse(values);
if (!args.success) {
  console.error(
    `events:tenant-access: ${args.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}`,
  );
  process.exit(2);
}
const { region, tenant, nats } = args.data;

if (!values["no-consumer"]) {
  const nc = await connect({
    servers: nats.split(","),
    ...(process.env.NATS_USER ? { user: process.env.NATS_USER } : {}),
    ...(process.env.NATS_PASSWORD ? { pass: process.env.NATS_PASSWORD } : {}),
  });
  try {
    await ensureTenantConsumer(await jetstreamManager(nc), region, tenant);
  } finally {
    await nc.close();
  }
}
const credentials = newTenantCredentials(region, tenant);
console.log(
  JSON.stringify(
    {
      server_user: { nkey: credentials.nkey_public, permissions: tenantPermissions(region, tenant) },
      credentials: { ...credentials, servers: nats.split(",") },
    },
    null,
    2,
  ),
);
