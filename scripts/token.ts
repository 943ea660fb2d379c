/**
 * Mints a development access token for a region's demo tenant, signed with the local dev keys
 * (the same keys `npm run dev` gives the Workers).
 *
 *   npm run token -- --region eu --role Owner
 *   npm run token -- --region lagos --role Viewer --ttl 3600
 *   npm run token -- --region eu --tenant <uuid> --user <uuid>
 *
 * Prints only the token, so `TOKEN=$(npm run -s token -- --region eu)` works.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { SYSTEM_ROLES } from "../db/schema/memberships";
import { DEMO_TENANTS } from "../db/seed/demo";
import { loadOrCreateDevKeys } from "../regions/local/dev-keys";
import { DEFAULT_DATA_DIR, devKeysFile } from "../regions/local/paths";
import { readStackInfo } from "../regions/local/stack-info";
import { signAccessToken } from "../workers/api/auth/sign-access-token";

const { values } = parseArgs({
  options: {
    region: { type: "string", default: "eu" },
    role: { type: "string", default: "Owner" },
    tenant: { type: "string" },
    user: { type: "string" },
    scope: { type: "string", default: "crm:read crm:write" },
    ttl: { type: "string", default: "900" },
    "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
    issuer: { type: "string" },
  },
});

const args = z
  .object({
    region: z.enum(["eu", "lagos"]),
    role: z.enum(SYSTEM_ROLES),
    tenant: z.uuid().optional(),
    user: z.uuid().optional(),
    scope: z.string(),
    ttl: z.coerce.number().int().min(60).max(86_400),
    "data-dir": z.string(),
    issuer: z.url().optional(),
  })
  .safeParse(values);
if (!args.success) {
  console.error(`token: ${args.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}`);
  process.exit(2);
}
const a = args.data;

const keys = await loadOrCreateDevKeys(devKeysFile(a["data-dir"]));
const stack = readStackInfo(a["data-dir"]);
const issuer =
  a.issuer ??
  stack?.regionUrls[a.region] ??
  (a.region === "eu" ? "http://127.0.0.1:8787" : "http://127.0.0.1:8788");
const demo = DEMO_TENANTS[a.region];

const token = await signAccessToken({
  signingKey: keys[a.region].privateJwk,
  issuer,
  audience: "nexus-api",
  region: a.region,
  tenantId: a.tenant ?? demo.tenantId,
  userId: a.user ?? demo.ownerId,
  role: a.role,
  scope: a.scope,
  ttlSeconds: a.ttl,
});
process.stdout.write(`${token}\n`);
