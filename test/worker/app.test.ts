import { describe, expect, it } from "vitest";
import { TEST_REGION_URLS } from "../support/regions";
import { call, envelope } from "./helpers";

describe("envelope and HTTP semantics", () => {
  it("answers an unknown route with 404 in the envelope", async () => {
    const res = await call("/api/v1/nope");
    expect(res.status).toBe(404);
    const body = await envelope(res);
    expect(body).toMatchObject({ status: "error", errors: [{ code: "NOT_FOUND" }] });
    expect(body.request_id).toBe(res.headers.get("X-Request-Id"));
  });

  it("answers an unknown method on a known path with 405 and Allow", async () => {
    const res = await call("/api/v1/crm/contacts", { method: "PATCH", json: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET, HEAD, POST");
    expect((await envelope(res)).errors?.[0]?.code).toBe("METHOD_NOT_ALLOWED");
    const item = await call(`/api/v1/crm/contacts/${crypto.randomUUID()}`, { method: "POST", json: {} });
    expect(item.status).toBe(405);
    expect(item.headers.get("Allow")).toBe("DELETE, GET, HEAD, PUT");
  });

  it("refuses bodies over 1 MiB with 413, with or without Content-Length", async () => {
    const big = JSON.stringify({ first_name: "x", custom_fields: { blob: "y".repeat(1024 * 1024) } });
    const res = await call("/api/v1/crm/contacts", {
      method: "POST",
      body: big,
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(413);
    expect((await envelope(res)).errors?.[0]?.code).toBe("PAYLOAD_TOO_LARGE");

    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await call("/api/v1/crm/contacts", {
      method: "POST",
      body: stream,
      headers: { "Content-Type": "application/json" },
      // @ts-expect-error duplex is required for streamed bodies
      duplex: "half",
    });
    expect(chunked.status).toBe(413);
  });

  it("refuses non-JSON bodies with 415", async () => {
    const res = await call("/api/v1/crm/contacts", {
      method: "POST",
      body: "first_name=x",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(415);
    expect((await envelope(res)).errors?.[0]?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("echoes a valid X-Request-Id and replaces an unsafe one", async () => {
    const ok = await call("/api/v1/crm/contacts", { headers: { "X-Request-Id": "client-req-000123" } });
    expect(ok.headers.get("X-Request-Id")).toBe("client-req-000123");
    expect((await envelope(ok)).request_id).toBe("client-req-000123");
    const bad = await call("/api/v1/crm/contacts", { headers: { "X-Request-Id": "evil\tvalue<script>" } });
    expect(bad.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sets secure headers and the serving region", async () => {
    const res = await call("/health", { token: null });
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(res.headers.get("Strict-Transport-Security")).toMatch(/max-age=/);
    expect(res.headers.get("Nexus-Region")).toBe("eu");
  });

  it("allows CORS only for configured origins", async () => {
    const allowed = await call("/api/v1/crm/contacts", {
      method: "OPTIONS",
      token: null,
      headers: { Origin: "http://localhost:3000", "Access-Control-Request-Method": "POST" },
    });
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("http://localhost:3000");
    const denied = await call("/api/v1/crm/contacts", {
      method: "OPTIONS",
      token: null,
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
    });
    expect(denied.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});

describe("platform routes", () => {
  it("reports health of each dependency without authentication", async () => {
    const res = await call("/health", { token: null });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      region: string;
      version: string;
      dependencies: Record<string, { status: string }>;
    };
    expect(body.region).toBe("eu");
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.dependencies.db?.status).toBe("up");
    expect(body.dependencies.backend?.status).toBe("up");
    expect(body.dependencies.upstash?.status).toBe("up");
    expect(body.status).toBe("ok");
  });

  it("publishes an OpenAPI 3.1 document listing every route", async () => {
    const res = await call("/openapi.json", { token: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    for (const base of ["/api/v1/crm/contacts", "/api/v1/contacts"]) {
      expect(Object.keys(doc.paths[base] ?? {}).sort()).toEqual(["get", "post"]);
      expect(Object.keys(doc.paths[`${base}/{id}`] ?? {}).sort()).toEqual(["delete", "get", "put"]);
    }
    expect(doc.paths["/health"]).toBeDefined();
  });

  it("states every pattern as a JSON Schema regex (no /flags suffix) that accepts the values it documents", async () => {
    const doc = (await (await call("/openapi.json", { token: null })).json()) as unknown;
    const patterns: { at: string; pattern: string; example?: unknown }[] = [];
    const walk = (node: unknown, at: string) => {
      if (!node || typeof node !== "object") return;
      const o = node as Record<string, unknown>;
      if (typeof o.pattern === "string") patterns.push({ at, pattern: o.pattern, example: o.example });
      for (const [k, v] of Object.entries(o)) walk(v, `${at}/${k}`);
    };
    walk(doc, "#");
    expect(patterns.length).toBeGreaterThan(5);
    for (const { at, pattern, example } of patterns) {
      expect(pattern, at).not.toMatch(/\/[dgimsuvy]+$/);
      // As JSON Schema validators (Ajv) compile them: ECMA-262 with the u flag.
      const re = new RegExp(pattern, "u");
      if (typeof example === "string") expect(re.test(example), `${at}: ${example}`).toBe(true);
    }
    const roleName = patterns.find((p) => p.at === "#/components/schemas/RoleInput/properties/name");
    expect(roleName).toBeDefined();
    const role = new RegExp(roleName?.pattern ?? "", "u");
    for (const name of ["Sales team", "Équipe 2", "ops_eu-1.0"]) expect(role.test(name), name).toBe(true);
    for (const name of [" leading space", "-dash", "semi;colon"]) expect(role.test(name), name).toBe(false);
  });

  it("documents the oauth2 flows beside bearerAuth, both regions, the tags in reading order and an introduction", async () => {
    const doc = (await (await call("/openapi.json", { token: null })).json()) as {
      info: { description: string };
      servers: { url: string }[];
      tags: { name: string }[];
      components: {
        securitySchemes: Record<string, { type: string; flows?: Record<string, Record<string, unknown>> }>;
      };
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    };
    const oauth2 = doc.components.securitySchemes.oauth2;
    expect(oauth2?.type).toBe("oauth2");
    expect(oauth2?.flows?.authorizationCode).toMatchObject({
      authorizationUrl: `${TEST_REGION_URLS.eu}/oauth/authorize`,
      tokenUrl: `${TEST_REGION_URLS.eu}/oauth/token`,
      "x-usePkce": "SHA-256",
    });
    expect(oauth2?.flows?.clientCredentials).toMatchObject({
      tokenUrl: `${TEST_REGION_URLS.eu}/oauth/token`,
    });
    expect(Object.keys(oauth2?.flows?.clientCredentials?.scopes as object)).toContain("crm:read");
    let bearer = 0;
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        if (!op.security?.some((s) => "bearerAuth" in s)) continue;
        bearer++;
        expect(op.security).toContainEqual({ oauth2: [] });
      }
    }
    expect(bearer).toBeGreaterThan(20);
    expect(doc.servers.map((s) => s.url)).toEqual([TEST_REGION_URLS.eu, TEST_REGION_URLS.lagos]);
    expect(doc.tags.slice(0, 3).map((t) => t.name)).toEqual(["crm", "nexus", "iam"]);
    for (const topic of ["Tokens", "Regions", "Errors", "Pagination", "Idempotency"]) {
      expect(doc.info.description).toContain(`**${topic}.**`);
    }
  });

  it("serves the interactive reference at /docs from its own assets", async () => {
    const res = await call("/docs", { token: null });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/openapi.json");
    expect(html).toContain("/docs/assets/scalar-api-reference.js");
    expect(html).not.toContain("cdn.jsdelivr.net");
  });
});

describe("residency", () => {
  it("forwards a token of another region, and refuses a second hop with 508", async () => {
    const { tokenFor } = await import("./helpers");
    const lagos = await tokenFor({ region: "lagos" });
    // Nothing listens on the Lagos URL inside this test: forwarding is attempted and reported as 503.
    const forwarded = await call("/api/v1/crm/contacts", { token: lagos });
    expect(forwarded.status).toBe(503);
    expect(forwarded.headers.get("Retry-After")).toBeTruthy();
    const loop = await call("/api/v1/crm/contacts", {
      token: lagos,
      headers: { "Nexus-Forwarded-From": "lagos" },
    });
    expect(loop.status).toBe(508);
    expect((await envelope(loop)).errors?.[0]?.code).toBe("LOOP_DETECTED");
  });
});
