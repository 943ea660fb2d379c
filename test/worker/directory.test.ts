import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { Redis } from "@upstash/redis/cloudflare";
import { decodeJwt } from "jose";
import { describe, expect, inject, it } from "vitest";
import { buildApp } from "../../workers/api/app";
import { verifyApiKey } from "../../workers/api/auth/api-key";
import { REVOCATION_BOUND_MS } from "../../workers/api/auth/revocation-list";
import { loadConfig } from "../../workers/api/env";
import { sha256Hex } from "../../workers/api/oauth/encoding";
import {
  clearDirectoryCache,
  type DirectoryEntry,
  invalidateTenant,
  lookupTenant,
  publishTenant,
} from "../../workers/api/services/tenant-directory";
import { TEST_TENANTS } from "../support/tenants";
import { BASE, call, envelope, tokenFor } from "./helpers";
import { CLI, db, fetchWorker, tokensFor } from "./oauth-helpers";

/*
 * The Upstash layer against the real REST server on the real Redis (test/worker/vitest.config.ts
 * binds it, with this run's key prefix). "Another isolate" is the same Worker code with its own
 * bindings object: per-isolate state (API key copies, the revocation list, the Upstash breaker)
 * is kept per configuration, so a new bindings object starts as a fresh isolate does. The
 * "switchable" REST server (same Redis) is the one tests take down and bring back.
 */

const upstash = inject("upstash");
const redis = new Redis({
  url: upstash.url,
  token: upstash.token,
  automaticDeserialization: false,
  enableTelemetry: false,
});
const keyOf = (kind: string, id?: string) => `${upstash.keyPrefix}${kind}${id === undefined ? "" : `:${id}`}`;
const A = TEST_TENANTS.a.tenantId;
const CONTACTS = "/api/v1/crm/contacts";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function switchable(action: "stop" | "start"): Promise<void> {
  const res = await fetch(`${upstash.controlUrl}/upstash/${action}`, { method: "POST" });
  expect(res.status).toBe(200);
}

interface Health {
  status: string;
  dependencies: Record<string, { status: string }>;
  isolate: { upstash: string; revocation_list: { source: string | null; age_ms: number | null } };
}

/** The Worker with its own bindings: an isolate of its own (its waitUntil work is awaited). */
function isolate(overrides: Partial<Record<keyof Env | "UPSTASH_KEY_PREFIX", string>> = {}) {
  const bindings = { ...env, ...overrides } as Env;
  const app = buildApp();
  const fetchHere = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), bindings, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
  return {
    bindings,
    fetch: fetchHere,
    health: async () => (await (await fetchHere("/health")).json()) as Health,
  };
}

const revoke = (token: string, at: (path: string, init: RequestInit) => Promise<Response> = fetchWorker) =>
  at("/oauth/revoke", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, client_id: CLI }),
  });

/** Polls `check` until it is true or `withinMs` passed; answers whether it became true. */
async function eventually(check: () => Promise<boolean>, withinMs: number, everyMs = 250): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

const unaskedDatabase = () => {
  throw new Error("the database was asked");
};

describe("global directory (tenant → region, tier, status, limits)", () => {
  const config = loadConfig(env);

  it("writes the entry to Upstash after a first lookup, and a fresh isolate reads it from there", async () => {
    await redis.del(keyOf("tenant", A));
    clearDirectoryCache();
    const entry = await lookupTenant(config, db, A);
    expect(entry).toMatchObject({ tenantId: A, region: "eu", status: "active" });

    const stored = await redis.get<string>(keyOf("tenant", A));
    expect(JSON.parse(stored ?? "null")).toEqual(entry);
    // Residency: ids, enums and numbers only.
    expect(Object.keys(JSON.parse(stored ?? "{}")).sort()).toEqual([
      "rateLimits",
      "region",
      "status",
      "tenantId",
      "tier",
    ]);
    expect(await redis.ttl(keyOf("tenant", A))).toBeGreaterThan(0);

    clearDirectoryCache();
    expect(await lookupTenant(config, unaskedDatabase, A)).toEqual(entry);
    // And then from the isolate, without any I/O.
    const offline = loadConfig({ ...env, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" } as Env);
    expect(await lookupTenant(offline, unaskedDatabase, A)).toEqual(entry);
  });

  it("ignores a malformed entry or one naming another region, and asks Postgres", async () => {
    clearDirectoryCache();
    const truth = (await lookupTenant(config, db, A)) as DirectoryEntry;
    for (const bad of [
      "not json",
      JSON.stringify({ ...truth, tier: "platinum" }),
      JSON.stringify({ ...truth, email: "owner@example.com" }),
      JSON.stringify({ ...truth, region: "lagos" }),
    ]) {
      await redis.set(keyOf("tenant", A), bad);
      clearDirectoryCache();
      expect(await lookupTenant(config, db, A)).toEqual(truth);
    }
  });

  it("publishTenant updates the shared entry at once; invalidateTenant drops it", async () => {
    clearDirectoryCache();
    const truth = (await lookupTenant(config, db, A)) as DirectoryEntry;
    const upgraded: DirectoryEntry = {
      ...truth,
      tier: "enterprise",
      rateLimits: { tenant: { limit: 123_456, window_seconds: 60 } },
    };
    await publishTenant(config, upgraded);
    expect(await lookupTenant(config, unaskedDatabase, A)).toEqual(upgraded);
    clearDirectoryCache();
    expect(await lookupTenant(config, unaskedDatabase, A)).toEqual(upgraded);

    await invalidateTenant(config, A);
    expect(await redis.exists(keyOf("tenant", A))).toBe(0);
    expect(await lookupTenant(config, db, A)).toEqual(truth);
  });

  it("answers from Postgres, without an error, when Upstash is unreachable", async () => {
    clearDirectoryCache();
    const down = loadConfig({ ...env, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" } as Env);
    expect(await lookupTenant(down, db, A)).toMatchObject({ tenantId: A, region: "eu" });
    clearDirectoryCache();
    const unset = loadConfig({ ...env, UPSTASH_REDIS_REST_URL: "" } as Env);
    expect(await lookupTenant(unset, db, A)).toMatchObject({ tenantId: A, region: "eu" });
  });
});

describe("API keys: the shared copy in Upstash", () => {
  it("is written after a first verification, holds no personal data, and is deleted by a revocation", async () => {
    const created = await call("/api/v1/iam/api-keys", {
      method: "POST",
      json: { name: "Directory test (Ada Lovelace)", role: "Member", scopes: ["crm:read"] },
    });
    expect(created.status).toBe(201);
    const key = (await envelope<{ id: string; secret: string }>(created)).data;
    expect((await call(CONTACTS, { token: key.secret })).status).toBe(200);

    const shared = keyOf("apikey", await sha256Hex(key.secret));
    const stored = JSON.parse((await redis.get<string>(shared)) ?? "null") as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual([
      "expiresAt",
      "keyId",
      "role",
      "scopes",
      "tenantId",
      "trustedUntil",
    ]);
    expect(stored).toMatchObject({ keyId: key.id, tenantId: A, role: "Member", scopes: ["crm:read"] });
    expect(JSON.stringify(stored)).not.toMatch(/Ada|Lovelace|nxk_/);

    // Another isolate verifies it from the shared copy, without the database.
    const other = loadConfig({ ...env } as Env);
    expect(await verifyApiKey(key.secret, A, other, unaskedDatabase)).toMatchObject({ keyId: key.id });

    expect((await call(`/api/v1/iam/api-keys/${key.id}/revoke`, { method: "POST" })).status).toBe(200);
    expect(await redis.exists(shared)).toBe(0);
    expect((await call(CONTACTS, { token: key.secret })).status).toBe(401);
    const fresh = isolate();
    expect((await fresh.fetch(CONTACTS, { token: key.secret })).status).toBe(401);
  });
});

describe("revoked access tokens at the edge (Upstash up)", () => {
  it("are refused at once by the revoking isolate, by a new one, and by one holding an older list within the bound", async () => {
    const tokens = await tokensFor();
    const { jti, sid } = decodeJwt(tokens.access_token) as { jti: string; sid: string };
    const older = isolate();
    expect((await older.fetch(CONTACTS, { token: tokens.access_token })).status).toBe(200);
    expect((await older.health()).isolate.revocation_list.source).toBe("upstash");

    expect((await revoke(tokens.access_token)).status).toBe(200);
    const refused = await call(CONTACTS, { token: tokens.access_token });
    expect(refused.status).toBe(401);
    expect((await envelope(refused)).errors?.[0]?.message).toBe("Token revoked");

    // Listed in Upstash by jti and by family, until the token (and its family's tokens) expire.
    const listed = keyOf("revoked");
    expect(Number(await redis.zscore(listed, `jti:${jti}`))).toBeGreaterThan(Date.now() / 1000);
    expect(Number(await redis.zscore(listed, `sid:${sid}`))).toBeGreaterThan(Date.now() / 1000);

    expect((await isolate().fetch(CONTACTS, { token: tokens.access_token })).status).toBe(401);
    const stopped = await eventually(
      async () => (await older.fetch(CONTACTS, { token: tokens.access_token })).status === 401,
      REVOCATION_BOUND_MS + 5_000,
    );
    expect(stopped).toBe(true);
  });

  it("a refresh family ended at the token endpoint refuses the access tokens it issued (sid)", async () => {
    const tokens = await tokensFor();
    const other = isolate();
    expect((await other.fetch(CONTACTS, { token: tokens.access_token })).status).toBe(200);
    expect((await revoke(tokens.refresh_token ?? "")).status).toBe(200);
    expect((await call(CONTACTS, { token: tokens.access_token })).status).toBe(401);
    expect((await isolate().fetch(CONTACTS, { token: tokens.access_token })).status).toBe(401);
    // userinfo honours the list too.
    const info = await fetchWorker("/oauth/userinfo", {
      headers: { Authorization: `Bearer ${tokens.access_token}` },
    });
    expect(info.status).toBe(401);
  });
});

describe("Upstash down → requests still served", () => {
  it("serves tokens and API keys from Postgres, /health says so, revocation still takes effect, and it recovers", async () => {
    await switchable("start");
    const region = isolate({ UPSTASH_REDIS_REST_URL: upstash.switchableUrl });
    const tokens = await tokensFor();
    const created = await call("/api/v1/iam/api-keys", {
      method: "POST",
      json: { name: "outage", role: "Member", scopes: ["crm:read"] },
    });
    const apiKey = (await envelope<{ secret: string }>(created)).data.secret;
    expect((await region.fetch(CONTACTS, { token: tokens.access_token })).status).toBe(200);
    expect(await region.health()).toMatchObject({ status: "ok", isolate: { upstash: "in_use" } });

    await switchable("stop");
    try {
      expect((await region.fetch(CONTACTS, { token: tokens.access_token })).status).toBe(200);
      expect((await region.fetch(CONTACTS, { token: apiKey })).status).toBe(200);
      const health = await region.fetch("/health");
      expect(health.status).toBe(200);
      const report = (await health.json()) as Health;
      expect(report.status).toBe("degraded");
      expect(report.dependencies.upstash?.status).toBe("down");
      expect(report.isolate.upstash).toBe("bypassed");

      // A new isolate during the outage: it loads the revocation list from Postgres.
      const newcomer = isolate({ UPSTASH_REDIS_REST_URL: upstash.switchableUrl });
      expect((await newcomer.fetch(CONTACTS, { token: tokens.access_token })).status).toBe(200);
      expect((await newcomer.fetch(CONTACTS, { token: apiKey })).status).toBe(200);
      expect((await newcomer.health()).isolate.revocation_list.source).toBe("postgres");

      // Revoked during the outage: at once here, from Postgres elsewhere (and without Upstash at all).
      expect((await revoke(tokens.access_token, region.fetch)).status).toBe(200);
      expect((await region.fetch(CONTACTS, { token: tokens.access_token })).status).toBe(401);
      expect(
        await eventually(
          async () => (await newcomer.fetch(CONTACTS, { token: tokens.access_token })).status === 401,
          REVOCATION_BOUND_MS + 5_000,
        ),
      ).toBe(true);
      const unset = isolate({ UPSTASH_REDIS_REST_URL: "" });
      expect((await unset.fetch(CONTACTS, { token: tokens.access_token })).status).toBe(401);
      expect((await unset.health()).isolate).toMatchObject({
        upstash: "not_configured",
        revocation_list: { source: "postgres" },
      });
    } finally {
      await switchable("start");
    }

    // Back: /health is ok again, the isolate uses Upstash after its breaker closes, and the
    // revocation recorded during the outage is copied to Upstash for isolates that never fell back.
    const { jti } = decodeJwt(tokens.access_token) as { jti: string };
    const live = await tokenFor();
    const recovered = await eventually(async () => {
      expect((await region.fetch(CONTACTS, { token: live })).status).toBe(200);
      const health = await region.health();
      const listed = await redis.zscore(keyOf("revoked"), `jti:${jti}`);
      return health.status === "ok" && health.isolate.upstash === "in_use" && listed !== null;
    }, 20_000);
    expect(recovered).toBe(true);
    expect((await isolate().fetch(CONTACTS, { token: tokens.access_token })).status).toBe(401);
  }, 60_000);
});
