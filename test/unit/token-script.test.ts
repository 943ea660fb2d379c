import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const token = (...args: string[]) =>
  promisify(execFile)(process.execPath, ["node_modules/tsx/dist/cli.mjs", "scripts/token.ts", ...args], {
    cwd: root,
  });

describe("npm run token", () => {
  it("--help prints the usage and exits 0", async () => {
    const { stdout, stderr } = await token("--help");
    expect(stdout).toMatch(/^usage: npm run -s token -- \[options\]/);
    expect(stdout).toContain("--region eu|lagos");
    expect(stderr).toBe("");
  });

  it("an unknown option exits 2 with one line and the usage, no stack trace", async () => {
    const failure = await token("--bogus").catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toMatch(/^token: Unknown option '--bogus'\nusage:/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
