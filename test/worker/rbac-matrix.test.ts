import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../workers/api/app";
import { PERMISSIONS, type Permission, ROLE_PERMISSIONS } from "../../workers/api/auth/permissions";
import { call } from "./helpers";
import { tokensFor } from "./oauth-helpers";

/** Every /api/ operation of the OpenAPI registry, with the permission it declares. */
const allApiRoutes = buildApp()
  .openAPIRegistry.definitions.flatMap((d) => (d.type === "route" ? [d.route] : []))
  .filter((r) => r.path.startsWith("/api/"))
  .map((r) => ({
    method: r.method.toUpperCase(),
    path: r.path,
    permission: (r as unknown as Record<string, unknown>)["x-permission"] as
      | Permission
      | "self"
      | "public"
      | undefined,
    public: (r as unknown as Record<string, unknown>)["x-public"] === true,
    // A body only where the operation declares one: any other body is refused before access is.
    body: r.request?.body === undefined ? {} : { json: {} },
    // A route that requires Idempotency-Key refuses a request without one before access is checked.
    headers: ((r as unknown as Record<string, unknown>)["x-idempotency"] === "required"
      ? { "Idempotency-Key": crypto.randomUUID() }
      : {}) as Record<string, string>,
  }));
/**
 * Self-service routes (`x-permission: self`, the caller's own MFA) are open to every signed-in
 * principal by design and act on the caller only; every other route is held to its permission.
 */
const selfRoutes = allApiRoutes.filter((r) => r.permission === "self");
/** Public routes (`publicRoute()`: industry presets, sign-up and its status) read no credential at all. */
const publicRoutes = allApiRoutes.filter((r) => r.public);
const signedInRoutes = allApiRoutes.filter((r) => !r.public);
const apiRoutes = signedInRoutes.filter((r) => r.permission !== "self");

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/**
 * POSTs a Viewer may send that change no record: talking to an agent (chat, execute, cancel,
 * approve). Its tools act as the Viewer, so they only read (test/worker/ai-runs.test.ts).
 */
const VIEWER_USE = new Set(["ai.runs.write"]);

function request(route: (typeof apiRoutes)[number], token: string) {
  const path = route.path.replace(/\{[^}]+\}/g, crypto.randomUUID());
  return call(path, { method: route.method, token, headers: route.headers, ...route.body });
}

describe("RBAC matrix over every registered /api/ route", () => {
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    // Real tokens from the authorization server for the seeded users of each role.
    for (const role of ["Viewer", "Guest", "Member"]) {
      tokens[role] = (await tokensFor({ email: `${role.toLowerCase()}@tenant-a.example` })).access_token;
    }
  });

  it("every /api/ route but the public ones, self-service included, answers 401 in the envelope without a credential", async () => {
    for (const route of signedInRoutes) {
      const path = route.path.replace(/\{[^}]+\}/g, crypto.randomUUID());
      const res = await call(path, {
        method: route.method,
        token: null,
        ...route.body,
      });
      const label = `${route.method} ${route.path}`;
      expect(res.status, label).toBe(401);
      expect(res.headers.get("WWW-Authenticate"), label).toContain("Bearer");
      expect(((await res.json()) as { errors: { code: string }[] }).errors[0]?.code, label).toBe(
        "UNAUTHENTICATED",
      );
    }
  });

  it("public routes are declared as such and answer without a credential (reads 200)", async () => {
    expect(publicRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      [
        "GET /api/v1/nexus/activation/{id}/status",
        "GET /api/v1/activation/{id}/status",
        "GET /api/v1/presets",
        "GET /api/v1/presets/{id}",
        "GET /api/v1/nexus/presets",
        "GET /api/v1/nexus/presets/{id}",
        "POST /api/v1/activate",
        "POST /api/v1/nexus/activate",
        "GET /api/v1/realtime",
        "POST /api/v1/payments/webhook/{provider}/{connection_id}",
      ].sort(),
    );
    for (const route of allApiRoutes) {
      // x-public and x-permission: public come together (publicRoute()), never one alone.
      expect(route.public, `${route.method} ${route.path}`).toBe(route.permission === "public");
    }
    // Sign-up and provider webhooks are the public writes; activation.test.ts covers sign-up and its
    // status, finance-webhooks*.test.ts the webhooks (the signature is the credential),
    // realtime.test.ts the WebSocket upgrade (its ticket is the credential).
    const reads = publicRoutes.filter(
      (r) => r.method === "GET" && !r.path.includes("activation") && r.path !== "/api/v1/realtime",
    );
    for (const route of reads) {
      const path = route.path.replace("{id}", "retail");
      const res = await call(path, { method: route.method, token: null });
      expect(res.status, `${route.method} ${route.path}`).toBe(200);
    }
  });

  it("every route declares a permission from the catalogue", () => {
    expect(apiRoutes.length).toBeGreaterThan(20);
    for (const route of apiRoutes)
      expect(PERMISSIONS, `${route.method} ${route.path}`).toContain(route.permission);
  });

  it("declares the CRM's lead and opportunity routes, under both base paths, with their permissions", () => {
    const declared = new Map(apiRoutes.map((r) => [`${r.method} ${r.path}`, r.permission]));
    for (const [base, resource] of [
      ["/api/v1/crm/leads", "leads"],
      ["/api/v1/leads", "leads"],
      ["/api/v1/crm/opportunities", "opportunities"],
      ["/api/v1/opportunities", "opportunities"],
    ] as const) {
      expect(declared.get(`GET ${base}`)).toBe(`crm.${resource}.read`);
      expect(declared.get(`GET ${base}/{id}`)).toBe(`crm.${resource}.read`);
      for (const write of [`POST ${base}`, `PATCH ${base}/{id}`, `DELETE ${base}/{id}`]) {
        expect(declared.get(write), write).toBe(`crm.${resource}.write`);
      }
    }
    expect(declared.get("POST /api/v1/crm/leads/{id}/convert")).toBe("crm.leads.write");
    expect(declared.get("POST /api/v1/leads/{id}/convert")).toBe("crm.leads.write");
  });

  it("a Viewer reaches every CRM read (contacts, leads, opportunities) and no CRM write", async () => {
    const crm = apiRoutes.filter((r) => r.permission?.startsWith("crm."));
    expect(crm.length).toBeGreaterThanOrEqual(30);
    for (const route of crm) {
      const status = (await request(route, tokens.Viewer ?? "")).status;
      const label = `${route.method} ${route.path} → ${status}`;
      if (route.method === "GET") expect([200, 404], label).toContain(status);
      else expect(status, label).toBe(403);
    }
  });

  it("a Viewer gets 403 on every write route and every iam route", async () => {
    // A POST guarded by a read permission is a read with a body (POST /api/v1/search): not a write.
    const writes = apiRoutes.filter(
      (r) =>
        (WRITES.has(r.method) &&
          !VIEWER_USE.has(r.permission ?? "") &&
          !String(r.permission).endsWith(".read")) ||
        r.path.startsWith("/api/v1/iam/"),
    );
    for (const route of writes) {
      expect((await request(route, tokens.Viewer ?? "")).status, `${route.method} ${route.path}`).toBe(403);
    }
  });

  it.each(["Viewer", "Guest", "Member"] as const)(
    "a %s gets 403 exactly where its permissions say so",
    async (role) => {
      for (const route of apiRoutes) {
        const status = (await request(route, tokens[role] ?? "")).status;
        const allowed = ROLE_PERMISSIONS[role].includes(route.permission as Permission);
        const label = `${role} ${route.method} ${route.path} → ${status}`;
        if (allowed) expect(status, label).not.toBe(403);
        else expect(status, label).toBe(403);
      }
    },
  );

  it("self-service routes are only the caller's own MFA, and every role reaches them", async () => {
    expect(selfRoutes.map((r) => r.path).every((p) => p.startsWith("/api/v1/iam/mfa/"))).toBe(true);
    expect(selfRoutes.length).toBeGreaterThan(0);
    // Bodies are empty ({}), so the answer is a validation error or a state conflict, never 403.
    for (const route of selfRoutes.filter((r) => r.path !== "/api/v1/iam/mfa/totp")) {
      for (const role of ["Viewer", "Guest", "Member"]) {
        expect(
          (await request(route, tokens[role] ?? "")).status,
          `${role} ${route.method} ${route.path}`,
        ).not.toBe(403);
      }
    }
  });

  it("a Guest gets 403 on every /api/ route but its own MFA (it holds no permission)", async () => {
    expect(ROLE_PERMISSIONS.Guest).toEqual([]);
    for (const route of apiRoutes) {
      expect((await request(route, tokens.Guest ?? "")).status, `${route.method} ${route.path}`).toBe(403);
    }
  });
});
