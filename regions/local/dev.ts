/**
 * `npm run dev`: both regions on this machine. See README "Run it locally".
 *
 *   npm run dev                                        PGlite per region under .data/
 *   npm run dev -- --postgres postgres://postgres@127.0.0.1:5432   real Postgres (nexus_eu, nexus_lagos)
 *   npm run dev -- --port-offset 1000                  every port +1000 (a second stack)
 *   npm run dev -- --cron-every 10s                    the scheduled handlers every 10 s (default 60s, as deployed)
 *   npm run dev -- --no-cron                           never fire them
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import { DEMO_IDP_PASSWORD } from "../oidc-idp/demo-users";
import { REGION_IDS } from "../registry";
import { CronEvery, DEFAULT_CRON_EVERY, formatEvery } from "./cron-ticker";
import { DEFAULT_DATA_DIR, workerLogFile } from "./paths";
import { startLocalStack } from "./stack";

const { values } = parseArgs({
  options: {
    postgres: { type: "string", default: process.env.NEXUS_POSTGRES_URL },
    "db-prefix": { type: "string", default: "nexus_" },
    "data-dir": { type: "string", default: process.env.NEXUS_DATA_DIR ?? DEFAULT_DATA_DIR },
    "port-offset": { type: "string", default: "0" },
    redis: { type: "string", default: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" },
    nats: { type: "string", default: process.env.NATS_URL ?? "nats://127.0.0.1:4222" },
    "quiet-workers": { type: "boolean", default: false },
    "cron-every": { type: "string", default: DEFAULT_CRON_EVERY },
    "no-cron": { type: "boolean", default: false },
  },
});

const parsed = z
  .object({
    postgres: z.string().startsWith("postgres", "must be a postgres:// URL").optional(),
    "db-prefix": z.string().regex(/^[a-z][a-z0-9_]*$/),
    "data-dir": z.string(),
    "port-offset": z.coerce.number().int().min(0).max(50_000),
    redis: z.string().startsWith("redis"),
    nats: z.string().startsWith("nats://", "must be a nats:// URL"),
    "quiet-workers": z.boolean(),
    "cron-every": CronEvery,
    "no-cron": z.boolean(),
  })
  .safeParse(values);
if (!parsed.success) {
  console.error(`dev: ${parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}`);
  process.exit(2);
}
const args = parsed.data;

// Each region's Worker log is also kept at rest under the data folder, as a region's log store
// would keep it: what `npm run residency-check` scans for another region's data.
for (const region of REGION_IDS)
  mkdirSync(dirname(workerLogFile(args["data-dir"], region)), { recursive: true });

const started = Date.now();
console.log("Nexus Edge: starting the local two-region stack");
const stack = await startLocalStack({
  dataDir: args["data-dir"],
  postgresUrl: args.postgres,
  databasePrefix: args["db-prefix"],
  portOffset: args["port-offset"],
  redisUrl: args.redis,
  natsUrl: args.nats,
  cronEveryMs: args["no-cron"] ? null : args["cron-every"],
  log: (line) => console.log(`  ${line}`),
  workerLog: (region, line) => {
    appendFileSync(workerLogFile(args["data-dir"], region), `${line}\n`);
    if (!args["quiet-workers"]) console.log(`[${region}] ${line}`);
  },
}).catch((error: unknown) => {
  console.error(`dev: could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

const { info } = stack;
const offset = args["port-offset"] ? ` -- --port-offset ${args["port-offset"]}` : "";
console.log(`
Nexus Edge is running (${((Date.now() - started) / 1000).toFixed(1)} s, database: ${info.database})

  region   API                       SQL gateway               demo tenant
${REGION_IDS.map((r) => `  ${r.padEnd(8)} ${info.regionUrls[r].padEnd(25)} ${info.gatewayUrls[r].padEnd(25)} ${DEMO_TENANTS[r].name} (${DEMO_TENANTS[r].tenantId})`).join("\n")}

  Upstash:  ${info.upstashUrl ?? "off (Redis not reachable)"}
  Events:   ${info.events ?? "off"}
  Payments: ${info.paymentProvidersUrl} (Stripe, Paystack, Flutterwave stand-in; checkout pages have Pay/Fail buttons)
  Models:   ${info.modelStandInUrl} (OpenAI-compatible stand-in; agents' prompts, recorded at /__standin/requests)
  Embeddings: ${info.embeddingsUrl} (OpenAI-wire stand-in, word vectors; /eu/v1 and /lagos/v1, each region only its own)
  Webhook inbox: ${info.webhookInboxUrl} (what the demo tenants' webhook endpoints received; JSON: /eu, /lagos)
  Mail inbox: ${info.mailInboxUrl} (invitations, password resets, sign-in codes; JSON: /api/messages)
  Traces:   ${info.traceViewerUrl} (every request's spans, both regions, gateways; open one by its Nexus-Trace-Id)
  SMS inbox: ${info.smsInboxUrl ?? "off"} (texted sign-in codes: Twilio for eu, Africa's Talking for lagos; JSON: /__inbox)
  Identity provider: ${info.oidcIdpUrl ?? "off"} (Acme's staff, e.g. ada@acme.example / "${DEMO_IDP_PASSWORD}": on the
    EU sign-in page, enter the address and choose single sign-on)
  SAML identity provider: ${info.samlIdpUrl ?? "off"} (Globex's staff, e.g. hank@globex.example, same password),
    through the SAML bridge ${info.samlBridgeUrl ?? "off"} (metadata per connection: /c/<connection id>/saml/metadata)
  Cron:     ${args["no-cron"] ? "off (--no-cron)" : `every ${formatEvery(args["cron-every"])}`} (each region's scheduled handler, as deployed; --cron-every, --no-cron)
  Docs:     ${info.regionUrls.eu}/docs   OpenAPI: ${info.regionUrls.eu}/openapi.json

  Sign in: every demo user's password is "${DEMO_PASSWORD}" (owner@demo-eu.example, viewer@demo-eu.example, …;
  owner@demo-lagos.example, …). Authorization server: ${info.regionUrls.eu}/.well-known/oauth-authorization-server

  Get a token (signs in through the nexus-cli client) and call the API:
    TOKEN=$(npm run -s token -- --region eu --role Owner${args["data-dir"] === DEFAULT_DATA_DIR ? "" : ` --data-dir ${args["data-dir"]}`})
    curl -s -H "Authorization: Bearer $TOKEN" ${info.regionUrls.eu}/api/v1/crm/contacts
  A Lagos token sent to the EU port (or the reverse) is forwarded to its home region.

  Ctrl-C stops everything.${offset ? `  (ports shifted: this stack was started${offset})` : ""}
`);

let stoppingSince = 0;
const stop = async (signal: string) => {
  // A terminal delivers Ctrl-C to every process in the group, so the same press can arrive
  // twice; only a later, deliberate second press skips the clean shutdown.
  if (stoppingSince) {
    if (Date.now() - stoppingSince > 2000) process.exit(130);
    return;
  }
  stoppingSince = Date.now();
  console.log(`\n${signal}: stopping…`);
  await stack.close();
  console.log("stopped");
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
