/**
 * Bundles the SQL gateway into one ESM file for the container image:
 *
 *   node regions/sql-gateway/build.ts [--outfile dist/sql-gateway/main.mjs]
 *
 * Runs on Node 22's built-in type stripping (no tsx, no npm script). The bundle needs no
 * node_modules at run time, which matters because pg, ws and esbuild are devDependencies: an
 * `npm ci --omit=dev` image would lack them. Type stripping cannot run main.ts itself either, as
 * its imports have no file extensions.
 *
 * PGlite is replaced by a stub that throws: it is a local-development backend (README: "do not
 * expose it"), its WASM and data files would not survive bundling, and leaving it out keeps the
 * production artifact to the Postgres backend only. `--pglite` fails at start with a clear message.
 */
import { mkdir, rm, stat } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build, type Plugin } from "esbuild";

const ROOT = resolve(import.meta.dirname, "../..");
const ENTRY = resolve(import.meta.dirname, "main.ts");

const { values } = parseArgs({
  options: { outfile: { type: "string", default: "dist/sql-gateway/main.mjs" } },
});
const outfile = resolve(ROOT, values.outfile ?? "dist/sql-gateway/main.mjs");

/** Optional native add-ons that pg and ws load lazily or inside try/catch; never installed. */
const OPTIONAL_NATIVE = ["pg-native", "bufferutil", "utf-8-validate"];

const PGLITE_STUB = `
const absent = () => {
  throw new Error("PGlite is not in this build of the SQL gateway (Postgres backend only); run regions/sql-gateway/main.ts with tsx for --pglite");
};
export class PGlite { constructor() { absent(); } static async create() { absent(); } }
export class PGLiteSocketServer { constructor() { absent(); } }
// The extensions pglite.ts loads (contrib/unaccent, contrib/btree_gin, pglite-pgvector): values only PGlite reads.
export const unaccent = {};
export const vector = {};
export const btree_gin = {};
`;

const stubPglite: Plugin = {
  name: "stub-pglite",
  setup(pluginBuild) {
    // The package, its socket server, its extensions and pgvector's: all of PGlite.
    pluginBuild.onResolve({ filter: /^@electric-sql\/pglite(-socket|-pgvector)?(\/.*)?$/ }, (args) => ({
      path: args.path,
      namespace: "pglite-stub",
    }));
    pluginBuild.onLoad({ filter: /.*/, namespace: "pglite-stub" }, () => ({
      contents: PGLITE_STUB,
      loader: "js",
    }));
  },
};

// Only the file itself: the folder may hold other build outputs.
await rm(outfile, { force: true });
await mkdir(dirname(outfile), { recursive: true });

const result = await build({
  entryPoints: [ENTRY],
  outfile,
  bundle: true,
  platform: "node",
  target: "node22",
  // ESM because main.ts uses top-level await. pg is CommonJS and calls require() for Node
  // built-ins, which an ESM bundle has no binding for: give it one.
  format: "esm",
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
  },
  external: OPTIONAL_NATIVE,
  plugins: [stubPglite],
  // Unminified: stack traces in the pod logs keep real function names.
  minify: false,
  legalComments: "eof",
  logLevel: "warning",
  metafile: true,
});

const bundled = Object.keys(result.metafile.inputs);
const leaked = bundled.filter((input) => input.includes("node_modules/@electric-sql/"));
if (leaked.length > 0) {
  throw new Error(`PGlite leaked into the bundle: ${leaked.join(", ")}`);
}
const { size } = await stat(outfile);
process.stdout.write(
  `${JSON.stringify({ event: "built", service: "sql-gateway", outfile: relative(ROOT, outfile), bytes: size, inputs: bundled.length })}\n`,
);
