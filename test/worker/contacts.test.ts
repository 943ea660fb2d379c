import { describe, expect, it } from "vitest";
import { Contact as ContactSchema } from "../../workers/api/schemas/contact";
import { TEST_TENANTS } from "../support/tenants";
import { call, type Envelope, envelope, tokenFor } from "./helpers";

interface Contact {
  id: string;
  first_name: string;
  last_name: string | null;
  email: string | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

const unique = () => crypto.randomUUID().slice(0, 8);

async function create(json: Record<string, unknown>, tenant: "a" | "b" = "a") {
  const res = await call("/api/v1/crm/contacts", { method: "POST", json, token: await tokenFor({ tenant }) });
  return { res, body: await envelope<Contact>(res) };
}

describe("CRM contacts", () => {
  it("creates a contact: 201, Location, envelope, request id", async () => {
    const { res, body } = await create({
      first_name: "Ngozi",
      last_name: "Adeyemi",
      email: `ngozi-${unique()}@example.com`,
      tags: ["vip"],
      custom_fields: { loyalty_tier: "gold" },
    });
    expect(res.status).toBe(201);
    expect(body.status).toBe("success");
    expect(body.data.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("Location")).toBe(`/api/v1/crm/contacts/${body.data.id}`);
    expect(body.request_id).toBe(res.headers.get("X-Request-Id"));
    expect(body.data).toMatchObject({
      first_name: "Ngozi",
      tags: ["vip"],
      custom_fields: { loyalty_tier: "gold" },
    });
    expect(new Date(body.data.created_at).toISOString()).toBe(body.data.created_at);
    expect(ContactSchema.strict().parse(body.data)).toEqual(body.data);
  });

  it("answers lists and items in exactly the documented Contact schema", async () => {
    await create({
      first_name: "Schema",
      last_name: null,
      tags: [],
      custom_fields: { n: 1, ok: true, list: ["a", 2] },
    });
    const list = await envelope<Contact[]>(await call("/api/v1/crm/contacts?limit=5"));
    expect(list.data.length).toBeGreaterThan(0);
    for (const item of list.data) expect(ContactSchema.strict().parse(item)).toEqual(item);
    const first = list.data[0]!;
    const one = await envelope<Contact>(await call(`/api/v1/crm/contacts/${first.id}`));
    expect(one.data).toEqual(first);
  });

  it("reads, replaces and soft-deletes a contact", async () => {
    const { body: created } = await create({ first_name: "Lena", email: `lena-${unique()}@example.com` });
    const id = created.data.id;

    const got = await call(`/api/v1/crm/contacts/${id}`);
    expect(got.status).toBe(200);
    expect((await envelope<Contact>(got)).data).toEqual(created.data);

    const put = await call(`/api/v1/crm/contacts/${id}`, {
      method: "PUT",
      json: { first_name: "Lena", last_name: "Vogel" },
    });
    expect(put.status).toBe(200);
    const replaced = (await envelope<Contact>(put)).data;
    expect(replaced.last_name).toBe("Vogel");
    expect(replaced.email).toBeNull(); // PUT replaces: omitted fields are cleared
    expect(Date.parse(replaced.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.data.updated_at));

    const del = await call(`/api/v1/crm/contacts/${id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect((await call(`/api/v1/crm/contacts/${id}`)).status).toBe(404);
    expect((await call(`/api/v1/crm/contacts/${id}`, { method: "DELETE" })).status).toBe(404);

    const list = await envelope<Contact[]>(await call("/api/v1/crm/contacts?limit=200"));
    expect(list.data.map((c) => c.id)).not.toContain(id);
  });

  it("serves the same handlers under /api/v1/contacts", async () => {
    const res = await call("/api/v1/contacts", { method: "POST", json: { first_name: "Alias" } });
    expect(res.status).toBe(201);
    const { data } = await envelope<Contact>(res);
    expect(res.headers.get("Location")).toBe(`/api/v1/contacts/${data.id}`);
    expect((await call(`/api/v1/crm/contacts/${data.id}`)).status).toBe(200);
  });

  it("rejects invalid input with field errors", async () => {
    const { res, body } = await create({ first_name: "", email: "not-an-email" });
    expect(res.status).toBe(400);
    expect(body.status).toBe("error");
    const fields = body.errors?.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(["first_name", "email"]));
    expect(body.errors?.every((e) => e.code === "VALIDATION_ERROR")).toBe(true);
    expect(body.errors?.find((e) => e.field === "email")?.message).toBe("Invalid email format");
  });

  it("rejects fields the client may not set", async () => {
    for (const extra of [
      { id: crypto.randomUUID() },
      { tenant_id: TEST_TENANTS.b.tenantId },
      { created_at: "2020-01-01T00:00:00Z" },
      { role: "Owner" },
    ]) {
      const { res, body } = await create({ first_name: "Sneaky", ...extra });
      expect(res.status).toBe(400);
      expect(body.errors?.[0]?.message).toMatch(/read-only|unknown/i);
    }
  });

  it("answers a malformed JSON body with 400 BAD_REQUEST", async () => {
    const res = await call("/api/v1/crm/contacts", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"first_name": ',
    });
    expect(res.status).toBe(400);
    expect((await envelope(res)).errors?.[0]?.code).toBe("BAD_REQUEST");
  });

  it("answers a duplicate email with 409 CONFLICT", async () => {
    const email = `dup-${unique()}@example.com`;
    expect((await create({ first_name: "One", email })).res.status).toBe(201);
    const { res, body } = await create({ first_name: "Two", email: email.toUpperCase() });
    expect(res.status).toBe(409);
    expect(body.errors?.[0]?.code).toBe("CONFLICT");
  });

  it("answers a malformed id with 400 and an unknown id with 404", async () => {
    expect((await call("/api/v1/crm/contacts/not-a-uuid")).status).toBe(400);
    const missing = await call(`/api/v1/crm/contacts/${crypto.randomUUID()}`);
    expect(missing.status).toBe(404);
    expect((await envelope(missing)).errors?.[0]?.code).toBe("NOT_FOUND");
  });
});

describe("tenant isolation", () => {
  it("answers another tenant's id with 404, exactly like a missing id", async () => {
    const { body } = await create({ first_name: "Private", email: `private-${unique()}@example.com` }, "a");
    const id = body.data.id;
    const tokenB = await tokenFor({ tenant: "b" });

    const strip = (e: Envelope) => ({ ...e, request_id: "" });
    const missing = await call(`/api/v1/crm/contacts/${crypto.randomUUID()}`, { token: tokenB });
    const foreign = await call(`/api/v1/crm/contacts/${id}`, { token: tokenB });
    expect(foreign.status).toBe(404);
    expect(strip(await envelope(foreign))).toEqual(strip(await envelope(missing)));

    expect(
      (
        await call(`/api/v1/crm/contacts/${id}`, {
          method: "PUT",
          token: tokenB,
          json: { first_name: "Hijack" },
        })
      ).status,
    ).toBe(404);
    expect((await call(`/api/v1/crm/contacts/${id}`, { method: "DELETE", token: tokenB })).status).toBe(404);

    const listB = await envelope<Contact[]>(await call("/api/v1/crm/contacts?limit=200", { token: tokenB }));
    expect(listB.data.map((c) => c.id)).not.toContain(id);

    // Still intact for its owner.
    const again = await call(`/api/v1/crm/contacts/${id}`);
    expect((await envelope<Contact>(again)).data.first_name).toBe("Private");
  });
});

describe("pagination", () => {
  it("walks every contact exactly once with cursors, newest first", async () => {
    const tag = `page-${unique()}`;
    for (let i = 0; i < 7; i++) await create({ first_name: `P${i}`, tags: [tag] }, "b");

    const seen: Contact[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : "?limit=3";
      const page: Envelope<Contact[]> = await envelope<Contact[]>(
        await call(`/api/v1/crm/contacts${query}`, { token: await tokenFor({ tenant: "b" }) }),
      );
      expect(page.meta?.limit).toBe(3);
      expect(page.data.length).toBeLessThanOrEqual(3);
      seen.push(...page.data);
      cursor = page.meta?.cursor ?? null;
      expect(page.meta?.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor && pages < 50);

    const ids = seen.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    const mine = seen.filter((c) => c.tags.includes(tag)).map((c) => c.first_name);
    expect(mine).toEqual(["P6", "P5", "P4", "P3", "P2", "P1", "P0"]);
    const times = seen.map((c) => Date.parse(c.created_at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
  });

  it("defaults to 50, caps at 200, reports totals on request", async () => {
    const res = await call("/api/v1/crm/contacts");
    expect((await envelope(res)).meta?.limit).toBe(50);
    expect((await call("/api/v1/crm/contacts?limit=201")).status).toBe(400);
    expect((await call("/api/v1/crm/contacts?limit=0")).status).toBe(400);
    const withTotal = await envelope(
      await call("/api/v1/crm/contacts?include_total=true", { token: await tokenFor({ tenant: "b" }) }),
    );
    expect(typeof withTotal.meta?.total).toBe("number");
    expect(withTotal.meta?.total).toBeGreaterThanOrEqual(3);
  });

  it("rejects a forged cursor", async () => {
    const res = await call("/api/v1/crm/contacts?cursor=bm90LWEtY3Vyc29y");
    expect(res.status).toBe(400);
    expect((await envelope(res)).errors?.[0]?.field).toBe("cursor");
  });
});

describe("roles", () => {
  it("lets a Viewer read but not write, and a Guest do neither", async () => {
    const viewer = await tokenFor({ role: "Viewer" });
    expect((await call("/api/v1/crm/contacts", { token: viewer })).status).toBe(200);
    const write = await call("/api/v1/crm/contacts", {
      method: "POST",
      token: viewer,
      json: { first_name: "No" },
    });
    expect(write.status).toBe(403);
    expect((await envelope(write)).errors?.[0]?.code).toBe("FORBIDDEN");
    const guest = await tokenFor({ role: "Guest" });
    expect((await call("/api/v1/crm/contacts", { token: guest })).status).toBe(403);
  });
});
