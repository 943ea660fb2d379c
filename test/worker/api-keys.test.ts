import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { mintApiKey } from "../../workers/api/auth/api-key-format";
import { sha256Hex } from "../../workers/api/oauth/encoding";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope, tokenFor } from "./helpers";
import { asTenant } from "./oauth-helpers";

/**
 * The Worker under test runs with API_KEY_CACHE_TTL_SECONDS=2 (test/worker/vitest.config.ts):
 * a key verified once is trusted from the isolate's memory for 2 s. Tests that change a key
 * behind the Worker's back (SQL) wait out that bound; changes made through the API evict the
 * key from the isolate that made them at once.
 */
const TTL_MS = 2000;
const KEYS = "/api/v1/iam/api-keys";
const A = TEST_TENANTS.a.tenantId;

interface Key {
  id: string;
  name: string;
  hint: string;
  role: string;
  scopes: string[];
  status: string;
  expires_at: string;
  revoked_at: string | null;
  replaces_id: string | null;
  replaced_by_id: string | null;
  secret?: string;
  previous?: Key;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createKey(body: Record<string, unknown> = {}, token?: string) {
  const res = await call(KEYS, {
    method: "POST",
    token: token ?? (await tokenFor()),
    json: { name: "ci", role: "Member", scopes: ["crm:read", "crm:write"], ...body },
  });
  return { res, body: await envelope<Key>(res) };
}

async function newKey(body: Record<string, unknown> = {}, token?: string): Promise<Key & { secret: string }> {
  const { res, body: env } = await createKey(body, token);
  expect(res.status).toBe(201);
  return env.data as Key & { secret: string };
}

const contactsWith = (key: string, form: "bearer" | "header" = "bearer") =>
  form === "bearer"
    ? call("/api/v1/crm/contacts", { token: key })
    : call("/api/v1/crm/contacts", { token: null, headers: { "X-API-Key": key } });

async function expect401(res: Response) {
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="nexus"/);
  expect((await envelope(res)).errors?.[0]?.code).toBe("UNAUTHENTICATED");
}

describe("API keys: create, use, list", () => {
  it("creates a key shown once, usable as Bearer and as X-API-Key, listed without its secret", async () => {
    const { res, body } = await createKey({ name: "billing sync" });
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const key = body.data;
    expect(res.headers.get("Location")).toBe(`${KEYS}/${key.id}`);
    expect(key.secret).toMatch(/^nxk_eu_[A-Za-z0-9_-]{64}$/);
    expect(key).toMatchObject({ name: "billing sync", role: "Member", status: "active", replaces_id: null });
    expect(key.hint).toBe(`nxk_eu_…${key.secret?.slice(-4)}`);
    const days = (Date.parse(key.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);

    const secret = key.secret as string;
    expect((await contactsWith(secret, "bearer")).status).toBe(200);
    expect((await contactsWith(secret, "header")).status).toBe(200);

    const list = await call(`${KEYS}?limit=200`);
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).toContain(key.id);
    expect(text).not.toContain(secret);
    expect(text).not.toContain("key_hash");
    const one = await call(`${KEYS}/${key.id}`);
    const oneText = await one.text();
    expect(one.status).toBe(200);
    expect(oneText).not.toContain(secret);
    expect(JSON.parse(oneText).data).not.toHaveProperty("secret");
  });

  it("stores only the SHA-256 of the key, never the key", async () => {
    const key = await newKey();
    const [rows = []] = await asTenant(A, sql`select * from api_keys where id = ${key.id}`);
    const row = rows[0] as Record<string, unknown>;
    expect(row.key_hash).toBe(await sha256Hex(key.secret));
    expect(row.key_hash).not.toBe(key.secret);
    expect(JSON.stringify(row)).not.toContain(key.secret);
  });

  it("acts with the key's role: a Viewer key reads contacts but cannot write them", async () => {
    const key = await newKey({ role: "Viewer", scopes: ["crm:read"] });
    expect((await contactsWith(key.secret)).status).toBe(200);
    const write = await call("/api/v1/crm/contacts", {
      method: "POST",
      token: key.secret,
      json: { first_name: "X" },
    });
    expect(write.status).toBe(403);
  });

  it("paginates the list with a cursor", async () => {
    await newKey({ name: "page-1" });
    await newKey({ name: "page-2" });
    const first = await envelope<Key[]>(await call(`${KEYS}?limit=1`));
    expect(first.data).toHaveLength(1);
    expect(first.meta?.has_more).toBe(true);
    const second = await envelope<Key[]>(await call(`${KEYS}?limit=1&cursor=${first.meta?.cursor}`));
    expect(second.data[0]?.id).not.toBe(first.data[0]?.id);
  });
});

describe("API keys: rotation", () => {
  it("keeps the old key valid for the grace period, then only the new one works", async () => {
    const old = await newKey();
    expect((await contactsWith(old.secret)).status).toBe(200); // cached from here on

    const res = await call(`${KEYS}/${old.id}/rotate`, { method: "POST", json: { grace_period_seconds: 2 } });
    expect(res.status).toBe(201);
    const rotated = (await envelope<Key & { secret: string; previous: Key }>(res)).data;
    expect(res.headers.get("Location")).toBe(`${KEYS}/${rotated.id}`);
    expect(rotated.secret).not.toBe(old.secret);
    expect(rotated).toMatchObject({
      name: old.name,
      role: old.role,
      scopes: old.scopes,
      replaces_id: old.id,
    });
    expect(rotated.previous).toMatchObject({ id: old.id, replaced_by_id: rotated.id });
    expect(Date.parse(rotated.previous.expires_at) - Date.now()).toBeLessThanOrEqual(2000);

    expect((await contactsWith(old.secret)).status).toBe(200);
    expect((await contactsWith(rotated.secret, "header")).status).toBe(200);
    await sleep(2200);
    // The cache checks each key's expiry on every hit, so the grace ends on time.
    await expect401(await contactsWith(old.secret));
    expect((await contactsWith(rotated.secret)).status).toBe(200);

    // The old key has a successor (and is expired): rotate the new one instead.
    expect((await call(`${KEYS}/${old.id}/rotate`, { method: "POST" })).status).toBe(409);
  });

  it("defaults the grace period to 24 hours and refuses more than 7 days", async () => {
    const old = await newKey();
    const res = await call(`${KEYS}/${old.id}/rotate`, { method: "POST" });
    expect(res.status).toBe(201);
    const { previous } = (await envelope<Key & { previous: Key }>(res)).data;
    const hours = (Date.parse(previous?.expires_at ?? "") - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThanOrEqual(24);

    const other = await newKey();
    const tooLong = await call(`${KEYS}/${other.id}/rotate`, {
      method: "POST",
      json: { grace_period_seconds: 7 * 86_400 + 1 },
    });
    expect(tooLong.status).toBe(400);
    expect((await envelope(tooLong)).errors?.[0]).toMatchObject({
      code: "VALIDATION_ERROR",
      field: "grace_period_seconds",
    });
  });

  it("lets one of two parallel rotations win", async () => {
    const old = await newKey();
    const results = await Promise.all(
      [1, 2].map(() => call(`${KEYS}/${old.id}/rotate`, { method: "POST" }).then((r) => r.status)),
    );
    expect(results.sort()).toEqual([201, 409]);
  });
});

describe("API keys: revocation and expiry", () => {
  it("revoking through the API ends the key at once on this isolate, and is idempotent", async () => {
    const key = await newKey();
    expect((await contactsWith(key.secret)).status).toBe(200);
    const res = await call(`${KEYS}/${key.id}/revoke`, { method: "POST" });
    expect(res.status).toBe(200);
    expect((await envelope<Key>(res)).data).toMatchObject({ status: "revoked" });
    await expect401(await contactsWith(key.secret));
    await expect401(await contactsWith(key.secret, "header"));

    const again = await call(`${KEYS}/${key.id}/revoke`, { method: "POST" });
    expect(again.status).toBe(200);
    const audit = await envelope<{ target_id: string }[]>(
      await call("/api/v1/iam/audit?action=api_key.revoked&limit=200"),
    );
    expect(audit.data.filter((e) => e.target_id === key.id)).toHaveLength(1);
    expect((await call(`${KEYS}/${key.id}/rotate`, { method: "POST" })).status).toBe(409);
  });

  it("a key revoked elsewhere (another isolate: here, straight in SQL) stops within the cache TTL", async () => {
    const key = await newKey();
    expect((await contactsWith(key.secret)).status).toBe(200);
    await asTenant(A, sql`update api_keys set revoked_at = now() where id = ${key.id}`);
    // Still trusted from memory: proof that a known key costs no database round trip.
    expect((await contactsWith(key.secret)).status).toBe(200);
    await sleep(TTL_MS + 200);
    await expect401(await contactsWith(key.secret));
  });

  it("refuses an expired key", async () => {
    const key = await newKey();
    await asTenant(A, sql`update api_keys set expires_at = now() - interval '1 second' where id = ${key.id}`);
    await expect401(await contactsWith(key.secret));
  });

  it("refuses malformed keys and unknown keys with 401, and two credentials at once", async () => {
    for (const bad of ["nxk_eu_short", `nxk_xx_${"A".repeat(64)}`, `nxk_eu_${"A".repeat(65)}`]) {
      await expect401(await contactsWith(bad));
    }
    await expect401(await contactsWith("not-a-key", "header"));
    await expect401(await contactsWith(mintApiKey("eu", A)));
    const key = await newKey();
    const both = await call("/api/v1/crm/contacts", { headers: { "X-API-Key": key.secret } });
    await expect401(both);
  });

  it("forwards a Lagos key (nxk_ng_…) to its home region without looking it up, and refuses a second hop", async () => {
    const lagosKey = mintApiKey("lagos", A);
    expect(lagosKey).toMatch(/^nxk_ng_/);
    // Nothing listens on the Lagos URL inside this test: forwarding is attempted and reported as 503.
    const forwarded = await contactsWith(lagosKey, "header");
    expect(forwarded.status).toBe(503);
    expect(forwarded.headers.get("Retry-After")).toBeTruthy();
    const loop = await call("/api/v1/crm/contacts", {
      token: lagosKey,
      headers: { "Nexus-Forwarded-From": "lagos" },
    });
    expect(loop.status).toBe(508);
  });
});

describe("API keys: validation and access", () => {
  it.each([
    [
      "expiry beyond 90 days",
      { expires_at: new Date(Date.now() + 91 * 86_400_000).toISOString() },
      "expires_at",
    ],
    ["expiry in the past", { expires_at: new Date(Date.now() - 1000).toISOString() }, "expires_at"],
    ["an unknown role", { role: "Root" }, "role"],
    ["no scopes", { scopes: [] }, "scopes"],
    ["an unknown scope", { scopes: ["openid"] }, "scopes.0"],
    ["a read-only field", { secret: "nxk_eu_mine" }, undefined],
  ])("rejects %s with 400 VALIDATION_ERROR", async (_, body, field) => {
    const { res, body: env } = await createKey(body);
    expect(res.status).toBe(400);
    expect(env.errors?.[0]?.code).toBe("VALIDATION_ERROR");
    if (field) expect(env.errors?.map((e) => e.field)).toContain(field);
  });

  it("accepts an expiry inside 90 days", async () => {
    const at = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const key = await newKey({ expires_at: at });
    expect(Math.abs(Date.parse(key.expires_at) - Date.parse(at))).toBeLessThan(1000);
  });

  it.each(["Manager", "Member", "Viewer", "Guest"])("refuses a %s token with 403", async (role) => {
    const token = await tokenFor({ role });
    expect((await createKey({}, token)).res.status).toBe(403);
  });

  it("refuses a Viewer listing keys", async () => {
    expect((await call(KEYS, { token: await tokenFor({ role: "Viewer" }) })).status).toBe(403);
  });

  it("never grants a role above the caller's: an Admin cannot mint or rotate an Owner key (403)", async () => {
    const admin = await tokenFor({ role: "Admin" });
    const { res, body } = await createKey({ role: "Owner" }, admin);
    expect(res.status).toBe(403);
    expect(body.errors?.[0]).toMatchObject({ code: "FORBIDDEN", field: "role" });
    expect((await createKey({ role: "Admin" }, admin)).res.status).toBe(201);

    const ownerKey = await newKey({ role: "Owner" });
    expect((await call(`${KEYS}/${ownerKey.id}/rotate`, { method: "POST", token: admin })).status).toBe(403);
    // Revoking only removes access: allowed.
    expect((await call(`${KEYS}/${ownerKey.id}/revoke`, { method: "POST", token: admin })).status).toBe(200);
  });

  it("does not let an API key mint or rotate keys", async () => {
    const key = await newKey({ role: "Owner", scopes: ["iam:write"] });
    expect((await createKey({}, key.secret)).res.status).toBe(403);
    expect((await call(`${KEYS}/${key.id}/rotate`, { method: "POST", token: key.secret })).status).toBe(403);
    expect((await call(KEYS, { token: key.secret })).status).toBe(200);
  });

  it("answers 404 for another tenant's key id, on every route", async () => {
    const theirs = await newKey({}, await tokenFor({ tenant: "b" }));
    expect((await call(`${KEYS}/${theirs.id}`)).status).toBe(404);
    expect((await call(`${KEYS}/${theirs.id}/rotate`, { method: "POST" })).status).toBe(404);
    expect((await call(`${KEYS}/${theirs.id}/revoke`, { method: "POST" })).status).toBe(404);
    expect(await (await call(`${KEYS}?limit=200`)).text()).not.toContain(theirs.id);
    // Still alive in its own tenant.
    expect((await contactsWith(theirs.secret)).status).toBe(200);
  });
});

describe("API keys: audit", () => {
  it("records create, rotate and revoke, with no secret in the entries", async () => {
    const key = await newKey();
    const rotated = await call(`${KEYS}/${key.id}/rotate`, {
      method: "POST",
      json: { grace_period_seconds: 0 },
    });
    const successor = (await envelope<Key & { secret: string }>(rotated)).data;
    await call(`${KEYS}/${successor.id}/revoke`, { method: "POST" });

    const res = await call("/api/v1/iam/audit?limit=200");
    const text = await res.text();
    expect(text).not.toContain(key.secret);
    expect(text).not.toContain(successor.secret);
    const entries = (
      JSON.parse(text) as { data: { action: string; target_id: string; actor_type: string }[] }
    ).data;
    const actions = (id: string) => entries.filter((e) => e.target_id === id).map((e) => e.action);
    expect(actions(key.id)).toEqual(expect.arrayContaining(["api_key.created", "api_key.rotated"]));
    expect(actions(successor.id)).toEqual(["api_key.revoked"]);
    expect(entries.find((e) => e.target_id === key.id)?.actor_type).toBe("user");
  });
});
