import { describe, expect, inject, it } from "vitest";
import { cliSignIn } from "../../scripts/lib/cli-sign-in";
import { rowsIn } from "../support/e2e-stack";

const stack = inject("e2e");
const PASSWORD = "a long and sturdy passphrase";

interface Status {
  id: string;
  state: string;
  percent: number;
  region: string;
  tenant_id: string;
  steps: { name: string; state: string; duration_ms: number | null }[];
  sign_in: { issuer: string; client_id: string } | null;
}

async function waitFor(statusUrl: string): Promise<Status> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(statusUrl);
    expect(res.status).toBe(200);
    const status = ((await res.json()) as { data: Status }).data;
    if (status.state !== "running") return status;
    if (Date.now() > deadline) throw new Error(`still running: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** As a new user would: one POST to whichever region is nearest, then the status URL it answers. */
async function activateVia(entry: string, country: string, business: string) {
  const tag = crypto.randomUUID().slice(0, 8);
  const email = `owner-${tag}@${business.toLowerCase().replaceAll(/[^a-z]/g, "")}.example`;
  const res = await fetch(`${entry}/api/v1/activate`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "CF-Connecting-IP": `198.51.100.${Math.floor(Math.random() * 250) + 1}`,
    },
    body: JSON.stringify({
      business_name: `${business} ${tag}`,
      country,
      preset: "retail",
      owner: { name: `Owner ${tag}`, email, password: PASSWORD },
    }),
  });
  expect(res.status, await res.clone().text()).toBe(202);
  const accepted = ((await res.json()) as { data: { id: string; status_url: string; tenant_id: string } })
    .data;
  return { ...accepted, email, status: await waitFor(accepted.status_url) };
}

describe("activation across the two regions (npm run dev)", () => {
  it("a Nigerian business sent to the EU lives only in Lagos, and its owner signs in there", async () => {
    const a = await activateVia(stack.eu, "NG", "Ade Pharmacy");
    expect(a.id).toMatch(/^act_ng_/);
    expect(a.status_url.startsWith(stack.lagos)).toBe(true);
    expect(a.status).toMatchObject({ state: "completed", percent: 100, region: "lagos" });
    expect(a.status.steps.every((s) => s.state === "done" && s.duration_ms !== null)).toBe(true);

    const inLagos = await rowsIn("lagos", "select region, status from tenants where id = $1", [a.tenant_id]);
    expect(inLagos).toEqual([{ region: "lagos", status: "active" }]);
    expect(await rowsIn("eu", "select id from tenants where id = $1", [a.tenant_id])).toEqual([]);
    expect(await rowsIn("eu", "select id from users where email = $1", [a.email])).toEqual([]);
    expect(await rowsIn("eu", "select id from activations where tenant_id = $1", [a.tenant_id])).toEqual([]);

    // The status is readable from the other region too: it is forwarded home.
    const viaEu = await fetch(`${stack.eu}/api/v1/nexus/activation/${a.id}/status`);
    expect(((await viaEu.json()) as { data: Status }).data.state).toBe("completed");

    const tokens = await cliSignIn({ issuer: stack.lagos, email: a.email, password: PASSWORD });
    const contacts = await fetch(`${stack.lagos}/api/v1/crm/contacts`, {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(contacts.status).toBe(200);
    expect(contacts.headers.get("Nexus-Region")).toBe("lagos");
    // The EU has no such account.
    await expect(cliSignIn({ issuer: stack.eu, email: a.email, password: PASSWORD })).rejects.toThrow();
  });

  it("a German business sent to Lagos lands in the EU", async () => {
    const a = await activateVia(stack.lagos, "DE", "Werkzeug Haus");
    expect(a.id).toMatch(/^act_eu_/);
    expect(a.status).toMatchObject({ state: "completed", region: "eu" });
    expect(await rowsIn("eu", "select region from tenants where id = $1", [a.tenant_id])).toEqual([
      { region: "eu" },
    ]);
    expect(await rowsIn("lagos", "select id from tenants where id = $1", [a.tenant_id])).toEqual([]);
    const tokens = await cliSignIn({ issuer: stack.eu, email: a.email, password: PASSWORD });
    expect(tokens.access_token).toBeTruthy();
  });
});
