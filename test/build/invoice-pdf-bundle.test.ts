import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { buildWorker } from "../../bench/lib/build";

// The invoice renderer through wrangler's esbuild, as a Worker that only renders (the bench's,
// bench/lib/pdf-worker/): the base64 font modules, pdf-lib and fontkit bundle without a loader
// rule, and what they add stays far inside Cloudflare's limit. (The API Worker's own dry run is
// deploy-dry-run.test.ts.)
const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "nexus-pdf-bundle-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Cloudflare's limit for a compressed Worker on the paid plan. */
const MAX_GZIP_BYTES = 10 * 1024 * 1024;

describe("invoice PDF renderer bundle", () => {
  it("builds with wrangler and stays small next to the 10 MiB limit", async () => {
    const config = join(work, "wrangler.toml");
    writeFileSync(
      config,
      [
        `name = "nexus-pdf-bundle-check"`,
        `main = ${JSON.stringify(join(root, "bench/lib/pdf-worker/index.ts"))}`,
        `compatibility_date = "2026-11-01"`,
        `compatibility_flags = ["nodejs_compat"]`,
      ].join("\n"),
    );
    const bundle = await buildWorker({ root, outdir: join(work, "out"), config });
    const code = readFileSync(join(bundle.outdir, "index.js"));
    // Both fonts are in it, as the renderer decodes them.
    expect(code.includes("notoSansRegularBase64")).toBe(true);
    expect(code.includes("notoSansBoldBase64")).toBe(true);
    const gzipBytes = gzipSync(code).length;
    expect(gzipBytes).toBeGreaterThan(200_000);
    expect(gzipBytes).toBeLessThan(MAX_GZIP_BYTES / 4);
  }, 120_000);
});
