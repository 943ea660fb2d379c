import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { runCommand } from "./processes";
import type { ModuleKind, WorkerModule } from "./workerd-config";

const require = createRequire(import.meta.url);

/** How wrangler's module rules name the files it writes next to the bundle. */
const KIND_BY_EXTENSION: Record<string, ModuleKind> = {
  ".js": "esModule",
  ".mjs": "esModule",
  ".cjs": "commonJsModule",
  ".wasm": "wasm",
  ".txt": "text",
  ".html": "text",
  ".sql": "text",
  ".bin": "data",
  ".json": "json",
};

export interface WorkerBundle {
  outdir: string;
  /** Main module first. */
  modules: WorkerModule[];
  bytes: number;
}

/** wrangler's own entry script, run on this Node (≥ 22.12, which wrangler needs), not whatever `node` is on PATH. */
function wranglerScript(): string {
  const pkgPath = require.resolve("wrangler/package.json");
  const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { bin: Record<string, string> };
  const bin = pkg.bin.wrangler;
  if (!bin) throw new Error("wrangler/package.json names no wrangler bin");
  return join(dirname(pkgPath), bin);
}

/**
 * The same bundle `wrangler deploy` would upload (esbuild, module rules, nodejs_compat polyfills),
 * built offline. Running this rather than bundling ourselves keeps the benchmark honest about
 * what production executes.
 */
export async function buildWorker(options: {
  root: string;
  /** An environment of the config; none for a config without environments. */
  env?: string;
  outdir: string;
  /** Another wrangler config than wrangler.toml (a bench-only Worker); its `main` names the entry. */
  config?: string;
}): Promise<WorkerBundle> {
  const selection = [
    ...(options.env ? ["--env", options.env] : []),
    ...(options.config ? ["--config", options.config] : []),
  ];
  const { code, output } = await runCommand(
    process.execPath,
    [wranglerScript(), "deploy", "--dry-run", ...selection, "--outdir", options.outdir],
    {
      cwd: options.root,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    },
  );
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed (exit ${code}):\n${output}`);

  const files = readdirSync(options.outdir).filter((name) => extname(name) in KIND_BY_EXTENSION);
  const modules: WorkerModule[] = files.map((name) => ({ name, kind: KIND_BY_EXTENSION[extname(name)]! }));
  // wrangler names the entry after `main` (workers/api/index.ts → index.js).
  const mainIndex = modules.findIndex((m) => m.name === "index.js");
  if (mainIndex < 0) throw new Error(`no index.js in ${options.outdir}: ${files.join(", ")}`);
  modules.unshift(...modules.splice(mainIndex, 1));
  const bytes = files.reduce((sum, name) => sum + readFileSync(join(options.outdir, name)).length, 0);
  return { outdir: options.outdir, modules, bytes };
}
