import { describe, expect, it } from "vitest";
import { PRESETS } from "../../db/presets";
import { PUBLIC_REQUEST_LIMIT } from "../../workers/api/limits/per-address";
import type { PresetJson } from "../../workers/api/services/presets";
import { call, envelope } from "./helpers";
import { statuses } from "./rate-limit-helpers";

const LIST = "/api/v1/nexus/presets";

/** A client address of its own per test, so no other test's requests share its counter. */
const address = () => `203.0.113.${Math.floor(Math.random() * 250) + 1}`;

function get(path: string, ip = address(), token: string | null = null) {
  return call(path, { token, headers: { "CF-Connecting-IP": ip } });
}

describe("GET /api/v1/nexus/presets (public)", () => {
  it("lists the six presets with their contents, without a credential", async () => {
    const res = await get(LIST);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    const body = await envelope<PresetJson[]>(res);
    expect(body.status).toBe("success");
    expect(body.request_id).toBe(res.headers.get("X-Request-Id"));
    expect(body.data.map((p) => p.id)).toEqual(PRESETS.map((p) => p.id));
    expect(body.data).toHaveLength(6);
    const clinic = body.data.find((p) => p.id === "clinic");
    expect(clinic?.regions).toEqual({
      eu: { default_currency: "EUR", payment_providers: ["stripe"] },
      lagos: { default_currency: "NGN", payment_providers: ["paystack", "flutterwave"] },
    });
    for (const preset of body.data) {
      expect(preset.roles.length, preset.id).toBeGreaterThan(0);
      expect(
        preset.pipeline.filter((s) => s.terminal).map((s) => s.terminal),
        preset.id,
      ).toEqual(["won", "lost"]);
      expect(preset.custom_fields.contact.length, preset.id).toBeGreaterThan(0);
      expect(preset.custom_fields.lead.length, preset.id).toBeGreaterThan(0);
      expect(preset.webhook_event_types, preset.id).toContain("contact.created");
      expect(preset.realtime_rooms.length, preset.id).toBeGreaterThan(0);
      expect(["starter", "professional", "enterprise"], preset.id).toContain(preset.rate_limit_tier);
    }
  });

  it("serves one preset by id, the same as in the list", async () => {
    const res = await get(`${LIST}/professional-services`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    const one = (await envelope<PresetJson>(res)).data;
    const listed = (await envelope<PresetJson[]>(await get(LIST))).data.find((p) => p.id === one.id);
    expect(one).toEqual(listed);
    expect(one.custom_fields.lead.find((f) => f.key === "service_line")).toMatchObject({
      type: "enum",
      required: true,
      options: expect.arrayContaining(["legal", "tax"]),
    });
  });

  it("is served at the platform spec's /api/v1/presets too, by the same handlers", async () => {
    const nexus = (await envelope<PresetJson[]>(await get(LIST))).data;
    const res = await get("/api/v1/presets");
    expect(res.status).toBe(200);
    expect((await envelope<PresetJson[]>(res)).data).toEqual(nexus);
    const one = await get("/api/v1/presets/clinic");
    expect(one.status).toBe(200);
    expect((await envelope<PresetJson>(one)).data).toEqual(nexus.find((p) => p.id === "clinic"));
    expect((await get("/api/v1/presets/bakery")).status).toBe(404);
  });

  it("answers 404 in the envelope for an unknown id", async () => {
    const res = await get(`${LIST}/bakery`);
    expect(res.status).toBe(404);
    expect(res.headers.get("Cache-Control")).not.toBe("public, max-age=300");
    const body = await envelope(res);
    expect(body.status).toBe("error");
    expect(body.errors?.[0]?.code).toBe("NOT_FOUND");
    expect(body.request_id).toBe(res.headers.get("X-Request-Id"));
  });

  it("reads no credential: an invalid token is neither refused nor needed", async () => {
    const res = await get(LIST, address(), "not-a-token");
    expect(res.status).toBe(200);
  });

  it("is public for the declared method only: another method still needs a credential", async () => {
    const anonymous = await call(LIST, { method: "POST", token: null, json: {} });
    expect(anonymous.status).toBe(401);
    const signedIn = await call(LIST, { method: "POST", json: {} });
    expect(signedIn.status).toBe(405);
    expect(signedIn.headers.get("Allow")).toBe("GET, HEAD");
  });

  it("reports the per-address limit in the rate-limit headers", async () => {
    const ip = address();
    const first = await get(LIST, ip);
    const { limit, windowMs } = PUBLIC_REQUEST_LIMIT;
    expect(first.headers.get("RateLimit-Policy")).toBe(`"ip";q=${limit};w=${windowMs / 1000}`);
    expect(first.headers.get("RateLimit")).toMatch(/^"ip";r=\d+;t=\d+$/);
    expect(first.headers.get("X-RateLimit-Limit")).toBe(String(limit));
    const remaining = Number(first.headers.get("X-RateLimit-Remaining"));
    const second = await get(`${LIST}/retail`, ip);
    expect(Number(second.headers.get("X-RateLimit-Remaining"))).toBe(remaining - 1);
    expect(Number(second.headers.get("X-RateLimit-Reset")) * 1000).toBeGreaterThan(Date.now());
  });

  it("lets exactly the limit through from one address in a concurrent burst, then 429 with Retry-After", async () => {
    const ip = "198.51.100.250";
    // Windows are fixed (aligned to the epoch): start the burst well inside one.
    const intoWindow = Date.now() % PUBLIC_REQUEST_LIMIT.windowMs;
    if (intoWindow > PUBLIC_REQUEST_LIMIT.windowMs - 10_000) {
      await new Promise((resolve) => setTimeout(resolve, PUBLIC_REQUEST_LIMIT.windowMs - intoWindow + 100));
    }
    const responses = await Promise.all(
      Array.from({ length: PUBLIC_REQUEST_LIMIT.limit + 5 }, () => get(LIST, ip)),
    );
    expect(statuses(responses)).toEqual({ 200: PUBLIC_REQUEST_LIMIT.limit, 429: 5 });
    const refused = responses.find((r) => r.status === 429);
    expect(Number(refused?.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(refused?.headers.get("X-RateLimit-Remaining")).toBe("0");
    expect((await envelope(refused as Response)).errors?.[0]?.code).toBe("RATE_LIMITED");
    // Another address is counted on its own.
    expect((await get(LIST, "198.51.100.251")).status).toBe(200);
  });

  it("is marked public in the OpenAPI document", async () => {
    const doc = (await (await call("/openapi.json", { token: null })).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    for (const path of [LIST, `${LIST}/{id}`]) {
      expect(doc.paths[path]?.get, path).toMatchObject({
        "x-public": true,
        "x-permission": "public",
        security: [],
        tags: ["nexus"],
      });
    }
  });
});
