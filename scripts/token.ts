/**
 * Gets an access token from a running region's authorization server (`npm run dev`), signing in
 * as a demo user through the first-party `nexus-cli` client (code + PKCE), non-interactively.
 *
 *   npm run token -- --region eu                       # the demo tenant's Owner
 *   npm run token -- --region lagos --role Viewer      # its Viewer (viewer@demo-lagos.example)
 *   npm run token -- --region eu --email me@x.example --password '…'
 *   npm run token -- --region eu --json                # the whole token response (refresh token too)
 *
 * Prints only the token, so `TOKEN=$(npm run -s token -- --region eu)` works.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { SYSTEM_ROLES } from "../db/schema/memberships";
import { DEMO_PASSWORD, DEMO_TENANTS, demoRoleUser } from "../db/seed/demo";
import { DEFAULT_DATA_DIR } from "../regions/local/paths";
import { readStackInfo } from "../regions/local/stack-info";
import { cliSignIn } from "./lib/cli-sign-in";

const USAGE = `usage: npm run -s token -- [options]     prints an access token of a running region (npm run dev)
  --region eu|lagos      the region whose authorization server signs in (default eu)
  --role ROLE            the demo tenant's user with this role: ${SYSTEM_ROLES.join(", ")} (default Owner)
  --email E --password P sign in as this user instead
  --scope "S …"          the scopes to ask for (space-separated)
  --json                 the whole token response (refresh token too), not only the access token
  --data-dir DIR         the stack's data folder, to find its ports (default .data)
  --issuer URL           the authorization server, if not the stack's`;

let values: ReturnType<typeof parseCommandLine>["values"];
try {
  ({ values } = parseCommandLine());
} catch (error) {
  console.error(`token: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function parseCommandLine() {
  return parseArgs({
    options: {
      help: { type: "boolean", short: "h", default: false },
      region: { type: "string", default: "eu" },
      role: { type: "string", default: "Owner" },
      email: { type: "string" },
      password: { type: "string" },
      scope: { type: "string" },
      json: { type: "boolean", default: false },
      "data-dir": { type: "string", default: DEFAULT_DATA_DIR },
      issuer: { type: "string" },
    },
  });
}

const args = z
  .object({
    region: z.enum(["eu", "lagos"]),
    role: z.enum(SYSTEM_ROLES),
    email: z.email().optional(),
    password: z.string().min(1).optional(),
    scope: z.string().optional(),
    json: z.boolean(),
    "data-dir": z.string(),
    issuer: z.url().optional(),
    help: z.boolean(),
  })
  .safeParse(values);
if (!args.success) {
  console.error(`token: ${args.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}`);
  process.exit(2);
}
const a = args.data;

const stack = readStackInfo(a["data-dir"]);
const issuer =
  a.issuer ??
  stack?.regionUrls[a.region] ??
  (a.region === "eu" ? "http://127.0.0.1:8787" : "http://127.0.0.1:8788");
const demo = DEMO_TENANTS[a.region];
const email =
  a.email ??
  (a.role === "Owner" ? demo.ownerEmail : demoRoleUser(demo, a.role, SYSTEM_ROLES.indexOf(a.role)).email);

try {
  const tokens = await cliSignIn({
    issuer,
    email,
    password: a.password ?? DEMO_PASSWORD,
    ...(a.scope ? { scope: a.scope } : {}),
  });
  process.stdout.write(a.json ? `${JSON.stringify(tokens, null, 2)}\n` : `${tokens.access_token}\n`);
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  const hint = /fetch failed|ECONNREFUSED/.test(reason) ? ` (is \`npm run dev\` running? ${issuer})` : "";
  console.error(`token: ${reason}${hint}`);
  process.exit(1);
}
