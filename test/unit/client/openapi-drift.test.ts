import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const run = (args: string[]) =>
  promisify(execFile)(
    process.execPath,
    [
      "node_modules/tsx/dist/cli.mjs",
      "--import",
      "./scripts/lib/cloudflare-workers-stub.mjs",
      "scripts/client-generate.ts",
      ...args,
    ],
    // Building the app and typing a 1 MB document: tens of seconds on a loaded machine.
    { cwd: root, timeout: 170_000 },
  );

describe("@nexus-edge/client's generated files", () => {
  it("match the OpenAPI document the Worker serves (run `npm run client:generate` after changing a route)", async () => {
    const { stdout } = await run(["--check"]);
    expect(stdout).toContain("client types match");
  }, 180_000);

  it("are reported stale when the document changed", async () => {
    const copy = mkdtempSync(join(tmpdir(), "nexus-client-"));
    try {
      cpSync(join(root, "packages/client/openapi.json"), join(copy, "openapi.json"));
      cpSync(join(root, "packages/client/src/generated"), join(copy, "src/generated"), { recursive: true });
      const types = join(copy, "src/generated/openapi.ts");
      writeFileSync(
        types,
        readFileSync(types, "utf8").replace('"/api/v1/crm/contacts": {', '"/api/v1/crm/contactz": {'),
      );
      const failed = await run(["--check", "--package", copy]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect(failed).toMatchObject({ code: 1 });
      expect((failed as { stderr: string }).stderr).toContain("src/generated/openapi.ts");
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 180_000);
});
