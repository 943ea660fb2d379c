import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { PlatformEvent } from "../../workers/api/schemas/event";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope, tokenFor } from "./helpers";
import { asTenant } from "./oauth-helpers";
import {
  ENDPOINTS,
  type Endpoint,
  freshTenant,
  hooks,
  receiverUrl,
  register,
  storedRow,
} from "./webhook-helpers";

describe("webhook endpoints: tenant isolation", () => {
  it("answers another tenant's id with the same 404 as a missing one, on every route, and changes nothing", async () => {
    const owner = await tokenFor({ tenant: "a" });
    const intruder = await tokenFor({ tenant: "b" });
    const { body } = await register(owner, { description: "tenant a's" });
    const id = body.data.id;
    const routes: [string, string, unknown][] = [
      ["GET", "", undefined],
      ["PATCH", "", { url: "https://attacker.example.com/", enabled: true }],
      ["POST", "/rotate-secret", {}],
      ["DELETE", "", undefined],
    ];
    for (const [method, suffix, json] of routes) {
      const theirs = await hooks(`/${id}${suffix}`, { method, token: intruder, json });
      const missing = await hooks(`/${crypto.randomUUID()}${suffix}`, { method, token: intruder, json });
      expect(theirs.status, `${method} ${suffix}`).toBe(404);
      expect(theirs.body.errors, `${method} ${suffix}`).toEqual(missing.body.errors);
    }
    const list = await hooks<Endpoint[]>("?limit=200", { token: intruder });
    expect(list.body.data.map((e) => e.id)).not.toContain(id);

    const after = await hooks(`/${id}`, { token: owner });
    expect(after.body.data).toMatchObject({ description: "tenant a's", url: body.data.url });
    expect(after.body.data.secret_rotated_at).toBeNull();
    await hooks(`/${id}`, { method: "DELETE", token: owner });
  });

  it("row-level security: the app role sees and writes only the current tenant's endpoints", async () => {
    const { token, tenantId } = await freshTenant();
    const id = (await register(token)).body.data.id;
    expect(await storedRow(TEST_TENANTS.b.tenantId, id)).toBeUndefined();
    expect(await storedRow(tenantId, id)).toBeDefined();
    await expect(
      asTenant(
        TEST_TENANTS.b.tenantId,
        sql`insert into webhook_endpoints (tenant_id, url, secret_sealed) values (${tenantId}, 'https://x.example/', 'v1.a.b')`,
      ),
    ).rejects.toMatchObject({ code: "42501" });
    // Endpoints are soft-deleted only: the app role cannot delete rows.
    await expect(
      asTenant(tenantId, sql`delete from webhook_endpoints where id = ${id}`),
    ).rejects.toMatchObject({ code: "42501" });
  });
});

describe("webhook endpoints: permissions", () => {
  it("Owner and Admin manage endpoints; Manager reads them; Member, Viewer and Guest get 403", async () => {
    const { tenantId, token } = await freshTenant();
    const id = (await register(token)).body.data.id;
    const as = (role: string) => tokenFor({ tenantId, userId: crypto.randomUUID(), role });
    const admin = await as("Admin");
    expect((await register(admin)).status).toBe(201);
    expect((await hooks(`/${id}`, { method: "PATCH", token: admin, json: { enabled: false } })).status).toBe(
      200,
    );

    const manager = await as("Manager");
    expect((await hooks("", { token: manager })).status).toBe(200);
    expect((await hooks(`/${id}`, { token: manager })).status).toBe(200);
    for (const [method, path, json] of [
      ["POST", "", { url: "https://hooks.example.com/" }],
      ["PATCH", `/${id}`, { enabled: true }],
      ["POST", `/${id}/rotate-secret`, {}],
      ["DELETE", `/${id}`, undefined],
    ] as const) {
      expect((await hooks(path, { method, token: manager, json })).status, `Manager ${method} ${path}`).toBe(
        403,
      );
    }
    for (const role of ["Member", "Viewer", "Guest"]) {
      const t = await as(role);
      expect((await hooks("", { token: t })).status, role).toBe(403);
      expect((await hooks(`/${id}`, { token: t })).status, role).toBe(403);
      expect((await register(t)).status, role).toBe(403);
    }
  });

  it("needs the webhooks scopes: webhooks:read to read, webhooks:write to change (write includes read)", async () => {
    const { tenantId, userId } = await freshTenant();
    const scoped = (scope: string) => tokenFor({ tenantId, userId, scope });
    const crmOnly = await call(ENDPOINTS, { token: await scoped("crm:read crm:write iam:write") });
    expect(crmOnly.status).toBe(403);
    expect(crmOnly.headers.get("WWW-Authenticate")).toContain(
      'error="insufficient_scope", scope="webhooks:read"',
    );
    const reader = await scoped("webhooks:read");
    expect((await hooks("", { token: reader })).status).toBe(200);
    const denied = await register(reader);
    expect(denied.status).toBe(403);
    expect(denied.res.headers.get("WWW-Authenticate")).toContain('scope="webhooks:write"');
    const writer = await scoped("webhooks:write");
    expect((await register(writer)).status).toBe(201);
    expect((await hooks("", { token: writer })).status).toBe(200);
  });

  it("an API key with the webhooks scopes and an Admin role manages endpoints", async () => {
    const minted = await call("/api/v1/iam/api-keys", {
      method: "POST",
      json: { name: "hooks-ci", role: "Admin", scopes: ["webhooks:write"] },
    });
    expect(minted.status).toBe(201);
    const key = (await envelope<{ secret: string }>(minted)).data.secret;
    const made = await call(ENDPOINTS, {
      method: "POST",
      token: null,
      headers: { "X-API-Key": key },
      json: { url: receiverUrl() },
    });
    expect(made.status).toBe(201);
    const id = (await envelope<Endpoint>(made)).data.id;
    expect(
      (await call(`${ENDPOINTS}/${id}`, { method: "DELETE", token: null, headers: { "X-API-Key": key } }))
        .status,
    ).toBe(204);
  });

  it("the event log shows webhook_endpoint events only to callers who may read endpoints", async () => {
    const { tenantId, token } = await freshTenant();
    const id = (await register(token)).body.data.id;
    const eventsAs = async (role: string, scope?: string) => {
      const t = await tokenFor({ tenantId, userId: crypto.randomUUID(), role, ...(scope ? { scope } : {}) });
      const res = await call("/api/v1/events?limit=200", { token: t });
      expect(res.status, role).toBe(200);
      return (await envelope<PlatformEvent[]>(res)).data
        .filter((e) => e.data.id === id)
        .map((e) => e.event_type);
    };
    expect(await eventsAs("Owner")).toEqual(["webhook_endpoint.created"]);
    expect(await eventsAs("Manager")).toEqual(["webhook_endpoint.created"]);
    expect(await eventsAs("Member")).toEqual([]);
    // The role would allow it; the token's scope does not.
    expect(await eventsAs("Owner", "crm:read")).toEqual([]);
    const filtered = await call("/api/v1/events?event_type=webhook_endpoint.", {
      token: await tokenFor({ tenantId, userId: crypto.randomUUID(), role: "Member" }),
    });
    expect((await envelope<PlatformEvent[]>(filtered)).data).toEqual([]);
  });
});
