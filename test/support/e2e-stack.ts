import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { neon, neonConfig } from "@neondatabase/serverless";
import { inject } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The two-region stack of the e2e global setup (test/support/e2e-global-setup.ts). */
export const e2eStack = () => inject("e2e");

/** `npm run token` as the README shows it, against this stack's data folder. */
export async function stackToken(region: "eu" | "lagos", role = "Owner"): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      "node_modules/tsx/dist/cli.mjs",
      "scripts/token.ts",
      "--region",
      region,
      "--role",
      role,
      "--data-dir",
      e2eStack().dataDir,
    ],
    { cwd: root },
  );
  return stdout.trim();
}

/** Reads a region's database directly, through its gateway, as the superuser. */
export async function rowsIn(region: "eu" | "lagos", text: string, params: unknown[]) {
  neonConfig.fetchEndpoint = `${e2eStack().gateways[region]}/sql`;
  return neon("postgres://postgres@localhost/postgres").query(text, params);
}
