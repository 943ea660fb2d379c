import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../workers/api/events/catalogue";
import worker from "../../workers/api/index";
import { PlatformEvent } from "../../workers/api/schemas/event";
import { TEST_TENANTS } from "../support/tenants";
import { BASE, call, envelope, tokenFor } from "./helpers";
import { insertEvent, ownerSql } from "./outbox-helpers";

const A = TEST_TENANTS.a;
const B = TEST_TENANTS.b;

type Event = { event_id: string; event_type: string; tenant_id: string; timestamp: string };
const list = async (query: string, token?: string) =>
  call(`/api/v1/events?${query}`, token === undefined ? {} : { token });

describe("GET /api/v1/events", () => {
  // A family of event types no other test writes, so filters see only these rows.
  const family = `t${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const ids: string[] = [];
  beforeAll(async () => {
    // Five events a second apart, oldest first; two types; and one in tenant b.
    for (let i = 0; i < 5; i++) {
      ids.push(
        await insertEvent({
          tenantId: A.tenantId,
          eventType: `${family}.${i % 2 === 0 ? "created" : "updated"}`,
          secondsAgo: 60 - i,
        }),
      );
    }
    await insertEvent({ tenantId: B.tenantId, eventType: `${family}.created`, secondsAgo: 30 });
  });

  it("pages the tenant's events newest first with cursors; every item is a platform event", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`event_type=${family}.&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const body = await envelope<Event[]>(res);
      expect(body.meta?.limit).toBe(2);
      for (const e of body.data) {
        expect(PlatformEvent.safeParse(e).success).toBe(true);
        expect(e.tenant_id).toBe(A.tenantId);
      }
      seen.push(...body.data.map((e) => e.event_id));
      expect(body.meta?.has_more).toBe(body.meta?.cursor !== null);
      cursor = body.meta?.cursor ?? null;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it("filters by exact type, by prefix, and by since", async () => {
    const exact = await envelope<Event[]>(await list(`event_type=${family}.updated`));
    expect(exact.data.map((e) => e.event_id)).toEqual([ids[3], ids[1]]);
    const prefix = await envelope<Event[]>(await list(`event_type=${family}.`));
    expect(prefix.data).toHaveLength(5);
    // `${family}` without the dot is an exact type nobody emits: no prefix match.
    expect((await envelope<Event[]>(await list(`event_type=${family}`))).data).toHaveLength(0);
    // Inclusive: the third event's own instant includes it.
    const [row] = (await ownerSql().query(
      `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t
       from outbox_events where id = $1`,
      [ids[2]],
    )) as { t: string }[];
    const recent = await envelope<Event[]>(await list(`event_type=${family}.&since=${row?.t}`));
    expect(recent.data.map((e) => e.event_id)).toEqual([ids[4], ids[3], ids[2]]);
  });

  it("never shows another tenant's events", async () => {
    const tokenB = await tokenFor({ tenant: "b" });
    const seenByB = await envelope<Event[]>(await list(`event_type=${family}.`, tokenB));
    expect(seenByB.data).toHaveLength(1);
    expect(seenByB.data[0]?.tenant_id).toBe(B.tenantId);
    const seenByA = await envelope<Event[]>(await list(`event_type=${family}.created&limit=200`));
    expect(seenByA.data.every((e) => e.tenant_id === A.tenantId)).toBe(true);
  });

  it("validates its query", async () => {
    for (const query of [
      "limit=201",
      "limit=0",
      "since=yesterday",
      "event_type=Contact%20Created",
      "cursor=x",
    ]) {
      expect((await list(query)).status, query).toBe(400);
    }
  });

  it("is for Owner, Admin, Manager and Member; Viewer and Guest get 403", async () => {
    for (const role of ["Owner", "Admin", "Manager", "Member"]) {
      expect((await list("limit=1", await tokenFor({ role }))).status, role).toBe(200);
    }
    for (const role of ["Viewer", "Guest"]) {
      expect((await list("limit=1", await tokenFor({ role }))).status, role).toBe(403);
    }
    // The scope is crm:read (events are CRM changes so far).
    expect((await list("limit=1", await tokenFor({ scope: "iam:read" }))).status).toBe(403);
    expect((await list("limit=1", await tokenFor({ scope: "crm:read" }))).status).toBe(200);
  });
});

describe("GET /api/v1/events/types", () => {
  it("publishes the catalogue: every type with its description, for those who may read events", async () => {
    const res = await call("/api/v1/events/types", { token: await tokenFor() });
    expect(res.status).toBe(200);
    const types = (await envelope<{ type: string; description: string }[]>(res)).data;
    expect(types.map((t) => t.type)).toEqual(EVENT_TYPES);
    for (const t of [
      "contact.created",
      "opportunity.stage_changed",
      "webhook_endpoint.deleted",
      "tenant.activated",
    ]) {
      expect(types.find((x) => x.type === t)?.description, t).toMatch(/\w/);
    }
    expect((await call("/api/v1/events/types", { token: null })).status).toBe(401);
    expect((await call("/api/v1/events/types", { token: await tokenFor({ role: "Guest" }) })).status).toBe(
      403,
    );
  });
});

describe("publishing after commit", () => {
  const published = async (contactId: string) =>
    (await ownerSql().query(
      "select event_type, published_at from outbox_events where payload->'data'->>'id' = $1 order by created_at",
      [contactId],
    )) as { event_type: string; published_at: string | null }[];

  /** The real Worker, waiting for its waitUntil work as the runtime would before the isolate ends. */
  async function fetchAndWait(path: string, init: RequestInit & { json?: unknown } = {}) {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${await tokenFor()}`);
    if (init.json !== undefined) headers.set("Content-Type", "application/json");
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}${path}`, {
        ...init,
        headers,
        body: init.json === undefined ? null : JSON.stringify(init.json),
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  }

  it("a contact create, replace and delete publish their events once the request is done", async () => {
    const created = await fetchAndWait("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Pub" },
    });
    expect(created.status).toBe(201);
    const id = (await envelope<{ id: string }>(created)).data.id;
    expect((await published(id))[0]?.published_at).not.toBeNull();

    await fetchAndWait(`/api/v1/crm/contacts/${id}`, { method: "PUT", json: { first_name: "Pub2" } });
    await fetchAndWait(`/api/v1/crm/contacts/${id}`, { method: "DELETE" });
    const events = await published(id);
    expect(events.map((e) => e.event_type)).toEqual([
      "contact.created",
      "contact.updated",
      "contact.deleted",
    ]);
    expect(events.every((e) => e.published_at !== null)).toBe(true);
  });

  it("a keyed (idempotent) create publishes after its COMMIT too", async () => {
    const created = await fetchAndWait("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Keyed" },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    expect(created.status).toBe(201);
    const id = (await envelope<{ id: string }>(created)).data.id;
    expect((await published(id))[0]?.published_at).not.toBeNull();
  });

  it("a failed write publishes nothing and answers as before", async () => {
    const res = await fetchAndWait(`/api/v1/crm/contacts/${crypto.randomUUID()}`, { method: "DELETE" });
    expect(res.status).toBe(404);
  });
});
