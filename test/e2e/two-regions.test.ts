import { describe, expect, inject, it } from "vitest";
import { DEMO_TENANTS } from "../../db/seed/demo";
import { rowsIn, stackToken } from "../support/e2e-stack";

const stack = inject("e2e");

describe("the local two-region stack (npm run dev)", () => {
  it("serves /health on both regions with every dependency up", async () => {
    for (const [region, url] of [
      ["eu", stack.eu],
      ["lagos", stack.lagos],
    ] as const) {
      const res = await fetch(`${url}/health`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        status: string;
        region: string;
        dependencies: Record<string, { status: string }>;
      };
      expect(body.region).toBe(region);
      expect(body.status).toBe("ok");
      expect(body.dependencies).toMatchObject({
        db: { status: "up" },
        upstash: { status: "up" },
        backend: { status: "up" },
      });
    }
  });

  it("prints how to get a token, and the token works", async () => {
    expect(stack.output).toContain("npm run -s token -- --region eu --role Owner");
    const res = await fetch(`${stack.eu}/api/v1/crm/contacts`, {
      headers: { Authorization: `Bearer ${await stackToken("eu")}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { tags: string[] }[] };
    expect(body.data.filter((c) => c.tags.includes("demo")).length).toBe(3);
  });

  it("counts a request forwarded from Lagos under the client's address, as Lagos signed it", async () => {
    const eu = await stackToken("eu");
    const ipLayer = (res: Response) => /"ip";r=(\d+);/.exec(res.headers.get("RateLimit") ?? "")?.[1];
    const viaLagos = (ip: string) =>
      fetch(`${stack.lagos}/api/v1/crm/contacts?limit=1`, {
        headers: { Authorization: `Bearer ${eu}`, "CF-Connecting-IP": ip },
      });
    // Fresh addresses: each starts a window of its own in the EU tenant's per-IP layer.
    const a = await viaLagos(`198.51.100.${Math.floor(Math.random() * 250) + 1}`);
    const b = await viaLagos(`2001:db8:${Math.floor(Math.random() * 65535).toString(16)}::1`);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.headers.get("Nexus-Region")).toBe("eu");
    // Both untouched addresses: had they been counted under the Lagos Worker's address, the second would show one less.
    expect([ipLayer(a), ipLayer(b)]).toEqual(["9999", "9999"]);
  });

  it("stores a contact created with an EU token through the Lagos port in the EU database only", async () => {
    const email = `residency-${crypto.randomUUID()}@example.com`;
    const res = await fetch(`${stack.lagos}/api/v1/crm/contacts`, {
      method: "POST",
      headers: { Authorization: `Bearer ${await stackToken("eu")}`, "Content-Type": "application/json" },
      // The EU demo tenant is a professional-services firm: its contacts need client_status.
      body: JSON.stringify({ first_name: "Residency", email, custom_fields: { client_status: "prospect" } }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Nexus-Region")).toBe("eu");
    const { data } = (await res.json()) as { data: { id: string } };

    const inEu = await rowsIn("eu", "select tenant_id from contacts where id = $1", [data.id]);
    expect(inEu).toEqual([{ tenant_id: DEMO_TENANTS.eu.tenantId }]);
    expect(
      await rowsIn("lagos", "select 1 from contacts where id = $1 or email = $2", [data.id, email]),
    ).toEqual([]);
    expect(
      await rowsIn("lagos", "select 1 from outbox_events where payload->'data'->>'id' = $1", [data.id]),
    ).toEqual([]);
  });

  it("serves a Lagos token sent to the EU port from Lagos", async () => {
    const res = await fetch(`${stack.eu}/api/v1/crm/contacts?limit=10`, {
      headers: { Authorization: `Bearer ${await stackToken("lagos")}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Nexus-Region")).toBe("lagos");
    const body = (await res.json()) as { data: { id: string }[] };
    expect(body.data.length).toBeGreaterThan(0);
    expect(body.data.every((c) => c.id.startsWith(DEMO_TENANTS.lagos.tenantId.slice(0, 8)))).toBe(true);
  });

  it("answers every /api response in the envelope, including errors", async () => {
    const auth = { Authorization: `Bearer ${await stackToken("eu")}` };
    const cases: [string, RequestInit, number][] = [
      ["/api/v1/crm/contacts", {}, 401],
      ["/api/v1/crm/contacts", { headers: auth }, 200],
      ["/api/v1/unknown", { headers: auth }, 404],
      ["/api/v1/crm/contacts", { method: "PATCH", headers: auth }, 405],
      [`/api/v1/crm/contacts/${crypto.randomUUID()}`, { headers: auth }, 404],
    ];
    for (const [path, init, status] of cases) {
      const res = await fetch(`${stack.lagos}${path}`, init);
      expect(res.status, path).toBe(status);
      const body = (await res.json()) as { status: string; request_id: string };
      expect(body.status).toBe(status < 400 ? "success" : "error");
      expect(body.request_id).toBe(res.headers.get("X-Request-Id"));
    }
  });
});
