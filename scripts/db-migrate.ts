/**
 * Applies db/migrations to one region's database.
 *
 *   npm run db:migrate -- --region lagos --url postgres://owner:…@host/db [--http https://gateway/sql]
 *
 * `--url` is an owner (not the app role) connection; DATABASE_OWNER_URL works too. For the EU
 * (Neon) leave out --http: the driver derives Neon's endpoint from the URL. For Lagos pass the
 * regional SQL gateway's endpoint.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { migrateDatabase } from "../db/tools/migrate";

const { values } = parseArgs({
  options: {
    region: { type: "string" },
    url: { type: "string", default: process.env.DATABASE_OWNER_URL },
    http: { type: "string", default: process.env.DATABASE_HTTP_URL },
  },
});

const args = z
  .object({
    region: z.enum(["eu", "lagos"]),
    url: z.string().startsWith("postgres", "must be a postgres:// URL"),
    http: z.url().optional(),
  })
  .safeParse(values);
if (!args.success) {
  console.error(
    `db:migrate: ${args.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}`,
  );
  process.exit(2);
}

const started = Date.now();
const { applied } = await migrateDatabase({
  url: args.data.url,
  ...(args.data.http ? { httpEndpoint: args.data.http } : {}),
  log: (line) => console.log(`[${args.data.region}] ${line}`),
});
console.log(
  `[${args.data.region}] ${applied.length === 0 ? "up to date" : `${applied.length} migration(s) applied`} in ${Date.now() - started} ms`,
);
