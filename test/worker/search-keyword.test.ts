import { describe, expect, it } from "vitest";
import { call, envelope, tokenFor } from "./helpers";
import { allPages, callerWith, marker, searchWith } from "./search-helpers";

// Keyword search on the real Postgres (no pgvector here): hybrid answers from the keyword arm
// and says why; semantic is refused. Vector behaviour: search-semantic.test.ts on PGlite.
const pg = callerWith(undefined);
const search = (json: Record<string, unknown>, token?: string) => searchWith(pg, json, token);

async function resource(json: Record<string, unknown>, token?: string) {
  const res = await call("/api/v1/resources", { method: "POST", json, ...(token ? { token } : {}) });
  expect(res.status).toBe(201);
  return (await envelope<{ id: string }>(res)).data.id;
}

describe("POST /api/v1/search on Postgres (keyword)", () => {
  it("finds a resource the moment it commits, with <mark> highlights, HTML escaped", async () => {
    const m = marker();
    const id = await resource({
      name: `Handbook ${m}`,
      content: `The <b>${m}</b> section & more about travel.`,
    });
    const r = await search({ q: m, mode: "keyword" });
    expect(r.res.status).toBe(200);
    expect(r.data.hits.map((h) => h.id)).toEqual([id]);
    const hit = r.data.hits[0];
    expect(hit?.type).toBe("resource");
    expect(hit?.ranks).toEqual({ keyword: 1, semantic: null });
    expect(hit?.highlights.name).toBe(`Handbook <mark>${m}</mark>`);
    // Postgres' headline parser drops markup tags; what is left is escaped, only <mark> is live.
    expect(hit?.highlights.content).toContain(`<mark>${m}</mark>`);
    expect(hit?.highlights.content).not.toContain("<b>");
    expect(hit?.highlights.content).toContain("&amp;");
    expect(r.data.found).toBe(1);
    expect(r.data.found_is_exact).toBe(true);
    expect(r.meta.path).toEqual({ keyword: "gin", semantic: "off" });
  });

  it("hybrid without pgvector answers from the keyword arm and says why; semantic is 400 naming mode", async () => {
    const m = marker();
    await resource({ name: m, content: "x" });
    const hybrid = await search({ q: m });
    expect(hybrid.res.status).toBe(200);
    expect(hybrid.data.hits).toHaveLength(1);
    expect(hybrid.meta.path.semantic).toBe("unavailable");
    expect(hybrid.meta.semantic_unavailable).toMatch(/pgvector/);
    const semantic = await search({ q: m, mode: "semantic" });
    expect(semantic.res.status).toBe(400);
    expect(semantic.errors?.[0]?.field).toBe("mode");
    expect(semantic.errors?.[0]?.message).toMatch(/pgvector/);
  });

  it("web-search syntax: phrases, -exclusion and or", async () => {
    const m = marker();
    const a = await resource({ name: `${m} alpha`, content: "red apple pie" });
    const b = await resource({ name: `${m} beta`, content: "apple red pie" });
    const c = await resource({ name: `${m} gamma`, content: "green pear tart" });
    const ids = async (q: string) => (await search({ q, mode: "keyword" })).data.hits.map((h) => h.id).sort();
    expect(await ids(`${m} "red apple"`)).toEqual([a]);
    expect(await ids(`${m} -pear`)).toEqual([a, b].sort());
    expect(await ids(`${m} pear or apple`)).toEqual([a, b, c].sort());
    expect(await ids(`${m} pear`)).toEqual([c]);
  });

  it("is accent-insensitive over one index of resources, contacts and leads (Yoruba and German names)", async () => {
    const m = marker();
    const contact = await call("/api/v1/contacts", {
      method: "POST",
      json: { first_name: "Adébáyọ̀", last_name: `Okafor ${m}` },
    });
    expect(contact.status).toBe(201);
    const contactId = (await envelope<{ id: string }>(contact)).data.id;
    const lead = await call("/api/v1/leads", {
      method: "POST",
      json: { first_name: "Jürgen", last_name: `Müller ${m}`, email: `jm${m}@example.de` },
      token: await tokenFor({ tenant: "a" }),
    });
    const doc = await resource({
      name: `Notes ${m}`,
      content: "Meeting with Ọ̀ṣọ́ Adébáyọ̀ about the Straße project",
    });
    const found = async (q: string) =>
      (await search({ q: `${q} ${m}`, mode: "keyword", facets: ["type"] })).data;
    // The marker is in the contact's last name and the lead's; the resource has it in its name.
    const adebayo = await found("adebayo");
    expect(adebayo.hits.map((h) => h.id).sort()).toEqual([contactId, doc].sort());
    expect(adebayo.facets.type).toEqual({ contact: 1, resource: 1 });
    const contactHit = adebayo.hits.find((h) => h.id === contactId);
    expect(contactHit?.record).toMatchObject({ url: `/api/v1/contacts/${contactId}` });
    expect((await found("ADEBAYO")).hits).toHaveLength(2);
    expect((await found("strasse")).hits.map((h) => h.id)).toEqual([doc]);
    expect(lead.status).toBe(201);
    const leadId = (await envelope<{ id: string }>(lead)).data.id;
    expect((await found("jurgen muller")).hits.map((h) => h.id)).toEqual([leadId]);
    expect((await found("JÜRGEN")).hits.map((h) => h.id)).toEqual([leadId]);
  });

  it("a filter narrows the hits and the facet counts, which sum to found; metadata ranges and in", async () => {
    const m = marker();
    for (const [type, version, tags] of [
      ["policy", 1, ["travel", "eu"]],
      ["policy", 2, ["travel"]],
      ["policy", 3, ["finance"]],
      ["memo", 4, ["travel"]],
      ["memo", 5, []],
    ] as const) {
      await resource({
        name: `${m} ${type} ${version}`,
        content: "shared words",
        metadata: { type, version, tags },
      });
    }
    const all = await search({ q: m, mode: "keyword", facets: ["metadata.type", "metadata.tags", "type"] });
    expect(all.data.found).toBe(5);
    expect(all.data.facets["metadata.type"]).toEqual({ policy: 3, memo: 2 });
    expect(all.data.facets["metadata.tags"]).toEqual({ travel: 3, eu: 1, finance: 1 });
    expect(all.data.facets.type).toEqual({ resource: 5 });
    const sum = (f: Record<string, number> | undefined) => Object.values(f ?? {}).reduce((a, b) => a + b, 0);
    expect(sum(all.data.facets["metadata.type"])).toBe(all.data.found);

    const policies = await search({
      q: m,
      mode: "keyword",
      filter: { "metadata.type": "policy" },
      facets: ["metadata.type", "metadata.tags"],
    });
    expect(policies.data.found).toBe(3);
    expect(policies.data.hits).toHaveLength(3);
    expect(policies.data.facets["metadata.type"]).toEqual({ policy: 3 });
    expect(policies.data.facets["metadata.tags"]).toEqual({ travel: 2, eu: 1, finance: 1 });
    expect(sum(policies.data.facets["metadata.type"])).toBe(policies.data.found);

    const ranged = await search({
      q: m,
      mode: "keyword",
      filter: { "metadata.version": { gte: 2, lte: 4 } },
    });
    expect(ranged.data.found).toBe(3);
    const tagged = await search({
      q: m,
      mode: "keyword",
      filter: { "metadata.tags": "travel", "metadata.type": { in: ["memo"] } },
    });
    expect(tagged.data.found).toBe(1);
    const dated = await search({
      q: m,
      mode: "keyword",
      filter: { created_at: { gte: "2000-01-01", lt: "2000-02-01" } },
    });
    expect(dated.data.found).toBe(0);
  });

  it("paging with the cursor never repeats or drops a hit, and a cursor serves only its own search", async () => {
    const m = marker();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push(await resource({ name: `${m} ${"word ".repeat(i)}`, content: `${m} ${i}` }));
    const pages = await allPages(pg, { q: m, mode: "keyword", limit: 3 });
    expect(pages.map((h) => h.id).sort()).toEqual([...ids].sort());
    expect(new Set(pages.map((h) => h.id)).size).toBe(7);
    const scores = pages.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const first = await search({ q: m, mode: "keyword", limit: 3 });
    const other = await search({ q: `${m} word`, mode: "keyword", limit: 3, cursor: first.meta.cursor });
    expect(other.res.status).toBe(400);
    expect(other.errors?.[0]?.field).toBe("cursor");
  });

  it("a tenant sees only its own hits and facets", async () => {
    const m = marker();
    await resource({ name: `${m} of a`, content: "a", metadata: { type: "a-only" } });
    const b = await tokenFor({ tenant: "b" });
    await resource({ name: `${m} of b`, content: "b", metadata: { type: "b-only" } }, b);
    const asB = await search({ q: m, mode: "keyword", facets: ["metadata.type"] }, b);
    expect(asB.data.hits.map((h) => h.record.name)).toEqual([`${m} of b`]);
    expect(asB.data.facets["metadata.type"]).toEqual({ "b-only": 1 });
  });

  it("a deleted resource disappears from search at once", async () => {
    const m = marker();
    const id = await resource({ name: m, content: "to be deleted" });
    expect((await search({ q: m, mode: "keyword" })).data.found).toBe(1);
    expect((await call(`/api/v1/resources/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await search({ q: m, mode: "keyword" })).data.found).toBe(0);
    expect((await search({ q: m })).data.found).toBe(0);
  });

  it("the search alias under resources answers the same", async () => {
    const m = marker();
    await resource({ name: m, content: "alias" });
    const res = await call("/api/v1/resources/search", { method: "POST", json: { q: m, mode: "keyword" } });
    expect(res.status).toBe(200);
    expect((await envelope<{ found: number }>(res)).data.found).toBe(1);
  });

  it("answers 400 naming the field for malformed q, unknown facets and bad filters", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ q: "" }, "q"],
      [{ q: "   " }, "q"],
      [{ q: '- "" !!', mode: "keyword" }, "q"],
      [{ q: "x".repeat(501) }, "q"],
      [{ q: "x", mode: "fuzzy" }, "mode"],
      [{ q: "x", semantic_ratio: 2 }, "semantic_ratio"],
      [{ q: "x", facets: ["colour"] }, "facets.0"],
      [{ q: "x", facets: ["type", "metadata.bad key"] }, "facets.1"],
      [{ q: "x", filter: { colour: "red" } }, "filter.colour"],
      [{ q: "x", filter: { "metadata.version": { near: 3 } } }, "filter.metadata.version.near"],
      [{ q: "x", filter: { created_at: { gte: "yesterday" } } }, "filter.created_at.gte"],
      [{ q: "x", filter: { type: "unicorn" } }, "filter.type"],
      [{ q: "x", filter: { "metadata.tags": { in: [] } } }, "filter.metadata.tags"],
      [{ q: "x", limit: 101 }, "limit"],
      [{ q: "x", cursor: "not-a-cursor" }, "cursor"],
      [{ q: "x", sort: "name" }, "sort"],
    ];
    for (const [json, field] of cases) {
      const r = await search(json);
      expect(r.res.status, JSON.stringify(json)).toBe(400);
      expect(
        r.errors?.some((e) => e.field === field || e.message.includes(field)),
        `${JSON.stringify(json)} → ${JSON.stringify(r.errors)}`,
      ).toBe(true);
    }
  });

  it("a Viewer finds resources and CRM records but not invoices' types it may not read", async () => {
    const viewer = await tokenFor({ role: "Viewer" });
    const m = marker();
    await resource({ name: m, content: "for viewers" });
    const r = await search({ q: m, mode: "keyword", facets: ["type"] }, viewer);
    expect(r.res.status).toBe(200);
    expect(r.data.facets.type).toEqual({ resource: 1 });
    const member = await tokenFor({ role: "Member", scope: "crm:read" });
    const scoped = await search({ q: m, mode: "keyword" }, member);
    expect(scoped.res.status).toBe(200);
  });
});
