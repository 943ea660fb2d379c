import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

// What regions/service.Containerfile builds for each regional Node service, the same way: its
// build.ts, run by Node's type stripping in a tree holding only what the image copies (the
// lockfile's packages, regions/lib and the service's folder), bundles one ESM file, and that file
// starts with no node_modules anywhere near it as far as reading its configuration. A service importing something the image
// does not copy, or an export its stubs lack (the gateway's PGlite stand-in), fails here instead
// of in an image build.
const root = fileURLToPath(new URL("../..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "nexus-service-bundles-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const run = promisify(execFile);

const SERVICES = [
  { service: "sql-gateway", args: ["--help"], says: /usage: main\.ts \(--postgres/ },
  { service: "outbox-relay", args: ["--help"], says: /usage: main\.ts --region/ },
  // No --help: it reads the environment and names the first missing setting.
  { service: "saml-bridge", args: [], says: /SAML_BRIDGE_DATABASE_URL/ },
] as const;

const containerfile = readFileSync(join(root, "regions/service.Containerfile"), "utf8");

describe("the regional services' bundles (regions/service.Containerfile)", () => {
  it("copies only regions/lib and the service's own folder into the build", () => {
    const copied = [...containerfile.matchAll(/^COPY (regions\/\S+) /gm)].map((m) => m[1]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Containerfile's build argument, verbatim.
    expect(copied).toEqual(["regions/lib/", "regions/${SERVICE}/"]);
  });

  for (const { service, args, says } of SERVICES) {
    it(`${service}: bundles from regions/lib and its folder alone, and starts without node_modules`, async () => {
      // The image's build stage: the lockfile's node_modules, regions/lib and the service only.
      const src = join(work, service, "src");
      for (const file of ["package.json", "tsconfig.json", "tsconfig.base.json"])
        cpSync(join(root, file), join(src, file));
      symlinkSync(join(root, "node_modules"), join(src, "node_modules"));
      cpSync(join(root, "regions/lib"), join(src, "regions/lib"), { recursive: true });
      cpSync(join(root, "regions", service), join(src, "regions", service), { recursive: true });

      const outfile = join(work, service, "main.mjs");
      await run(process.execPath, [
        "--experimental-strip-types",
        join(src, "regions", service, "build.ts"),
        "--outfile",
        outfile,
      ]);
      expect(existsSync(outfile)).toBe(true);
      const started = await run(process.execPath, [outfile, ...args], {
        cwd: work,
        env: { PATH: process.env.PATH ?? "" },
        timeout: 20_000,
      }).then(
        ({ stdout, stderr }) => `${stdout}${stderr}`,
        (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ""}${error.stderr ?? ""}`,
      );
      expect(started).toMatch(says);
      expect(started).not.toMatch(/Cannot find (package|module)|ERR_MODULE_NOT_FOUND/);
    });
  }
});
