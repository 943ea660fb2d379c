import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
/** Cloudflare's limit for a compressed Worker on the paid plan. */
const MAX_GZIP_KIB = 10 * 1024;

export interface DryRunResult {
  outDir: string;
  output: string;
  uploadKiB: number;
  gzipKiB: number;
  problems: string[];
}

export async function buildRegion(region: "eu" | "lagos"): Promise<DryRunResult> {
  const outDir = mkdtempSync(join(tmpdir(), `nexus-dry-run-${region}-`));
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [
      join(root, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--dry-run",
      "--env",
      region,
      "--outdir",
      outDir,
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        NO_COLOR: "1",
      },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const output = `${stdout}\n${stderr}`;
  const size = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  const uploadKiB = Number(size?.[1] ?? Number.NaN);
  const gzipKiB = Number(size?.[2] ?? Number.NaN);

  const problems: string[] = [];
  if (!/--dry-run: exiting now/.test(output)) problems.push("wrangler did not finish the dry run");
  if (!(gzipKiB > 0 && gzipKiB < MAX_GZIP_KIB)) problems.push(`bundle size ${gzipKiB} KiB gzip`);
  if (!new RegExp(`env\\.REGION \\("${region}"\\)`).test(output)) problems.push("REGION var missing");
  if (!/env\.RATE_LIMITER \(RateLimiter\)\s+Durable Object/.test(output))
    problems.push("RATE_LIMITER binding missing");
  return { outDir, output, uploadKiB, gzipKiB, problems };
}
