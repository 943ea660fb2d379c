/**
 * Bundles a regional Node service's main.ts into one ESM file for its container image: the
 * services' dependencies (pg, NATS, node-saml, …) are devDependencies of this repository, so the
 * bundle must need no node_modules at run time. Plain erasable TypeScript: the Containerfiles run
 * the build scripts with Node 22's type stripping (imports keep their .ts extension).
 */
import { mkdir, rm, stat } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const ROOT = resolve(import.meta.dirname, "../..");

export async function bundleService(service: string, entry: string): Promise<void> {
  const fallback = `dist/${service}/main.mjs`;
  const { values } = parseArgs({ options: { outfile: { type: "string", default: fallback } } });
  const outfile = resolve(ROOT, values.outfile ?? fallback);
  await rm(outfile, { force: true });
  await mkdir(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    // pg is CommonJS and require()s Node built-ins: give the ESM bundle a require.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
    },
    external: ["pg-native"],
    minify: false,
    legalComments: "eof",
    logLevel: "warning",
  });
  const { size } = await stat(outfile);
  process.stdout.write(
    `${JSON.stringify({ event: "built", service, outfile: relative(ROOT, outfile), bytes: size })}\n`,
  );
}
