import { neon, neonConfig } from "@neondatabase/serverless";
import { describe, expect, inject, it } from "vitest";
import { createDatabase } from "../../db/client";
import { embedDueDocuments } from "../../workers/api/services/search/embedder";
import type { EmbeddingProviderConfig } from "../../workers/api/services/search/embedding-config";
import { TEST_TENANTS } from "../support/tenants";
import { envelope, tokenFor } from "./helpers";
import { allPages, callerWith, marker, searchWith } from "./search-helpers";

// Vectors need pgvector: these run the Worker against the PGlite gateway (pgvector 0.8) that the
// backing services migrated and seeded, with the embedding stand-in's EU site as the provider.
const standin = () => inject("embeddingsUrl");
const provider = (site: "eu" | "lagos"): EmbeddingProviderConfig => ({
  id: `standin-${site}-wink-100`,
  url: `${standin()}/${site}/v1`,
  model: "wink-sg-100d",
  dimensions: 100,
  send_dimensions: false,
  processing: site,
  // The averaged word vectors' cut-off for these texts (bench/ and README say how it was chosen).
  max_distance: 0.575,
});
const PGLITE = () => ({
  DATABASE_HTTP_URL: `${inject("pgliteGatewayUrl")}/sql`,
  DATABASE_URL: "postgres://nexus_app:nexus_app@localhost:5432/postgres",
  DATABASE_SINGLE_SESSION: "true",
  EMBEDDING_PROVIDERS: JSON.stringify([provider("eu")]),
});
const vec = () => callerWith(PGLITE());
const search = (json: Record<string, unknown>, token?: string) => searchWith(vec(), json, token);

async function resource(json: Record<string, unknown>, token?: string, overrides?: Record<string, string>) {
  const res = await callerWith({ ...PGLITE(), ...overrides })("/api/v1/resources", {
    method: "POST",
    json,
    ...(token ? { token } : {}),
  });
  expect(res.status).toBe(201);
  return (await envelope<{ id: string; embedding: { status: string } }>(res)).data;
}

async function received(site: string): Promise<string[]> {
  const res = await fetch(`${standin()}/_control/requests?site=${site}`);
  const body = (await res.json()) as { requests: { input: string[] }[] };
  return body.requests.flatMap((r) => r.input);
}

describe("semantic and hybrid search (PGlite with pgvector)", () => {
  it('"automobile" finds the car document; hybrid fuses keyword-only and semantic-only hits', async () => {
    const m = marker("car");
    const car = await resource({
      name: "Renting a car for the weekend",
      content: `Pick up the car at the station and return it with a full tank. ${m}`,
    });
    const both = await resource({
      name: "Automobile insurance for the company cars",
      content: `Every car in the fleet is insured. ${m}`,
    });
    const keywordOnly = await resource({
      name: "Quarterly tax filing deadlines, payroll ledger reconciliation, VAT returns",
      content: `audit schedule and the automobile allowance line ${m}`,
    });
    const neither = await resource({
      name: "Office plants watering schedule",
      content: `Water the ferns on Mondays. ${m}`,
    });
    // Embedded after commit, from the outbox (the sink ran within the request's waitUntil).
    const state = await vec()(`/api/v1/resources/${car.id}`);
    expect((await envelope<{ embedding: { status: string } }>(state)).data.embedding.status).toBe("embedded");

    const semantic = await search({
      q: "automobile",
      mode: "semantic",
      filter: { created_at: { gte: "2000-01-01" } },
    });
    expect(semantic.res.status).toBe(200);
    expect(semantic.meta.path.semantic).toBe("exact");
    const semanticIds = semantic.data.hits.map((h) => h.id);
    expect(semanticIds).toContain(car.id);
    expect(semanticIds).toContain(both.id);
    expect(semanticIds).not.toContain(neither.id);

    const hybrid = await search({ q: "automobile", facets: ["type"] });
    expect(hybrid.res.status).toBe(200);
    const byId = new Map(hybrid.data.hits.map((h) => [h.id, h]));
    expect(hybrid.data.hits[0]?.id).toBe(both.id);
    expect(byId.get(both.id)?.ranks.keyword).not.toBeNull();
    expect(byId.get(both.id)?.ranks.semantic).not.toBeNull();
    expect(byId.get(car.id)?.ranks).toMatchObject({ keyword: null });
    expect(byId.get(car.id)?.ranks.semantic).not.toBeNull();
    expect(byId.get(keywordOnly.id)?.ranks).toMatchObject({ semantic: null });
    expect(byId.get(keywordOnly.id)?.ranks.keyword).not.toBeNull();
    expect(byId.has(neither.id)).toBe(false);
    // Fused: in both arms beats one arm; facet counts are over the same candidates as found.
    const scores = hybrid.data.hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(Object.values(hybrid.data.facets.type ?? {}).reduce((a, b) => a + b, 0)).toBe(hybrid.data.found);
  });

  it("a filter applies to both arms and to the facets; the cursor pages the fused set without repeats or drops", async () => {
    const m = marker("flt");
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      const kind = i % 2 === 0 ? "vehicle" : "other";
      made.push(
        (
          await resource({
            name: i % 3 === 0 ? `car ${m} ${i}` : `truck and van fleet ${i}`,
            content: i % 3 === 0 ? "rental" : "motor vehicles",
            metadata: { kind, batch: m },
          })
        ).id,
      );
    }
    const filter = { "metadata.batch": m, "metadata.kind": "vehicle" };
    const r = await search({ q: `car ${m}`, filter, facets: ["metadata.kind"] });
    expect(r.data.hits.length).toBeGreaterThan(0);
    for (const h of r.data.hits) expect((h.record.metadata as { kind: string }).kind).toBe("vehicle");
    expect(r.data.facets["metadata.kind"]).toEqual({ vehicle: r.data.found });
    const paged = await allPages(vec(), { q: `car ${m}`, filter: { "metadata.batch": m }, limit: 2 });
    const once = await search({ q: `car ${m}`, filter: { "metadata.batch": m }, limit: 100 });
    expect(paged.map((h) => h.id)).toEqual(once.data.hits.map((h) => h.id));
    expect(new Set(paged.map((h) => h.id)).size).toBe(paged.length);
    expect(paged.length).toBe(once.data.found);
  });

  it("a tenant sees only its own hits in semantic mode", async () => {
    const b = await tokenFor({ tenant: "b" });
    const mine = await resource(
      { name: "Automobile maintenance log of tenant b", content: "cars serviced" },
      b,
    );
    const asB = await search({ q: "automobile", mode: "semantic" }, b);
    expect(asB.data.hits.map((h) => h.id)).toEqual([mine.id]);
    const asA = await search({ q: "automobile", mode: "semantic", limit: 100 });
    expect(asA.data.hits.map((h) => h.id)).not.toContain(mine.id);
  });

  it("a deleted resource disappears from every mode, vectors included", async () => {
    const m = marker("del");
    const doc = await resource({ name: `Automobile auction ${m}`, content: "vintage cars" });
    for (const mode of ["semantic", "hybrid", "keyword"]) {
      const before = await search({ q: mode === "semantic" ? "automobile auction" : m, mode, limit: 100 });
      expect(
        before.data.hits.map((h) => h.id),
        mode,
      ).toContain(doc.id);
    }
    expect((await vec()(`/api/v1/resources/${doc.id}`, { method: "DELETE" })).status).toBe(204);
    for (const mode of ["semantic", "hybrid", "keyword"]) {
      const after = await search({ q: mode === "semantic" ? "automobile auction" : m, mode, limit: 100 });
      expect(
        after.data.hits.map((h) => h.id),
        mode,
      ).not.toContain(doc.id);
    }
  });

  it("a change re-embeds; a provider failure is retried and visible on the resource", async () => {
    await fetch(`${standin()}/_control/fail`, {
      method: "POST",
      body: JSON.stringify({ site: "eu", count: 1 }),
    });
    const doc = await resource({ name: "Bicycle commuting allowance", content: "cycling to work" });
    const failed = await envelope<{ embedding: { status: string; attempts: number; error: string } }>(
      await vec()(`/api/v1/resources/${doc.id}`),
    );
    expect(failed.data.embedding).toMatchObject({ status: "failed", attempts: 1 });
    expect(failed.data.embedding.error).toMatch(/503/);
    // The retry is due after its backoff (5 s, doubling); the sweep or the next event takes it
    // then. Here the backoff is moved to now, as time passing would, and the embedder runs.
    neonConfig.fetchEndpoint = PGLITE().DATABASE_HTTP_URL;
    const owner = neon("postgres://postgres@localhost:5432/postgres");
    await owner`update search_documents set next_embedding_at = now() where entity_id = ${doc.id}`;
    const db = createDatabase({ url: PGLITE().DATABASE_URL, httpEndpoint: PGLITE().DATABASE_HTTP_URL });
    const retried = await embedDueDocuments(
      { db, region: "eu", providers: [provider("eu")], apiKey: undefined },
      TEST_TENANTS.a.tenantId,
    );
    expect(retried.embedded).toBeGreaterThan(0);
    const ok = await envelope<{ embedding: { status: string } }>(await vec()(`/api/v1/resources/${doc.id}`));
    expect(ok.data.embedding.status).toBe("embedded");
    // A change of text is embedded again after its commit.
    const res = await vec()(`/api/v1/resources/${doc.id}`, {
      method: "PATCH",
      json: { content: "cycling and cars" },
    });
    expect((await envelope<{ embedding: { status: string } }>(res)).data.embedding.status).toBe("pending");
    const after = await envelope<{ embedding: { status: string; attempts: number } }>(
      await vec()(`/api/v1/resources/${doc.id}`),
    );
    expect(after.data.embedding).toMatchObject({ status: "embedded", attempts: 0 });
  });

  it("a Lagos tenant's text never reaches the EU embedding provider (asserted at the stand-in)", async () => {
    await fetch(`${standin()}/_control/reset`, { method: "POST" });
    const secret = marker("lagos");
    // The request path never embeds: with no provider configured the write commits, unembedded.
    const doc = await resource(
      { name: `Ọ̀yọ́ branch payroll ${secret}`, content: `Salaries of the Lagos office ${secret}` },
      undefined,
      { EMBEDDING_PROVIDERS: "[]" },
    );
    const db = createDatabase({ url: PGLITE().DATABASE_URL, httpEndpoint: PGLITE().DATABASE_HTTP_URL });
    const tenantId = TEST_TENANTS.a.tenantId;
    // A Lagos deployment configured (wrongly) with only the EU provider: fails closed.
    const refused = await embedDueDocuments(
      { db, region: "lagos", providers: [provider("eu")], apiKey: undefined },
      tenantId,
    );
    expect(refused.embedded).toBe(0);
    expect((await received("eu")).join(" ")).not.toContain(secret);
    const view = await envelope<{ embedding: { status: string; error: string } }>(
      await vec()(`/api/v1/resources/${doc.id}`),
    );
    expect(view.data.embedding.status).toBe("unavailable");
    expect(view.data.embedding.error).toMatch(/region lagos/);
    // With the Lagos cluster's server listed (after the EU one), only it receives the text.
    const done = await embedDueDocuments(
      { db, region: "lagos", providers: [provider("eu"), provider("lagos")], apiKey: undefined },
      tenantId,
    );
    expect(done.embedded).toBeGreaterThan(0);
    expect((await received("lagos")).join(" ")).toContain(secret);
    expect((await received("eu")).join(" ")).not.toContain(secret);
  });
});
