import { neon, neonConfig } from "@neondatabase/serverless";
import { describe, expect, inject, it } from "vitest";
import { InteractiveTransaction } from "../../db/interactive-transaction";
import { idempotencyLockId } from "../../workers/api/lib/idempotency";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope, tokenFor } from "./helpers";

const CONTACTS = "/api/v1/crm/contacts";
const ownerUrl = () => `postgres://postgres@127.0.0.1:5432/${inject("databaseName")}`;

/** Straight to the database as its owner, behind the API's back (row-level security aside). */
function database() {
  neonConfig.fetchEndpoint = `${inject("gatewayUrl")}/sql`;
  return neon(ownerUrl());
}

async function contactsNamed(firstName: string, tenant: keyof typeof TEST_TENANTS = "a"): Promise<number> {
  const rows = (await database().query(
    "select count(*)::int as n from contacts where tenant_id = $1 and first_name = $2",
    [TEST_TENANTS[tenant].tenantId, firstName],
  )) as { n: number }[];
  return rows[0]?.n ?? -1;
}

async function keysNamed(key: string): Promise<number> {
  const rows = (await database().query("select count(*)::int as n from idempotency_keys where key = $1", [
    key,
  ])) as { n: number }[];
  return rows[0]?.n ?? -1;
}

const unique = () => crypto.randomUUID();

interface PostOptions {
  key?: string;
  token?: string;
  path?: string;
  headers?: Record<string, string>;
}

async function post(json: unknown, options: PostOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers["Idempotency-Key"] = options.key;
  const res = await call(options.path ?? CONTACTS, {
    method: "POST",
    json,
    headers,
    ...(options.token === undefined ? {} : { token: options.token }),
  });
  return { res, text: await res.text() };
}

describe("Idempotency-Key on POST", () => {
  it("replays the first response byte for byte, with its status, Location and request id, and creates once", async () => {
    const name = `Idem-${unique()}`;
    const key = unique();
    const first = await post({ first_name: name }, { key });
    expect(first.res.status).toBe(201);
    expect(first.res.headers.get("Idempotent-Replayed")).toBeNull();
    const body = JSON.parse(first.text) as { data: { id: string }; request_id: string };

    const second = await post({ first_name: name }, { key });
    expect(second.res.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.res.headers.get("Idempotent-Replayed")).toBe("true");
    expect(second.res.headers.get("Content-Type")).toBe(first.res.headers.get("Content-Type"));
    expect(second.res.headers.get("Location")).toBe(`${CONTACTS}/${body.data.id}`);
    expect(second.res.headers.get("X-Request-Id")).toBe(body.request_id);
    // The replay is still this region's answer, with its security headers.
    expect(second.res.headers.get("Nexus-Region")).toBe("eu");
    expect(second.res.headers.get("X-Content-Type-Options")).toBe("nosniff");

    expect(await contactsNamed(name)).toBe(1);
    expect(await keysNamed(key)).toBe(1);
  });

  it("answers 422 IDEMPOTENCY_KEY_REUSED for the same key with another body or path", async () => {
    const name = `Reused-${unique()}`;
    const key = unique();
    expect((await post({ first_name: name }, { key })).res.status).toBe(201);

    const otherBody = await post({ first_name: `${name}-x` }, { key });
    expect(otherBody.res.status).toBe(422);
    expect(JSON.parse(otherBody.text)).toMatchObject({
      status: "error",
      errors: [{ code: "IDEMPOTENCY_KEY_REUSED", field: "Idempotency-Key" }],
    });
    // Same bytes at the platform path: another request.
    const otherPath = await post({ first_name: name }, { key, path: "/api/v1/contacts" });
    expect(otherPath.res.status).toBe(422);
    expect(await contactsNamed(name)).toBe(1);
    expect(await contactsNamed(`${name}-x`)).toBe(0);
  });

  it("answers 409 IDEMPOTENCY_KEY_IN_USE while the key's first request holds it, then runs once it is free", async () => {
    const name = `InUse-${unique()}`;
    const key = unique();
    const tenant = TEST_TENANTS.a;
    // Stand in for a first request that is still running: hold the key's lock in a transaction.
    const holder = await InteractiveTransaction.connect({
      url: ownerUrl(),
      httpEndpoint: `${inject("gatewayUrl")}/sql`,
    });
    try {
      const lockId = await idempotencyLockId(tenant.tenantId, `access_token:${tenant.ownerId}`, key);
      await holder.script(`begin; select pg_advisory_xact_lock(${lockId})`);
      const busy = await post({ first_name: name }, { key });
      expect(busy.res.status).toBe(409);
      expect(busy.res.headers.get("Retry-After")).toBe("1");
      expect(JSON.parse(busy.text).errors[0].code).toBe("IDEMPOTENCY_KEY_IN_USE");
      expect(await contactsNamed(name)).toBe(0);
      await holder.rollback();
    } finally {
      await holder.close();
    }
    expect((await post({ first_name: name }, { key })).res.status).toBe(201);
    expect(await contactsNamed(name)).toBe(1);
  });

  it("executes parallel duplicates once: one 201, the others 409 or the replay", async () => {
    const name = `Parallel-${unique()}`;
    const key = unique();
    const results = await Promise.all(Array.from({ length: 4 }, () => post({ first_name: name }, { key })));
    const executed = results.filter((r) => r.res.status === 201 && !r.res.headers.get("Idempotent-Replayed"));
    expect(executed).toHaveLength(1);
    for (const r of results) {
      if (r.res.status === 201) expect(r.text).toBe(executed[0]?.text);
      else expect(r.res.status).toBe(409);
    }
    expect(await contactsNamed(name)).toBe(1);
  });

  it("scopes keys per tenant: tenant b's identical key and body create b's own contact", async () => {
    const name = `Scoped-${unique()}`;
    const key = unique();
    const a = await post({ first_name: name }, { key, token: await tokenFor({ tenant: "a" }) });
    const b = await post({ first_name: name }, { key, token: await tokenFor({ tenant: "b" }) });
    expect(a.res.status).toBe(201);
    expect(b.res.status).toBe(201);
    expect(b.res.headers.get("Idempotent-Replayed")).toBeNull();
    expect(JSON.parse(b.text).data.id).not.toBe(JSON.parse(a.text).data.id);
    expect(await contactsNamed(name, "a")).toBe(1);
    expect(await contactsNamed(name, "b")).toBe(1);
  });

  it("scopes keys per credential: another user of the same tenant runs its own request", async () => {
    const name = `PerCredential-${unique()}`;
    const key = unique();
    const owner = await post({ first_name: name }, { key });
    const other = await post(
      { first_name: name },
      { key, token: await tokenFor({ userId: crypto.randomUUID(), role: "Member" }) },
    );
    expect(owner.res.status).toBe(201);
    expect(other.res.status).toBe(201);
    expect(other.res.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await contactsNamed(name)).toBe(2);
  });

  it("accepts 1–255 visible ASCII characters and refuses anything else with 400 naming the header", async () => {
    const name = `Keys-${unique()}`;
    for (const bad of ["x".repeat(256), "has space", "", "ключ"]) {
      const res = await call(CONTACTS, {
        method: "POST",
        json: { first_name: name },
        headers: { "Idempotency-Key": bad },
      });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      const body = await envelope(res);
      expect(body.errors?.[0]).toMatchObject({ code: "VALIDATION_ERROR", field: "Idempotency-Key" });
    }
    expect(await contactsNamed(name)).toBe(0);
    const longest = `${unique()}${"k".repeat(255 - 36)}`;
    expect((await post({ first_name: name }, { key: longest })).res.status).toBe(201);
    expect((await post({ first_name: name }, { key: longest })).res.headers.get("Idempotent-Replayed")).toBe(
      "true",
    );
    expect(await contactsNamed(name)).toBe(1);
  });

  it("answers 413 for an oversized streamed body with a key, before any database work", async () => {
    const key = unique();
    const chunk = new TextEncoder().encode(`{"first_name":"${"x".repeat(64 * 1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 20) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await call(CONTACTS, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", "Idempotency-Key": key },
    });
    expect(res.status).toBe(413);
    expect((await envelope(res)).errors?.[0]?.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await keysNamed(key)).toBe(0);
  });

  it("does not record a refusal: a 400 for a bad body leaves the key free for the corrected request", async () => {
    const name = `Refused-${unique()}`;
    const key = unique();
    const invalid = await post({ first_name: name, email: "not-an-email" }, { key });
    expect(invalid.res.status).toBe(400);
    expect(await keysNamed(key)).toBe(0);
    const valid = await post({ first_name: name }, { key });
    expect(valid.res.status).toBe(201);
    expect(valid.res.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await contactsNamed(name)).toBe(1);
  });

  it("records the handler's own 4xx: a 404 is replayed as a 404", async () => {
    const key = unique();
    const path = `/api/v1/iam/api-keys/${crypto.randomUUID()}/revoke`;
    const first = await call(path, { method: "POST", headers: { "Idempotency-Key": key } });
    expect(first.status).toBe(404);
    const again = await call(path, { method: "POST", headers: { "Idempotency-Key": key } });
    expect(again.status).toBe(404);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.text()).toBe(await first.text());
  });

  it("refuses Idempotency-Key on routes whose response carries a secret, and stores nothing", async () => {
    const refused = [
      { path: "/api/v1/iam/api-keys", json: { name: `k-${unique()}`, role: "Viewer", scopes: ["crm:read"] } },
      { path: `/api/v1/iam/api-keys/${crypto.randomUUID()}/rotate`, json: {} },
      {
        path: "/api/v1/iam/oauth-clients",
        json: { name: "c", type: "public", redirect_uris: ["http://127.0.0.1/cb"] },
      },
      { path: "/api/v1/iam/mfa/totp", json: undefined },
      { path: "/api/v1/iam/mfa/totp/verify", json: { code: "123456" } },
      { path: "/api/v1/iam/mfa/disable", json: { password: "x", code: "123456" } },
    ];
    for (const route of refused) {
      const key = unique();
      const res = await call(route.path, {
        method: "POST",
        ...(route.json === undefined ? {} : { json: route.json }),
        headers: { "Idempotency-Key": key },
      });
      expect(res.status, route.path).toBe(400);
      const body = await envelope(res);
      expect(body.errors?.[0], route.path).toMatchObject({
        code: "VALIDATION_ERROR",
        field: "Idempotency-Key",
      });
      expect(await keysNamed(key)).toBe(0);
    }
  });
});

describe("Idempotency-Key when the Worker fails", () => {
  /** A create with a key that the test-only hook fails right before or after its COMMIT (500). */
  async function failingCreate(fault: "idempotency-before-commit" | "idempotency-after-commit") {
    const name = `Fault-${unique()}`;
    const key = unique();
    const failed = await post({ first_name: name }, { key, headers: { "Nexus-Test-Fault": fault } });
    expect(failed.res.status).toBe(500);
    expect(JSON.parse(failed.text).errors[0].code).toBe("INTERNAL_ERROR");
    return { name, key };
  }

  it("never runs twice when it fails after COMMIT: the retry replays the committed response", async () => {
    const { name, key } = await failingCreate("idempotency-after-commit");
    expect(await contactsNamed(name)).toBe(1);
    expect(await keysNamed(key)).toBe(1);

    const retry = await post({ first_name: name }, { key });
    expect(retry.res.status).toBe(201);
    expect(retry.res.headers.get("Idempotent-Replayed")).toBe("true");
    expect(JSON.parse(retry.text).data.first_name).toBe(name);
    expect(await contactsNamed(name)).toBe(1);
  });

  it("leaves neither the change nor the key when it fails before COMMIT: the retry runs once", async () => {
    const { name, key } = await failingCreate("idempotency-before-commit");
    expect(await contactsNamed(name)).toBe(0);
    expect(await keysNamed(key)).toBe(0);
    // Nor its event: the outbox row was in the same rolled-back transaction.
    const events = (await database().query(
      "select count(*)::int as n from outbox_events where payload->'data'->>'first_name' = $1",
      [name],
    )) as { n: number }[];
    expect(events[0]?.n).toBe(0);

    const retry = await post({ first_name: name }, { key });
    expect(retry.res.status).toBe(201);
    expect(retry.res.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await contactsNamed(name)).toBe(1);
    expect(await keysNamed(key)).toBe(1);
  });

  it("has the fault hook in the idempotency path only: without a key the header does nothing", async () => {
    const name = `NoFault-${unique()}`;
    const res = await post(
      { first_name: name },
      { headers: { "Nexus-Test-Fault": "idempotency-after-commit" } },
    );
    // Without Idempotency-Key the middleware (and its fault hook) is not involved at all.
    expect(res.res.status).toBe(201);
  });
});

describe("Idempotency-Key in the OpenAPI document", () => {
  it("declares a mode on every POST under /api/, and the header with 409/422 where it is accepted", async () => {
    const doc = (await (await call("/openapi.json", { token: null })).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { parameters: Record<string, { name: string; in: string; required: boolean }> };
    };
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({
      name: "Idempotency-Key",
      in: "header",
      required: false,
    });
    let accepting = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      const op = item.post;
      if (!path.startsWith("/api/") || !op) continue;
      expect(["optional", "required", "refused"], path).toContain(op["x-idempotency"]);
      if (op["x-idempotency"] === "refused") {
        expect(op.description, path).toMatch(/Idempotency-Key/);
        continue;
      }
      accepting++;
      const parameter = op["x-idempotency"] === "required" ? "IdempotencyKeyRequired" : "IdempotencyKey";
      expect(op.parameters, path).toContainEqual({ $ref: `#/components/parameters/${parameter}` });
      expect(Object.keys(op.responses as object), path).toEqual(expect.arrayContaining(["409", "422"]));
    }
    expect(accepting).toBeGreaterThanOrEqual(4);
  });
});

describe("cost of Idempotency-Key (printed, not asserted)", () => {
  it("measures 50 sequential POSTs each way", async () => {
    const token = await tokenFor();
    const run = async (withKey: boolean) => {
      const started = performance.now();
      for (let i = 0; i < 50; i++) {
        const res = await post(
          { first_name: `Bench-${unique()}` },
          withKey ? { key: unique(), token } : { token },
        );
        expect(res.res.status).toBe(201);
      }
      return (performance.now() - started) / 50;
    };
    await run(true); // warm both paths once
    const plain = await run(false);
    const keyed = await run(true);
    console.log(
      `idempotency cost: plain POST ${plain.toFixed(1)} ms, with Idempotency-Key ${keyed.toFixed(1)} ms ` +
        `(+${(keyed - plain).toFixed(1)} ms per request, 50 sequential each, workerd + local gateway)`,
    );
  }, 60_000);
});
