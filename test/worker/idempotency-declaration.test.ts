import { createRoute } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { handleError } from "../../workers/api/lib/error-handler";
import {
  acceptsIdempotencyKey,
  IdempotencyRoutes,
  idempotencyLockId,
  isRecordedStatus,
  refusesIdempotencyKey,
  requestFingerprint,
  validIdempotencyKey,
} from "../../workers/api/lib/idempotency";
import { createRouter } from "../../workers/api/lib/openapi";
import { idempotency } from "../../workers/api/middleware/idempotency";

// The declaration mechanism on routes of its own: the app has no route that requires a key yet
// (payment initiation will), and no test-only route is added to it. Only the paths that answer
// before any database work are exercised here; test/worker/idempotency.test.ts runs the rest.

function appWith(declarations: Record<string, object>) {
  const app = createRouter();
  const routes = new IdempotencyRoutes();
  app.use("/api/*", async (c, next) => {
    c.set("actor", {
      userId: "aaaaaaaa-0000-4000-8000-0000000000a1",
      credential: "access_token",
      tenantId: "aaaaaaaa-0000-4000-8000-000000000001",
      role: "Owner",
      scopes: [],
    });
    c.set("requestId", "unit-test-request");
    await next();
  });
  app.use("/api/*", idempotency(routes));
  for (const [path, declaration] of Object.entries(declarations)) {
    app.openapi(
      createRoute({ method: "post", path, ...declaration, responses: { 200: { description: "ok" } } }),
      (c) => c.json({ ran: true }, 200),
    );
  }
  for (const def of app.openAPIRegistry.definitions) if (def.type === "route") routes.add(def.route);
  app.onError(handleError);
  return app;
}

const app = appWith({
  "/api/pay/{id}": acceptsIdempotencyKey("required"),
  "/api/optional": acceptsIdempotencyKey(),
  "/api/secret": refusesIdempotencyKey(),
  "/api/undeclared": {},
});

async function errorOf(res: Response) {
  return ((await res.json()) as { errors: { code: string; field?: string }[] }).errors[0];
}

describe("idempotency declarations", () => {
  it("refuses a request without the key on a route that requires it, with 400 naming the header", async () => {
    const res = await app.request("/api/pay/123", { method: "POST" });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "VALIDATION_ERROR", field: "Idempotency-Key" });
  });

  it("lets a request without the key through where the key is optional or refused", async () => {
    for (const path of ["/api/optional", "/api/secret"]) {
      const res = await app.request(path, { method: "POST" });
      expect(res.status, path).toBe(200);
    }
  });

  it("refuses a key on a route that refuses keys, and on a POST route that declares nothing", async () => {
    for (const path of ["/api/secret", "/api/undeclared"]) {
      const res = await app.request(path, { method: "POST", headers: { "Idempotency-Key": "k-1" } });
      expect(res.status, path).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: "VALIDATION_ERROR", field: "Idempotency-Key" });
    }
  });

  it("documents the header as required or optional, and the mode as x-idempotency", () => {
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    expect(doc.paths?.["/api/pay/{id}"]?.post).toMatchObject({
      "x-idempotency": "required",
      parameters: [{ $ref: "#/components/parameters/IdempotencyKeyRequired" }],
    });
    expect(doc.paths?.["/api/optional"]?.post?.parameters).toEqual([
      { $ref: "#/components/parameters/IdempotencyKey" },
    ]);
    expect(doc.paths?.["/api/secret"]?.post).toMatchObject({ "x-idempotency": "refused" });
  });

  it("maps OpenAPI paths to Hono's and ignores other methods", () => {
    const routes = new IdempotencyRoutes();
    routes.add({ method: "post", path: "/api/v1/x/{id}/go", "x-idempotency": "optional" });
    routes.add({ method: "get", path: "/api/v1/y", "x-idempotency": "optional" });
    expect(routes.modeOf("/api/v1/x/:id/go")).toBe("optional");
    expect(routes.modeOf("/api/v1/y")).toBeUndefined();
  });
});

describe("idempotency helpers", () => {
  it("accepts 1–255 visible ASCII characters only", () => {
    expect(validIdempotencyKey("a".repeat(255))).toHaveLength(255);
    expect(validIdempotencyKey("!~")).toBe("!~");
    for (const bad of ["", "a".repeat(256), "a b", "tab\there", "é", "\u0000"]) {
      expect(() => validIdempotencyKey(bad), JSON.stringify(bad)).toThrow(/Idempotency-Key/);
    }
  });

  it("fingerprints method, path with query and the exact body bytes", async () => {
    const body = (text: string) => new TextEncoder().encode(text).buffer as ArrayBuffer;
    const base = await requestFingerprint("POST", "/api/a?x=1", body('{"a":1}'));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(await requestFingerprint("post", "/api/a?x=1", body('{"a":1}'))).toBe(base);
    expect(await requestFingerprint("POST", "/api/a?x=2", body('{"a":1}'))).not.toBe(base);
    expect(await requestFingerprint("POST", "/api/a?x=1", body('{"a": 1}'))).not.toBe(base);
  });

  it("derives a signed 64-bit lock id per tenant, credential and key", async () => {
    const id = await idempotencyLockId("t", "access_token:u", "k");
    expect(id).toMatch(/^-?\d{1,19}$/);
    expect(await idempotencyLockId("t", "access_token:u", "k")).toBe(id);
    expect(await idempotencyLockId("t2", "access_token:u", "k")).not.toBe(id);
    expect(await idempotencyLockId("t", "api_key:u", "k")).not.toBe(id);
  });

  it("records outcomes, not refusals or failures", () => {
    for (const s of [200, 201, 204, 404, 409, 422]) expect(isRecordedStatus(s), String(s)).toBe(true);
    for (const s of [400, 401, 403, 405, 413, 415, 429, 500, 503])
      expect(isRecordedStatus(s), String(s)).toBe(false);
  });
});
