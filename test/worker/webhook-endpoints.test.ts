import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../workers/api/env";
import type { EventType } from "../../workers/api/events/catalogue";
import type { PlatformEvent } from "../../workers/api/schemas/event";
import { WebhookEndpoint, WebhookEndpointWithSecret } from "../../workers/api/schemas/webhook-endpoint";
import { MAX_ENDPOINTS_PER_TENANT } from "../../workers/api/services/webhook-endpoints";
import { buildDeliveryRequest } from "../../workers/api/webhooks/delivery-request";
import { callWith, envelope } from "./helpers";
import {
  ENDPOINTS,
  type Endpoint,
  endpointEvents,
  freshTenant,
  hooks,
  receiverUrl,
  register,
  storedRow,
  targets,
} from "./webhook-helpers";

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

describe("webhook endpoints: registration and reads", () => {
  it("registers an endpoint: 201, Location, the secret once, never again", async () => {
    const { token, tenantId } = await freshTenant();
    const { res, body } = await register(token, {
      url: "HTTPS://Hooks.Example.COM/nexus?src=eu",
      description: "CRM sync",
      event_types: ["contact.*", "contact.created", "contact.*"],
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const created = body.data;
    expect(res.headers.get("Location")).toBe(`${ENDPOINTS}/${created.id}`);
    expect(WebhookEndpointWithSecret.strict().parse(created)).toEqual(created);
    expect(created).toMatchObject({
      url: "https://hooks.example.com/nexus?src=eu",
      description: "CRM sync",
      event_types: ["contact.*", "contact.created"],
      enabled: true,
      secret_rotated_at: null,
      previous_secret_expires_at: null,
    });
    expect(created.secret).toMatch(SECRET);

    const { secret, ...shown } = created;
    const got = await hooks(`/${created.id}`, { token });
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual(shown);
    const list = await hooks<Endpoint[]>("", { token });
    expect(list.body.data).toEqual([shown]);
    for (const item of list.body.data) expect(WebhookEndpoint.strict().parse(item)).toEqual(item);
    expect(JSON.stringify([got.body, list.body])).not.toContain("whsec_");

    // At rest the secret is sealed (AES-GCM under DATA_ENCRYPTION_KEY), not the secret itself.
    const row = await storedRow(tenantId, created.id);
    expect(String(row?.secret_sealed)).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(String(secret).slice(6, 30));
  });

  it("lists newest first with cursor pagination, and leaves out deleted endpoints", async () => {
    const { token } = await freshTenant();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await register(token, { description: `n${i}` })).body.data.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page = await hooks<Endpoint[]>(`?limit=2${after}`, { token });
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      expect(page.body.meta?.limit).toBe(2);
      seen.push(...page.body.data.map((e) => e.id));
      cursor = page.body.meta?.cursor ?? null;
      expect(page.body.meta?.has_more).toBe(cursor !== null);
      if (!cursor) break;
    }
    expect(seen).toEqual([...ids].reverse());

    expect((await hooks(`/${ids[2]}`, { method: "DELETE", token })).status).toBe(204);
    const all = await hooks<Endpoint[]>("?limit=200", { token });
    expect(all.body.data.map((e) => e.id)).toEqual([ids[4], ids[3], ids[1], ids[0]]);
    expect((await hooks("?limit=201", { token })).status).toBe(400);
  });

  it("caps the endpoints of a tenant (409 beyond), counting live ones only", async () => {
    const { token } = await freshTenant();
    const made = await Promise.all(
      Array.from({ length: MAX_ENDPOINTS_PER_TENANT }, () => register(token).then((r) => r.status)),
    );
    expect(made.every((s) => s === 201)).toBe(true);
    const over = await register(token);
    expect(over.status).toBe(409);
    expect(over.body.errors?.[0]?.code).toBe("CONFLICT");
    const first = (await hooks<Endpoint[]>("?limit=1", { token })).body.data[0]!;
    await hooks(`/${first.id}`, { method: "DELETE", token });
    expect((await register(token)).status).toBe(201);
  });
});

describe("webhook endpoints: changes and deletion", () => {
  it("changes only the given fields, and checks a new URL", async () => {
    const { token } = await freshTenant();
    const { body } = await register(token, { description: "before", event_types: ["contact.created"] });
    const id = body.data.id;
    const other = receiverUrl();
    const patched = await hooks(`/${id}`, { method: "PATCH", token, json: { enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      enabled: false,
      description: "before",
      event_types: ["contact.created"],
      url: body.data.url,
    });
    expect(Date.parse(patched.body.data.updated_at)).toBeGreaterThanOrEqual(Date.parse(body.data.updated_at));
    const more = await hooks(`/${id}`, {
      method: "PATCH",
      token,
      json: { url: other, description: null, event_types: [], enabled: true },
    });
    expect(more.body.data).toMatchObject({
      url: other,
      description: null,
      event_types: [],
      enabled: true,
    });
    const bad = await hooks(`/${id}`, { method: "PATCH", token, json: { url: "http://169.254.169.254/" } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]).toMatchObject({ code: "VALIDATION_ERROR", field: "url" });
    expect((await hooks(`/${id}`, { token })).body.data.url).toBe(other);
  });

  it("soft-deletes: 204, then 404 everywhere, secrets erased, nothing delivered", async () => {
    const { token, tenantId } = await freshTenant();
    const id = (await register(token)).body.data.id;
    expect(await targets(tenantId)).toHaveLength(1);
    const del = await hooks(`/${id}`, { method: "DELETE", token });
    expect(del.status).toBe(204);
    for (const init of [
      { method: "GET" },
      { method: "DELETE" },
      { method: "PATCH", json: { enabled: true } },
      { method: "POST", json: {} },
    ]) {
      const path = init.method === "POST" ? `/${id}/rotate-secret` : `/${id}`;
      expect((await hooks(path, { ...init, token })).status, init.method).toBe(404);
    }
    const row = await storedRow(tenantId, id);
    expect(row).toMatchObject({ is_deleted: true, secret_sealed: null, previous_secret_sealed: null });
    expect(row?.deleted_at).not.toBeNull();
    expect(await targets(tenantId)).toEqual([]);
  });

  it("emits webhook_endpoint.created|updated|deleted, without any secret", async () => {
    const { token, tenantId, userId } = await freshTenant();
    const { body } = await register(token);
    const id = body.data.id;
    const patched = await hooks(`/${id}`, { method: "PATCH", token, json: { description: "changed" } });
    await hooks(`/${id}/rotate-secret`, { method: "POST", token, json: { overlap_seconds: 60 } });
    await hooks(`/${id}`, { method: "DELETE", token });

    const events = await endpointEvents(tenantId, id);
    expect(events.map((e) => e.event_type)).toEqual([
      "webhook_endpoint.created",
      "webhook_endpoint.updated",
      "webhook_endpoint.updated",
      "webhook_endpoint.deleted",
    ]);
    const { secret, ...shown } = body.data;
    expect(events[0]?.payload).toMatchObject({
      event_type: "webhook_endpoint.created",
      tenant_id: tenantId,
      source: "webhooks-service",
      version: "1.0",
      data: shown,
      metadata: { user_id: userId },
    });
    expect(events[1]?.payload.data).toEqual(patched.body.data);
    expect(events[2]?.payload.data.previous_secret_expires_at).not.toBeNull();
    const text = JSON.stringify(events);
    expect(text).not.toContain("whsec_");
    expect(text).not.toContain("sealed");
    expect(text).not.toContain(String(secret).slice(6, 30));
  });
});

describe("webhook endpoints: secret rotation", () => {
  const event = (tenantId: string): PlatformEvent => ({
    event_id: crypto.randomUUID(),
    event_type: "contact.created",
    tenant_id: tenantId,
    timestamp: new Date().toISOString(),
    source: "crm-service",
    version: "1.0",
    data: { id: crypto.randomUUID(), first_name: "Ada" },
    metadata: { user_id: null, correlation_id: "req" },
  });

  /** What a receiver holding `secret` makes of a delivery to the tenant's one endpoint. */
  async function verifiesWith(tenantId: string, secret: string): Promise<boolean> {
    const [target] = await targets(tenantId);
    if (!target) throw new Error("no delivery target");
    const request = await buildDeliveryRequest(target, event(tenantId));
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    try {
      new Webhook(secret).verify(await request.text(), headers);
      return true;
    } catch {
      return false;
    }
  }

  it("answers a new secret once; both sign during the overlap, then only the new one", async () => {
    const { token, tenantId } = await freshTenant();
    const { body } = await register(token);
    const id = body.data.id;
    const first = String(body.data.secret);
    expect(await verifiesWith(tenantId, first)).toBe(true);

    const before = Date.now();
    const rotated = await hooks(`/${id}/rotate-secret`, { method: "POST", token });
    expect(rotated.status).toBe(200);
    expect(rotated.res.headers.get("Cache-Control")).toBe("no-store");
    expect(WebhookEndpointWithSecret.strict().parse(rotated.body.data)).toEqual(rotated.body.data);
    const second = String(rotated.body.data.secret);
    expect(second).toMatch(SECRET);
    expect(second).not.toBe(first);
    // Default overlap: 24 h.
    const until = Date.parse(String(rotated.body.data.previous_secret_expires_at));
    expect(until - before).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(until - before).toBeLessThan(24 * 3600_000 + 60_000);
    expect(rotated.body.data.secret_rotated_at).not.toBeNull();

    const [target] = await targets(tenantId);
    expect(target?.secrets).toEqual([second, first]);
    expect(await verifiesWith(tenantId, first)).toBe(true);
    expect(await verifiesWith(tenantId, second)).toBe(true);
    const got = await hooks(`/${id}`, { token });
    expect(JSON.stringify(got.body)).not.toContain("whsec_");

    // Without overlap the old secret stops at once.
    const third = String(
      (await hooks(`/${id}/rotate-secret`, { method: "POST", token, json: { overlap_seconds: 0 } })).body.data
        .secret,
    );
    expect((await targets(tenantId))[0]?.secrets).toEqual([third]);
    expect(await verifiesWith(tenantId, second)).toBe(false);
    expect(await verifiesWith(tenantId, third)).toBe(true);
    expect((await hooks(`/${id}`, { token })).body.data.previous_secret_expires_at).toBeNull();
  });

  it("keeps two secrets at most, and the overlap ends on time", async () => {
    const { token, tenantId } = await freshTenant();
    const id = (await register(token)).body.data.id;
    const rotate = async (json: Record<string, unknown> = {}) =>
      String((await hooks(`/${id}/rotate-secret`, { method: "POST", token, json })).body.data.secret);
    const a = await rotate();
    const b = await rotate();
    expect((await targets(tenantId))[0]?.secrets).toEqual([b, a]);
    const c = await rotate({ overlap_seconds: 1 });
    expect((await targets(tenantId))[0]?.secrets).toEqual([c, b]);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await targets(tenantId))[0]?.secrets).toEqual([c]);
    expect((await hooks(`/${id}`, { token })).body.data.previous_secret_expires_at).toBeNull();
  });

  it("delivers to enabled endpoints whose event types match", async () => {
    const { token, tenantId } = await freshTenant();
    const all = (await register(token)).body.data.id;
    const contacts = (await register(token, { event_types: ["contact.*"] })).body.data.id;
    const created = (await register(token, { event_types: ["contact.created"] })).body.data.id;
    const off = (await register(token, { enabled: false })).body.data.id;
    const ids = async (type: EventType) => (await targets(tenantId, type)).map((t) => t.id);
    expect(await ids("contact.created")).toEqual([all, contacts, created]);
    expect(await ids("contact.deleted")).toEqual([all, contacts]);
    expect(await ids("webhook_endpoint.created")).toEqual([all]);
    expect(await ids("contact.created")).not.toContain(off);
  });
});

describe("webhook endpoints: validation", () => {
  it("checks event types against the catalogue: a typo is 400 naming the closest known type", async () => {
    const { token } = await freshTenant();
    const typo = await register(token, { event_types: ["contacts.created"] });
    expect(typo.status).toBe(400);
    expect(typo.body.errors?.[0]).toMatchObject({ code: "VALIDATION_ERROR", field: "event_types.0" });
    expect(typo.body.errors?.[0]?.message).toMatch(
      /Unknown event type contacts\.created; did you mean contact\.created\?/,
    );
    const prefix = await register(token, { event_types: ["opportunty.*"] });
    expect(prefix.body.errors?.[0]?.message).toMatch(/did you mean opportunity\.\*\?/);
    const ok = await register(token, { event_types: ["contact.*", "opportunity.won", "tenant.activated"] });
    expect(ok.status).toBe(201);
    const id = ok.body.data.id;
    const patch = await hooks(`/${id}`, {
      method: "PATCH",
      token,
      json: { event_types: ["lead.converteed"] },
    });
    expect(patch.status).toBe(400);
    expect(patch.body.errors?.[0]).toMatchObject({ field: "event_types.0" });
    expect(patch.body.errors?.[0]?.message).toMatch(/did you mean lead\.converted\?/);
  });

  it("refuses bad bodies with 400 and the field", async () => {
    const { token } = await freshTenant();
    const cases: [Record<string, unknown>, string | undefined][] = [
      [{ url: undefined }, "url"],
      [{ url: "" }, "url"],
      [{ url: "not a url" }, "url"],
      [{ url: `https://example.com/${"a".repeat(2100)}` }, "url"],
      [{ description: "x".repeat(501) }, "description"],
      [{ event_types: ["*"] }, "event_types.0"],
      [{ event_types: ["contact"] }, "event_types.0"],
      [{ event_types: "contact.created" }, "event_types"],
      [{ event_types: Array(51).fill("contact.created") }, "event_types"],
      [{ event_types: ["contact.created", "contacts.created"] }, "event_types.1"],
      [{ event_types: ["contacts.*"] }, "event_types.0"],
      [{ enabled: "yes" }, "enabled"],
      [{ secret: "whsec_mine" }, undefined],
      [{ id: crypto.randomUUID() }, undefined],
      [{ tenant_id: crypto.randomUUID() }, undefined],
    ];
    for (const [json, field] of cases) {
      const { status, body } = await register(token, json);
      const label = JSON.stringify(json).slice(0, 80);
      expect(status, label).toBe(400);
      expect(body.errors?.[0]?.code, label).toBe("VALIDATION_ERROR");
      if (field)
        expect(
          body.errors?.map((e) => e.field),
          label,
        ).toContain(field);
    }
    expect((await hooks("", { token })).body.data).toEqual([]);
  });

  it("refuses an empty PATCH, bad rotation overlaps, and Idempotency-Key on secret-bearing POSTs", async () => {
    const { token } = await freshTenant();
    const id = (await register(token)).body.data.id;
    expect((await hooks(`/${id}`, { method: "PATCH", token, json: {} })).status).toBe(400);
    expect((await hooks(`/${id}`, { method: "PATCH", token, json: { secret: "x" } })).status).toBe(400);
    for (const overlap of [-1, 604_801, 1.5, "60"]) {
      const res = await hooks(`/${id}/rotate-secret`, {
        method: "POST",
        token,
        json: { overlap_seconds: overlap },
      });
      expect(res.status, String(overlap)).toBe(400);
    }
    const keyed = { "Idempotency-Key": crypto.randomUUID() };
    const created = await hooks("", {
      method: "POST",
      token,
      headers: keyed,
      json: { url: "https://hooks.example.com/" },
    });
    expect(created.status).toBe(400);
    expect(created.body.errors?.[0]?.field).toBe("Idempotency-Key");
    expect(
      (await hooks(`/${id}/rotate-secret`, { method: "POST", token, headers: keyed, json: {} })).status,
    ).toBe(400);
    expect((await hooks("/not-a-uuid", { token })).status).toBe(400);
  });
});

describe("webhook endpoints: URL guard at the route", () => {
  const STRICT = { WEBHOOK_ALLOW_PRIVATE_TARGETS: "false" };

  it("with private targets refused (production policy): private, loopback, metadata and http are 400", async () => {
    const { token } = await freshTenant();
    for (const url of [
      "http://hooks.example.com/",
      "https://127.0.0.1/",
      "https://10.1.2.3/",
      "https://[::1]/",
      "https://[fd00:ec2::254]/",
      "https://169.254.169.254/latest/meta-data/",
      "https://metadata.google.internal/",
      "https://localhost/",
      "https://api.localhost/",
      "https://0x7f000001/",
      "https://2130706433/",
      "https://user:pass@hooks.example.com/",
    ]) {
      const res = await callWith(STRICT, ENDPOINTS, { method: "POST", token, json: { url } });
      expect(res.status, url).toBe(400);
      const body = await envelope(res);
      expect(body.errors?.[0], url).toMatchObject({ code: "VALIDATION_ERROR", field: "url" });
      if (url.startsWith("http:")) {
        expect(body.errors?.[0]?.message).toBe(
          "url must use https (this deployment accepts https only, not http)",
        );
      }
    }
    // Disabled: the guard is what is shown; a delivery would need DNS for the public name.
    const ok = await callWith(STRICT, ENDPOINTS, {
      method: "POST",
      token,
      json: { url: "https://hooks.example.com/", enabled: false },
    });
    expect(ok.status).toBe(201);
    const id = (await envelope<Endpoint>(ok)).data.id;
    const patch = await callWith(STRICT, `${ENDPOINTS}/${id}`, {
      method: "PATCH",
      token,
      json: { url: "http://127.0.0.1:9000/" },
    });
    expect(patch.status).toBe(400);
  });

  it("with private targets allowed (this test deployment): loopback and http pass, metadata never", async () => {
    expect(loadConfig(env).webhookAllowPrivateTargets).toBe(true);
    const { token } = await freshTenant();
    // Disabled: accepted is what is shown; nothing listens there for a delivery.
    for (const url of ["http://127.0.0.1:9000/hook", "http://localhost:9000/hook"]) {
      expect((await register(token, { url, enabled: false })).status, url).toBe(201);
    }
    for (const url of [
      "http://169.254.169.254/",
      "http://metadata.google.internal/",
      "http://u:p@127.0.0.1/",
    ]) {
      expect((await register(token, { url })).status, url).toBe(400);
    }
  });

  it("refuses WEBHOOK_ALLOW_PRIVATE_TARGETS=true in production, and answers 503 without DATA_ENCRYPTION_KEY", async () => {
    expect(() =>
      loadConfig({ ...env, ENVIRONMENT: "production", WEBHOOK_ALLOW_PRIVATE_TARGETS: "true" }),
    ).toThrow(/WEBHOOK_ALLOW_PRIVATE_TARGETS=true is refused in production/);
    expect(
      loadConfig({ ...env, ENVIRONMENT: "production", WEBHOOK_ALLOW_PRIVATE_TARGETS: "" })
        .webhookAllowPrivateTargets,
    ).toBe(false);
    const { token } = await freshTenant();
    const res = await callWith({ DATA_ENCRYPTION_KEY: "" }, ENDPOINTS, {
      method: "POST",
      token,
      json: { url: "https://hooks.example.com/" },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("60");
  });
});
