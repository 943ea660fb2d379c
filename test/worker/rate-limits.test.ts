import { env, runInDurableObject } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../durable-objects/rate-limiter";
import { mintApiKey } from "../../workers/api/auth/api-key-format";
import { FORWARDED_CLIENT_HEADER, FORWARDED_FROM_HEADER } from "../../workers/api/auth/forwarded-client";
import { CREDENTIAL_LOOKUP_LIMIT } from "../../workers/api/limits/per-address";
import { limiterName } from "../../workers/api/limits/request-limits";
import { TEST_REGION_URLS } from "../support/regions";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope, signingKeys } from "./helpers";
import { asTenant } from "./oauth-helpers";
import { hit, limitedTenant, only, statuses } from "./rate-limit-helpers";

const user = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const ipv4 = (n: number) => `203.0.113.${n}`;

// One structured-field list item per layer: "name";q=…;w=… and "name";r=…;t=….
const POLICY_ITEM = /^"(tenant|user|ip|burst)";q=\d+;w=\d+$/;
const STATE_ITEM = /^"(tenant|user|ip|burst)";r=\d+;t=\d+$/;

describe("layered rate limits: exactly L of L+k concurrent requests pass", () => {
  it("per tenant: across users and addresses", async () => {
    const tenantId = await limitedTenant(only({ tenant: { limit: 12, window_seconds: 600 } }));
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => hit(tenantId, { userId: user(i), ip: ipv4(i) })),
    );
    expect(statuses(responses)).toEqual({ 200: 12, 429: 8 });
  });

  it("per user: one credential from many addresses", async () => {
    const tenantId = await limitedTenant(only({ user: { limit: 9, window_seconds: 3600 } }));
    const responses = await Promise.all(Array.from({ length: 15 }, (_, i) => hit(tenantId, { ip: ipv4(i) })));
    expect(statuses(responses)).toEqual({ 200: 9, 429: 6 });
    // Another user of the same tenant has its own allowance.
    expect((await hit(tenantId, { userId: user(77) })).status).toBe(200);
  });

  it("per IP: many users behind one address", async () => {
    const tenantId = await limitedTenant(only({ ip: { limit: 7, window_seconds: 3600 } }));
    const responses = await Promise.all(
      Array.from({ length: 13 }, (_, i) => hit(tenantId, { userId: user(i) })),
    );
    expect(statuses(responses)).toEqual({ 200: 7, 429: 6 });
    expect((await hit(tenantId, { userId: user(99), ip: ipv4(200) })).status).toBe(200);
  });

  it("burst: one credential's short window", async () => {
    const tenantId = await limitedTenant(only({ burst: { limit: 10, window_seconds: 60 } }));
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => hit(tenantId, { ip: ipv4(i) })));
    expect(statuses(responses)).toEqual({ 200: 10, 429: 6 });
  });

  it("tier defaults apply without overrides (Starter: 100 per minute)", async () => {
    const tenantId = await limitedTenant({}, "starter");
    const first = await hit(tenantId);
    expect(first.status).toBe(200);
    expect(first.headers.get("RateLimit-Policy")).toBe(
      '"tenant";q=100;w=60, "user";q=1000;w=3600, "ip";q=10000;w=3600, "burst";q=200;w=60',
    );
    const enterprise = await hit(await limitedTenant({}, "enterprise"));
    expect(enterprise.headers.get("RateLimit-Policy")).toMatch(/^"tenant";q=2000;w=60, /);
  });

  it("a refused request consumes nothing in the other layers", async () => {
    const tenantId = await limitedTenant(
      only({ user: { limit: 2, window_seconds: 3600 }, tenant: { limit: 5, window_seconds: 3600 } }),
    );
    for (let i = 0; i < 6; i++) await hit(tenantId); // 2 pass, 4 refused by the user layer
    // The tenant layer counted only the 2 that passed: 3 more users get through, then it is full.
    const others = await Promise.all(
      Array.from({ length: 5 }, (_, i) => hit(tenantId, { userId: user(i + 10) })),
    );
    expect(statuses(others)).toEqual({ 200: 3, 429: 2 });
  });
});

describe("sliding windows", () => {
  it("a burst of L just before a fixed window's boundary and L just after: L pass, not 2L", async () => {
    const tenantId = await limitedTenant(only({ tenant: { limit: 5, window_seconds: 2 } }));
    // Just before a 2 s boundary, where a fixed window would start counting afresh.
    const toBoundary = 2000 - (Date.now() % 2000);
    if (toBoundary < 600) await new Promise((r) => setTimeout(r, toBoundary + 1400));
    else if (toBoundary > 600) await new Promise((r) => setTimeout(r, toBoundary - 600));
    const before = await Promise.all(Array.from({ length: 5 }, (_, i) => hit(tenantId, { ip: ipv4(i) })));
    const boundary = Math.ceil(Date.now() / 2000) * 2000;
    await new Promise((r) => setTimeout(r, boundary - Date.now() + 50));
    const after = await Promise.all(Array.from({ length: 5 }, (_, i) => hit(tenantId, { ip: ipv4(i + 10) })));
    expect([statuses(before), statuses(after)]).toEqual([{ 200: 5 }, { 429: 5 }]);
    // Refused until the first burst leaves the window, 2 s after it: then the allowance is back.
    const retryAfter = Number(after[0]?.headers.get("Retry-After"));
    expect(retryAfter).toBeLessThanOrEqual(3);
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    expect((await hit(tenantId, { ip: ipv4(30) })).status).toBe(200);
  });
});

describe("leases far from the limits", () => {
  const counted = async (tenantId: string) => {
    const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;
    return runInDurableObject(
      ns.get(ns.idFromName(limiterName(tenantId))),
      (_instance, state) =>
        state.storage.sql
          .exec<{ n: number }>(
            "select coalesce(sum(count), 0) as n from hits where policy like 'tenant/%' and leaves_at > ?",
            Date.now(),
          )
          .one().n,
    );
  };

  it("one call admits a batch far from the limit; the headers still count one by one", async () => {
    const tenantId = await limitedTenant(only({ tenant: { limit: 10_000, window_seconds: 600 } }));
    const first = await hit(tenantId);
    // 1/16 of the room, at most 32: the object counted 32 for one request.
    expect(await counted(tenantId)).toBe(32);
    expect(first.headers.get("RateLimit")).toMatch(/"tenant";r=9999;/);
    const more = [];
    for (let i = 0; i < 31; i++) more.push(await hit(tenantId));
    expect(await counted(tenantId)).toBe(32); // served from the lease, no call
    expect(more.at(-1)?.headers.get("RateLimit")).toMatch(/"tenant";r=9968;/);
    await hit(tenantId);
    expect(await counted(tenantId)).toBe(64);
  });

  it("leases shrink near the limit: still exactly L of L + k, with leases in play", async () => {
    const tenantId = await limitedTenant(only({ tenant: { limit: 300, window_seconds: 600 } }));
    const responses = await Promise.all(Array.from({ length: 360 }, () => hit(tenantId)));
    expect(statuses(responses)).toEqual({ 200: 300, 429: 60 });
    expect(await counted(tenantId)).toBe(300);
  });
});

describe("isolation and cost", () => {
  it("a tenant over its limit does not touch another tenant's allowance", async () => {
    const noisy = await limitedTenant(only({ tenant: { limit: 5, window_seconds: 600 } }));
    const quiet = await limitedTenant(only({ tenant: { limit: 5, window_seconds: 600 } }));
    const [noisyResponses, quietResponses] = await Promise.all([
      Promise.all(Array.from({ length: 30 }, () => hit(noisy))),
      Promise.all(Array.from({ length: 5 }, () => hit(quiet))),
    ]);
    expect(statuses(noisyResponses)).toEqual({ 200: 5, 429: 25 });
    expect(statuses(quietResponses)).toEqual({ 200: 5 });
  });

  it("a refused request does no database work: the write never happens", async () => {
    const tenantId = await limitedTenant(only({ tenant: { limit: 1, window_seconds: 600 } }));
    expect((await hit(tenantId)).status).toBe(200);
    const refused = await hit(tenantId, {}, "/api/v1/crm/contacts", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ first_name: "Never", email: "never@example.com" }),
    });
    expect(refused.status).toBe(429);
    const [contacts] = await asTenant(tenantId, sql`select count(*)::int as n from contacts`);
    const [events] = await asTenant(tenantId, sql`select count(*)::int as n from outbox_events`);
    expect([contacts, events]).toEqual([[{ n: 0 }], [{ n: 0 }]]);
  });

  it("a counter known to be full is refused in the isolate, without asking the limiter", async () => {
    const tenantId = await limitedTenant(only({ tenant: { limit: 2, window_seconds: 600 } }));
    await hit(tenantId);
    await hit(tenantId);
    expect((await hit(tenantId)).status).toBe(429);
    // Empty the object's counters: a request that reached it would now pass.
    const ns = env.RATE_LIMITER as DurableObjectNamespace<RateLimiter>;
    await runInDurableObject(ns.get(ns.idFromName(limiterName(tenantId))), (_instance, state) => {
      state.storage.sql.exec("delete from hits");
    });
    const again = await hit(tenantId);
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("Retry-After"))).toBeGreaterThan(0);
  });
});

describe("rate-limit headers", () => {
  it("every layer on a 200, with the governing layer in X-RateLimit-*", async () => {
    const tenantId = await limitedTenant(
      only({ tenant: { limit: 50, window_seconds: 60 }, burst: { limit: 4, window_seconds: 60 } }),
    );
    const before = Math.floor(Date.now() / 1000);
    const first = await hit(tenantId);
    expect(first.status).toBe(200);
    const policy = first.headers.get("RateLimit-Policy")?.split(", ") ?? [];
    expect(policy).toHaveLength(4);
    for (const item of policy) expect(item).toMatch(POLICY_ITEM);
    const state = first.headers.get("RateLimit")?.split(", ") ?? [];
    expect(state).toHaveLength(4);
    for (const item of state) expect(item).toMatch(STATE_ITEM);
    expect(state).toContain(state.find((s) => s.startsWith('"tenant";r=49;')));
    // Burst has the least room: 3 left of 4.
    expect(first.headers.get("X-RateLimit-Limit")).toBe("4");
    expect(first.headers.get("X-RateLimit-Remaining")).toBe("3");
    const reset = Number(first.headers.get("X-RateLimit-Reset"));
    expect(reset).toBeGreaterThanOrEqual(before);
    // When this request leaves the window: a minute on, rounded up to the window's 1/60 (1 s).
    expect(reset).toBeLessThanOrEqual(before + 62);
    expect(first.headers.get("Retry-After")).toBeNull();
    expect((await hit(tenantId)).headers.get("X-RateLimit-Remaining")).toBe("2");
  });

  it("headers on errors too: a 404 from the handler carries them", async () => {
    const tenantId = await limitedTenant(only({}));
    const missing = await hit(tenantId, {}, "/api/v1/crm/contacts/00000000-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("RateLimit-Policy")).toMatch(/^"tenant";/);
    expect(missing.headers.get("X-RateLimit-Remaining")).not.toBeNull();
  });

  it("a 429 is the envelope with Retry-After, and waiting that long is enough", async () => {
    const tenantId = await limitedTenant(only({ tenant: { limit: 2, window_seconds: 2 } }));
    const first = Date.now();
    await hit(tenantId);
    await hit(tenantId);
    const refused = await hit(tenantId);
    expect(refused.status).toBe(429);
    const body = await envelope(refused);
    expect(body.status).toBe("error");
    expect(body.errors?.[0]?.code).toBe("RATE_LIMITED");
    expect(refused.headers.get("X-Request-Id")).toBe(body.request_id);
    const retryAfter = Number(refused.headers.get("Retry-After"));
    const resetEpoch = Number(refused.headers.get("X-RateLimit-Reset"));
    // Until the first request leaves the window: 2 s after it, rounded up to the window's 1/60.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3);
    expect(resetEpoch).toBeLessThanOrEqual(Math.ceil((first + 2_034) / 1000));
    // Never earlier than the reset: now + Retry-After is at or after it.
    expect(Math.floor(Date.now() / 1000) + retryAfter).toBeGreaterThanOrEqual(resetEpoch - 1);
    expect(refused.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect(refused.headers.get("RateLimit")).toMatch(/"tenant";r=0;t=[123],/);
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    expect((await hit(tenantId)).status).toBe(200);
  });
});

describe("client address", () => {
  it("rotating X-Forwarded-For does not escape the per-IP limit", async () => {
    const tenantId = await limitedTenant(only({ ip: { limit: 5, window_seconds: 3600 } }));
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        hit(tenantId, {
          userId: user(i),
          headers: { "X-Forwarded-For": `192.0.2.${i}, 10.0.0.${i}`, "X-Real-IP": `192.0.2.${i}` },
        }),
      ),
    );
    expect(statuses(responses)).toEqual({ 200: 5, 429: 7 });
  });

  it("IPv6 addresses count by their /64", async () => {
    const tenantId = await limitedTenant(only({ ip: { limit: 4, window_seconds: 3600 } }));
    const responses = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        hit(tenantId, { userId: user(i), ip: `2001:db8:abcd:12::${(i + 1).toString(16)}` }),
      ),
    );
    expect(statuses(responses)).toEqual({ 200: 4, 429: 5 });
    expect((await hit(tenantId, { ip: "2001:db8:abcd:13::1" })).status).toBe(200);
  });
});

describe("documentation", () => {
  it("every /api/ operation documents the 429 and the rate-limit headers", async () => {
    const doc = (await (await call("/openapi.json", { token: null })).json()) as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>
      >;
      components: { headers: Record<string, unknown> };
    };
    expect(Object.keys(doc.components.headers)).toEqual(
      expect.arrayContaining(["RateLimit-Policy", "RateLimit", "X-RateLimit-Reset", "Retry-After"]),
    );
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/"))
      .flatMap(([, item]) => Object.values(item));
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) {
      expect(operation.responses["429"]?.headers).toHaveProperty("Retry-After");
      // 2xx, or the 101 of a WebSocket upgrade.
      const success = Object.entries(operation.responses).find(
        ([status]) => status.startsWith("2") || status === "101",
      );
      expect(success?.[1].headers).toHaveProperty("RateLimit-Policy");
    }
  });
});

describe("credentials the edge must look up", () => {
  it("a stream of unknown API keys from one address gets its share of database lookups, then 429", async () => {
    const ip = ipv4(201);
    const attempt = () =>
      call("/api/v1/crm/contacts", {
        token: null,
        headers: { "X-API-Key": mintApiKey("eu", TEST_TENANTS.a.tenantId), "CF-Connecting-IP": ip },
      });
    const responses = await Promise.all(Array.from({ length: CREDENTIAL_LOOKUP_LIMIT.limit + 5 }, attempt));
    expect(statuses(responses)).toEqual({ 401: CREDENTIAL_LOOKUP_LIMIT.limit, 429: 5 });
    const refused = responses.find((r) => r.status === 429);
    expect(Number(refused?.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await attempt()).status).toBe(429);
    // Another address is unaffected.
    const other = await call("/api/v1/crm/contacts", {
      token: null,
      headers: { "X-API-Key": mintApiKey("eu", TEST_TENANTS.a.tenantId), "CF-Connecting-IP": ipv4(202) },
    });
    expect(other.status).toBe(401);
  });
});

describe("requests forwarded by another region", () => {
  const assertion = async (ip: string, key = signingKeys().lagos) =>
    new SignJWT({ ip })
      .setProtectedHeader({ alg: "RS256", typ: "fwd+jwt", kid: key.kid ?? "" })
      .setIssuer(TEST_REGION_URLS.lagos)
      .setAudience(TEST_REGION_URLS.eu)
      .setIssuedAt()
      .setExpirationTime("60s")
      .sign(await importJWK(key, "RS256"));

  it("count under the client address the forwarding region signed, never a forged one", async () => {
    const tenantId = await limitedTenant(only({ ip: { limit: 3, window_seconds: 3600 } }));
    const peer = { ip: "192.0.2.250" }; // the Lagos Worker's address, as CF-Connecting-IP shows it
    const forwarded = (ip: string, signed: string) =>
      hit(tenantId, {
        ...peer,
        userId: user(Number(ip.split(".").at(-1))),
        headers: { [FORWARDED_FROM_HEADER]: "lagos", [FORWARDED_CLIENT_HEADER]: signed },
      });
    // Two clients behind the same peer: each has its own allowance of 3.
    const first = await Promise.all(
      Array.from({ length: 4 }, async () => forwarded("198.51.100.1", await assertion("198.51.100.1"))),
    );
    const second = await Promise.all(
      Array.from({ length: 4 }, async () => forwarded("198.51.100.2", await assertion("198.51.100.2"))),
    );
    expect([statuses(first), statuses(second)]).toEqual([
      { 200: 3, 429: 1 },
      { 200: 3, 429: 1 },
    ]);
    // Forged (signed by a key Lagos never published), or junk: counted under the peer's own address.
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const forgedKey = { ...(await exportJWK(privateKey)), kid: signingKeys().lagos.kid };
    const forged = await Promise.all(
      Array.from({ length: 4 }, async (_, i) =>
        forwarded(`203.0.113.${i}`, await assertion(`203.0.113.${i}`, forgedKey)),
      ),
    );
    expect(statuses(forged)).toEqual({ 200: 3, 429: 1 });
    expect((await forwarded("203.0.113.9", "not-a-jwt")).status).toBe(429);
  });
});
