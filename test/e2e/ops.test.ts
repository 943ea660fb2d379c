import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { cliSignIn } from "../../scripts/lib/cli-sign-in";
import { cliConfigDir, nexus } from "../support/nexus-cli";

const stack = inject("e2e");
const root = fileURLToPath(new URL("../..", import.meta.url));

/** `npm run ops -- …` against this stack (its data folder names the gateways and Upstash). */
async function ops(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["node_modules/tsx/dist/cli.mjs", "scripts/ops.ts", ...args, "--data-dir", stack.dataDir],
      { cwd: root, timeout: 60_000 },
    );
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

async function statusOf(url: string, token: string): Promise<number> {
  return (await fetch(url, { headers: { Authorization: `Bearer ${token}` } })).status;
}

/** Polls until the answer is `status` (the edge's tenant cache lives up to 30 s), bounded. */
async function eventually(read: () => Promise<number>, status: number): Promise<number> {
  let last = 0;
  for (let i = 0; i < 90; i++) {
    last = await read();
    if (last === status) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}

describe("operator commands (npm run ops) and nexus activate against npm run dev", () => {
  it("activate a Ghanaian business through the EU, then show, re-tier, limit, suspend and resume it", async () => {
    const stamp = Date.now().toString(36);
    const email = `owner-${stamp}@ops.example`;
    const password = `ops passphrase ${stamp} violet harbour`;
    const activated = await nexus(
      cliConfigDir(),
      [
        "--base-url",
        stack.eu,
        "activate",
        "--business-name",
        `Ops Test ${stamp}`,
        "--slug",
        `ops-test-${stamp}`,
        "--country",
        "GH",
        "--preset",
        "retail",
        "--owner-name",
        "Ama Mensah",
        "--owner-email",
        email,
      ],
      { NEXUS_OWNER_PASSWORD: password },
    );
    expect(activated.stderr).toMatch(/100%\s+completed/);
    expect(activated.code).toBe(0);
    expect(activated.stdout).toContain("Activated.");
    expect(activated.stdout).toContain(`nexus login --base-url ${stack.lagos}`);

    const shown = await ops(["tenant", "show", `ops-test-${stamp}`, "--json"]);
    expect(shown.code).toBe(0);
    const tenant = JSON.parse(shown.stdout);
    expect(tenant).toMatchObject({ region: "lagos", status: "active", country: "GH", industry: "retail" });

    const tiered = await ops(["tenant", "set-tier", tenant.id, "enterprise", "--json"]);
    expect(JSON.parse(tiered.stdout).tenant).toMatchObject({
      tier: "enterprise",
      limits_in_force: { tenant: "2000/60s" },
    });
    const limited = await ops(["tenant", "set-limits", tenant.id, "--tenant", "5000/60", "--json"]);
    expect(JSON.parse(limited.stdout)).toMatchObject({
      directory: "invalidated",
      tenant: {
        rate_limits: { tenant: { limit: 5000, window_seconds: 60 } },
        limits_in_force: { tenant: "5000/60s" },
      },
    });
    const usage = await ops(["tenant", "set-limits", tenant.id]);
    expect(usage.code).toBe(2);

    const tokens = await cliSignIn({ issuer: stack.lagos, email, password });
    const contacts = `${stack.lagos}/api/v1/crm/contacts`;
    expect(await statusOf(contacts, tokens.access_token)).toBe(200);
    const suspended = await ops(["tenant", "suspend", tenant.id]);
    expect(suspended.code).toBe(0);
    expect(suspended.stdout).toMatch(/status\s+suspended/);
    expect(await eventually(() => statusOf(contacts, tokens.access_token), 403)).toBe(403);
    await ops(["tenant", "resume", tenant.id]);
    expect(await eventually(() => statusOf(contacts, tokens.access_token), 200)).toBe(200);
  }, 180_000);

  it("migrations status and health summarise both regions", async () => {
    const migrations = await ops(["migrations", "status"]);
    expect(migrations.code).toBe(0);
    expect(migrations.stdout).toMatch(/^eu\s+\d+\/\d+ applied, up to date$/m);
    expect(migrations.stdout).toMatch(/^lagos\s+\d+\/\d+ applied, up to date$/m);
    const health = await ops(["health", "--json"]);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toEqual([
      expect.objectContaining({ region: "eu", status: "ok", url: stack.eu }),
      expect.objectContaining({ region: "lagos", status: "ok", url: stack.lagos }),
    ]);
    const unknown = await ops(["tenant", "show", "no-such-tenant"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no tenant no-such-tenant in eu or lagos");
  }, 120_000);
});
