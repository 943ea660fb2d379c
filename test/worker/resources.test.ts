import { neon, neonConfig } from "@neondatabase/serverless";
import { describe, expect, inject, it } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope, tokenFor } from "./helpers";

const RESOURCES = "/api/v1/resources";

interface ResourceBody {
  id: string;
  name: string;
  content: string;
  summary: string | null;
  uri: string | null;
  metadata: Record<string, unknown>;
  related_entities: unknown[];
  resource_timestamp: string | null;
  embedding: { status: string; error: string | null };
}

async function create(json: Record<string, unknown>, token?: string) {
  const res = await call(RESOURCES, { method: "POST", json, ...(token ? { token } : {}) });
  return { res, body: await envelope<ResourceBody>(res) };
}

describe("resources CRUD", () => {
  it("creates (201, Location, data.id), reads, replaces with PUT, changes with PATCH, deletes softly", async () => {
    const { res, body } = await create({
      name: "Travel policy",
      content: "Rail travel in second class.",
      summary: "How we travel",
      uri: "https://intranet.example/travel",
      resource_timestamp: "2026-01-15T09:00:00Z",
      metadata: { type: "policy", tags: ["travel"] },
      related_entities: [{ type: "contact", id: "c-1" }],
    });
    expect(res.status).toBe(201);
    const id = body.data.id;
    expect(res.headers.get("Location")).toBe(`${RESOURCES}/${id}`);
    expect(body.data).toMatchObject({
      name: "Travel policy",
      summary: "How we travel",
      resource_timestamp: "2026-01-15T09:00:00.000Z",
      metadata: { type: "policy", tags: ["travel"] },
      related_entities: [{ type: "contact", id: "c-1" }],
    });
    // Keyword-searchable at once; semantic later (this Postgres has no pgvector: unavailable then).
    expect(["pending", "unavailable"]).toContain(body.data.embedding.status);

    const got = await envelope<ResourceBody>(await call(`${RESOURCES}/${id}`));
    expect(got.data.content).toBe("Rail travel in second class.");

    const put = await call(`${RESOURCES}/${id}`, {
      method: "PUT",
      json: { name: "Travel", content: "Trains." },
    });
    expect(put.status).toBe(200);
    const replaced = (await envelope<ResourceBody>(put)).data;
    expect(replaced).toMatchObject({
      name: "Travel",
      content: "Trains.",
      summary: null,
      uri: null,
      metadata: {},
    });

    const patch = await call(`${RESOURCES}/${id}`, {
      method: "PATCH",
      json: { metadata: { type: "guide" } },
    });
    expect((await envelope<ResourceBody>(patch)).data).toMatchObject({
      name: "Travel",
      metadata: { type: "guide" },
    });

    expect((await call(`${RESOURCES}/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await call(`${RESOURCES}/${id}`)).status).toBe(404);
    expect((await call(`${RESOURCES}/${id}`, { method: "DELETE" })).status).toBe(404);
    const list = await envelope<ResourceBody[]>(await call(`${RESOURCES}?limit=200`));
    expect(list.data.map((r) => r.id)).not.toContain(id);
  });

  it("answers 400 naming the field for bad input and read-only fields", async () => {
    for (const [json, field] of [
      [{ content: "x" }, "name"],
      [{ name: "x" }, "content"],
      [{ name: "x", content: "y", uri: "not a url" }, "uri"],
      [{ name: "x", content: "y", metadata: [] }, "metadata"],
      [{ name: "x", content: "y", id: crypto.randomUUID() }, "id"],
      [{ name: "x", content: "y", colour: "red" }, "colour"],
    ] as const) {
      const { res, body } = await create(json);
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(
        body.errors?.some((e) => e.field === field || e.message.includes(field)),
        JSON.stringify(body.errors),
      ).toBe(true);
    }
    const { body } = await create({ name: "x", content: "y" });
    const empty = await call(`${RESOURCES}/${body.data.id}`, { method: "PATCH", json: {} });
    expect(empty.status).toBe(400);
  });

  it("lists newest first with cursor paging that neither repeats nor drops, and filters", async () => {
    const marker = `m-${crypto.randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await create({ name: `r${i}`, content: "c", metadata: { type: marker } })).body.data.id);
    }
    await create({ name: "other", content: "c", metadata: { type: `${marker}-other` } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof envelope<ResourceBody[]>>> = await envelope<ResourceBody[]>(
        await call(`${RESOURCES}?limit=2&metadata.type=${marker}${cursor ? `&cursor=${cursor}` : ""}`),
      );
      seen.push(...page.data.map((r) => r.id));
      cursor = page.meta?.cursor ?? null;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await call(`${RESOURCES}?limit=201`)).status).toBe(400);
    expect((await call(`${RESOURCES}?colour=red`)).status).toBe(400);
  });

  it("another tenant's id is 404 on every route, like a missing one", async () => {
    const { body } = await create({ name: "Secret plan", content: "Only tenant a" });
    const b = await tokenFor({ tenant: "b" });
    const path = `${RESOURCES}/${body.data.id}`;
    const missing = await call(`${RESOURCES}/${crypto.randomUUID()}`, { token: b });
    const missingBody = (await envelope(missing)).errors;
    for (const init of [
      { method: "GET" },
      { method: "PATCH", json: { name: "x" } },
      { method: "PUT", json: { name: "x", content: "y" } },
      { method: "DELETE" },
    ]) {
      const res = await call(path, { ...init, token: b });
      expect(res.status, init.method).toBe(404);
      expect((await envelope(res)).errors).toEqual(missingBody);
    }
    expect((await call(path)).status).toBe(200);
  });

  it("row-level security: the app role with another tenant set sees none of the rows", async () => {
    const { body } = await create({ name: "RLS", content: "row level" });
    neonConfig.fetchEndpoint = `${inject("gatewayUrl")}/sql`;
    const app = neon(`postgres://nexus_app:nexus_app@127.0.0.1:5432/${inject("databaseName")}`);
    const [, rows, docs] = await app.transaction([
      app`select set_config('app.tenant_id', ${TEST_TENANTS.b.tenantId}, true)`,
      app`select id from resources where id = ${body.data.id}`,
      app`select entity_id from search_documents where entity_id = ${body.data.id}`,
    ]);
    expect(rows).toEqual([]);
    expect(docs).toEqual([]);
    const [, own] = await app.transaction([
      app`select set_config('app.tenant_id', ${TEST_TENANTS.a.tenantId}, true)`,
      app`select id from resources where id = ${body.data.id}`,
    ]);
    expect(own).toHaveLength(1);
  });

  it("roles: Owner…Member write, Viewer only reads, Guest neither", async () => {
    for (const role of ["Owner", "Admin", "Manager", "Member"]) {
      const { res } = await create({ name: role, content: "c" }, await tokenFor({ role }));
      expect(res.status, role).toBe(201);
    }
    const viewer = await tokenFor({ role: "Viewer" });
    expect((await call(RESOURCES, { token: viewer })).status).toBe(200);
    expect((await create({ name: "v", content: "c" }, viewer)).res.status).toBe(403);
    const guest = await tokenFor({ role: "Guest" });
    expect((await call(RESOURCES, { token: guest })).status).toBe(403);
    expect((await call("/api/v1/search", { method: "POST", token: guest, json: { q: "x" } })).status).toBe(
      403,
    );
  });

  it("emits resource.created, resource.updated and resource.deleted with the resource", async () => {
    const { body } = await create({ name: "Evented", content: "c" });
    const id = body.data.id;
    await call(`${RESOURCES}/${id}`, { method: "PATCH", json: { name: "Evented 2" } });
    await call(`${RESOURCES}/${id}`, { method: "DELETE" });
    const events = await envelope<
      { event_type: string; source: string; data: { id: string; name: string } }[]
    >(await call("/api/v1/events?event_type=resource.&limit=200"));
    const mine = events.data.filter((e) => e.data.id === id);
    expect(mine.map((e) => e.event_type).sort()).toEqual([
      "resource.created",
      "resource.deleted",
      "resource.updated",
    ]);
    expect(mine.find((e) => e.event_type === "resource.updated")?.data.name).toBe("Evented 2");
  });
});
