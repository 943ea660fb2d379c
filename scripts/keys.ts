/**
 * Token signing keys: make them, publish them, retire them, check the `JWKS` var.
 *
 *   npm run -s keys -- generate --region eu --out eu-private.json > eu-public.json
 *   npm run -s keys -- publish --region eu --jwks "$JWKS" --add eu-public.json
 *   npm run -s keys -- retire --region eu --jwks jwks.json --kid eu-2026-01-05-1a2b3c4d
 *   npm run -s keys -- check --jwks jwks.json [--region eu --signing-key eu-private.json]
 *
 * `--jwks` and `--add` take inline JSON or a file. `publish` and `retire` print the new `JWKS` var
 * value (one line, for `JWKS = '…'` in every environment of wrangler.toml) and say what comes next.
 * Exit codes: 0 done, 1 refused (the key set or key is wrong), 2 bad usage or unreadable input.
 *
 * Rotation (README "Deploying a region", step 3):
 *   1. generate a key; publish its public half in the JWKS var of every region; deploy them all;
 *   2. wait ≥ 20 min (JWKS cache max-age 5 min + a token lifetime, 15 min), then
 *      `wrangler secret put JWT_SIGNING_KEY --env <region> < <region>-private.json`, delete the file;
 *   3. wait ≥ 16 min (every token the old key signed has expired), retire the old kid, deploy.
 * Private keys live only in the secret: `generate --out` writes them 0600 and never over a file.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { generateRegionKey } from "../regions/local/dev-keys";
import { isRegionId, REGION_IDS, type RegionId } from "../regions/registry";
import {
  checkKeySets,
  checkSigningKey,
  type Outcome,
  parseKeySets,
  publishKey,
  type RegionKeySets,
  retireKey,
  WAIT_BEFORE_RETIRING_SECONDS,
  WAIT_BEFORE_SIGNING_SECONDS,
} from "../workers/api/auth/key-set";

const USAGE = `usage: npm run -s keys -- <command> [options]
  generate --region R [--out PRIVATE_FILE] [--public-out PUBLIC_FILE]
  publish  --region R --jwks JSON|FILE --add JSON|FILE
  retire   --region R --jwks JSON|FILE --kid KID
  check    --jwks JSON|FILE [--region R --signing-key JSON|FILE]`;

/** Bad command line or unreadable input: exit 2 with the usage. */
class UsageError extends Error {}
/** The inputs are readable but the operation must not happen: exit 1, one line per problem. */
class Refused extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("; "));
  }
}

const region = z.custom<RegionId>(isRegionId, `must be one of ${REGION_IDS.join(", ")}`);
const text = z.string().min(1);

function options<S extends z.ZodType>(command: string, schema: S, values: unknown): z.infer<S> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) =>
    i.code === "unrecognized_keys"
      ? `--${i.keys.join(", --")}: not an option of ${command}`
      : `${i.path.length > 0 ? `--${i.path.join(".")}: ` : ""}${i.message}`,
  );
  throw new UsageError(issues.join("; "));
}

/** Inline JSON (starts with `{`) or a file holding it. Errors name the option, never the content. */
function readJson(option: string, value: string): unknown {
  const inline = value.trimStart().startsWith("{");
  if (!inline && !existsSync(value)) throw new UsageError(`--${option}: no such file "${value}"`);
  const raw = inline ? value : readFileSync(value, "utf8");
  try {
    return JSON.parse(raw);
  } catch {
    throw new UsageError(`--${option}: ${inline ? "the inline value" : `"${value}"`} is not valid JSON`);
  }
}

function unwrap<T>(outcome: Outcome<T>, label?: string): T {
  if (outcome.ok) return outcome.value;
  throw new Refused(label ? outcome.problems.map((p) => `${label}: ${p}`) : outcome.problems);
}

const readKeySets = (value: string) => unwrap(parseKeySets(readJson("jwks", value)), "--jwks");
const minutes = (seconds: number) => `${Math.ceil(seconds / 60)} min`;
const summary = (sets: RegionKeySets) =>
  REGION_IDS.map((r) => `${r}: ${sets[r].keys.map((k) => k.kid).join(", ") || "(none)"}`).join("; ");

async function generate(values: unknown): Promise<void> {
  const a = options(
    "generate",
    z.strictObject({ region, out: text.optional(), "public-out": text.optional() }),
    values,
  );
  const key = await generateRegionKey(a.region);
  const privateJson = `${JSON.stringify(key.privateJwk)}\n`;
  const publicJson = `${JSON.stringify(key.publicJwk)}\n`;
  // "wx": never overwrite a file, which could hold the private key still in use.
  if (a.out) writeFileSync(a.out, privateJson, { mode: 0o600, flag: "wx" });
  if (a["public-out"]) writeFileSync(a["public-out"], publicJson, { flag: "wx" });
  // stdout carries one JWK: the public one when the private one went to a file; otherwise the
  // private one (to pipe into `wrangler secret put`), with the public one on stderr.
  process.stdout.write(a.out ? publicJson : privateJson);
  if (!a.out) process.stderr.write(`public JWK: ${publicJson}`);
  process.stderr.write(
    `generated ${key.publicJwk.kid}. Next: publish the public JWK for ${a.region} and deploy every ` +
      `region; switch JWT_SIGNING_KEY to it no sooner than ${minutes(WAIT_BEFORE_SIGNING_SECONDS)} later.\n`,
  );
}

async function publish(values: unknown): Promise<void> {
  const a = options("publish", z.strictObject({ region, jwks: text, add: text }), values);
  const sets = unwrap(publishKey(readKeySets(a.jwks), a.region, readJson("add", a.add)));
  process.stdout.write(`${JSON.stringify(sets)}\n`);
  process.stderr.write(
    `published (${summary(sets)}). Next: set this JWKS var in every environment and deploy them all; ` +
      `wait ≥ ${minutes(WAIT_BEFORE_SIGNING_SECONDS)}, then switch ${a.region}'s JWT_SIGNING_KEY.\n`,
  );
}

async function retire(values: unknown): Promise<void> {
  const a = options("retire", z.strictObject({ region, jwks: text, kid: text }), values);
  const sets = unwrap(retireKey(readKeySets(a.jwks), a.region, a.kid));
  process.stdout.write(`${JSON.stringify(sets)}\n`);
  process.stderr.write(
    `retired ${a.kid} (${summary(sets)}). Deploy only if ${a.region}'s JWT_SIGNING_KEY was switched ` +
      `≥ ${minutes(WAIT_BEFORE_RETIRING_SECONDS)} ago; then set this JWKS var in every environment.\n`,
  );
}

async function check(values: unknown): Promise<void> {
  const a = options(
    "check",
    z
      .strictObject({ jwks: text, region: region.optional(), "signing-key": text.optional() })
      .refine((o) => !o["signing-key"] || o.region, "--signing-key needs --region"),
    values,
  );
  const sets = unwrap(checkKeySets(readJson("jwks", a.jwks)), "--jwks");
  if (a["signing-key"] && a.region) {
    const problems = checkSigningKey(sets, a.region, readJson("signing-key", a["signing-key"]));
    if (problems.length > 0) throw new Refused(problems);
  }
  process.stdout.write(`ok: ${summary(sets)}\n`);
}

const COMMANDS = new Map<string, (values: unknown) => Promise<void>>(
  Object.entries({ generate, publish, retire, check }),
);

const OPTIONS = {
  region: { type: "string" },
  jwks: { type: "string" },
  add: { type: "string" },
  kid: { type: "string" },
  out: { type: "string" },
  "public-out": { type: "string" },
  "signing-key": { type: "string" },
} as const;

function commandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    // Node's messages for unknown or value-less options are clear; only the exit code changes.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = commandLine(argv);
  const [name, ...extra] = positionals;
  const command = name === undefined ? undefined : COMMANDS.get(name);
  if (!command) throw new UsageError(name ? `unknown command "${name}"` : "no command");
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  await command(values);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`keys: ${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (error instanceof Refused) {
    for (const problem of error.problems) process.stderr.write(`keys: ${problem}\n`);
    process.exit(1);
  }
  if (error instanceof Error && "code" in error && error.code === "EEXIST") {
    process.stderr.write(`keys: ${error.message} (refusing to overwrite)\n`);
    process.exit(2);
  }
  throw error;
}
