import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { buildApp } from "../../workers/api/app";
import { BASE, envelope, tokenFor } from "./helpers";

/** The same Worker with one binding changed: what a region sees when a dependency is down. */
async function callWith(overrides: Partial<Env>, path: string, init: RequestInit = {}) {
  const app = buildApp();
  const ctx = createExecutionContext();
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${await tokenFor()}`);
  const started = Date.now();
  const response = await app.fetch(
    new Request(`${BASE}${path}`, { ...init, headers }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { response, elapsedMs: Date.now() - started };
}

describe("a dependency down", () => {
  it("answers 503 with Retry-After, fast, when the database endpoint is unreachable", async () => {
    const { response, elapsedMs } = await callWith(
      { DATABASE_HTTP_URL: "http://127.0.0.1:9/sql" },
      "/api/v1/crm/contacts",
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    const body = await envelope(response);
    expect(body.errors?.[0]).toMatchObject({ code: "SERVICE_UNAVAILABLE", message: "Database unavailable" });
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|fetch|stack/i);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it("answers 503 with Retry-After within DATABASE_TIMEOUT_MS when the database endpoint never answers", async () => {
    // The webhook receiver's hang mode: it takes each request and never answers (a frozen gateway).
    const receiver = inject("webhookReceiverUrl");
    await fetch(`${receiver}/control/frozen-database?hang=20`, { method: "POST" });
    const frozen = { DATABASE_HTTP_URL: `${receiver}/hooks/frozen-database`, DATABASE_TIMEOUT_MS: "1000" };
    const requests = [
      ["/api/v1/crm/contacts", {}],
      [
        "/api/v1/crm/contacts",
        {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ first_name: "Frozen" }),
        },
      ],
    ] as const;
    for (const [path, init] of requests) {
      const { response, elapsedMs } = await callWith(frozen, path, init);
      expect(response.status).toBe(503);
      expect(response.headers.get("Retry-After")).toBe("5");
      const body = await envelope(response);
      expect(body.errors?.[0]).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
      // One deadline (1 s), not the receiver's 10 s hang; a margin for a loaded machine.
      expect(elapsedMs).toBeGreaterThanOrEqual(900);
      expect(elapsedMs).toBeLessThan(3000);
    }
  });

  it("writes nothing and answers 503 when a write cannot reach the database", async () => {
    const { response } = await callWith(
      { DATABASE_HTTP_URL: "http://127.0.0.1:9/sql" },
      "/api/v1/crm/contacts",
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ first_name: "Lost" }),
      },
    );
    expect(response.status).toBe(503);
  });

  it("reports the database down in /health with 503, and optional dependencies as down but still serving", async () => {
    const dbDown = await callWith({ DATABASE_HTTP_URL: "http://127.0.0.1:9/sql" }, "/health");
    expect(dbDown.response.status).toBe(503);
    expect(dbDown.response.headers.get("Retry-After")).toBeTruthy();
    const body = (await dbDown.response.json()) as {
      status: string;
      dependencies: Record<string, { status: string }>;
    };
    expect(body.status).toBe("down");
    expect(body.dependencies.db?.status).toBe("down");

    const upstashDown = await callWith(
      {
        UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9",
        UPSTASH_REDIS_REST_TOKEN: "x",
        BACKEND_URL: "http://127.0.0.1:9",
      },
      "/health",
    );
    expect(upstashDown.response.status).toBe(200);
    const degraded = (await upstashDown.response.json()) as {
      status: string;
      dependencies: Record<string, { status: string }>;
    };
    expect(degraded.status).toBe("degraded");
    expect(degraded.dependencies.upstash?.status).toBe("down");
    expect(degraded.dependencies.backend?.status).toBe("down");
  });

  it("fails loudly on a misconfigured deployment, without leaking the configuration", async () => {
    const { response } = await callWith({ JWKS: "not json" }, "/api/v1/crm/contacts");
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toMatch(/JWKS|not json/);
  });
});
