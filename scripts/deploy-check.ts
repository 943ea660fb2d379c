/**
 * `npm run deploy:check`: bundles each production region with `wrangler deploy --dry-run`
 * (offline; nothing is uploaded) and checks what wrangler reports: the region's vars, its Durable
 * Object binding, and a bundle within Cloudflare's size limit. CI runs it through the test suite.
 */
import { buildRegion } from "./deploy-dry-run";

let failed = false;
for (const region of ["eu", "lagos"] as const) {
  const result = await buildRegion(region);
  const verdict = result.problems.length === 0 ? "ok" : `FAILED: ${result.problems.join("; ")}`;
  console.log(
    `${region}: ${result.uploadKiB} KiB (gzip ${result.gzipKiB} KiB) → ${result.outDir} … ${verdict}`,
  );
  failed ||= result.problems.length > 0;
}
process.exit(failed ? 1 : 0);
