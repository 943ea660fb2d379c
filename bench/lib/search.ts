import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { loadWordVectors } from "../../regions/openai-embeddings/word-vectors";
import { asSuperuser } from "./fixture";
import { type LoadResult, runLoad, summarize } from "./load";
import { percentile } from "./percentile";
import { progress } from "./progress";

/** The issue's corpus: 100,000 resources over 20 tenants, one of them (the bench tenant) with 20,000. */
const TOTAL = Number(process.env.BENCH_SEARCH_RESOURCES ?? 100_000);
const LARGE = Math.round(TOTAL / 5);
const TENANTS = 20;
const WORDS = [
  "travel",
  "policy",
  "expense",
  "car",
  "hire",
  "invoice",
  "payroll",
  "contract",
  "supplier",
  "customer",
  "meeting",
  "notes",
  "warehouse",
  "delivery",
  "insurance",
  "fleet",
  "tax",
  "audit",
  "holiday",
  "training",
  "security",
  "laptop",
  "office",
  "rent",
  "marketing",
  "campaign",
  "budget",
  "forecast",
  "hiring",
  "onboarding",
];

/**
 * Resources inserted in bulk as the superuser (their triggers fill the search index as an API
 * write would): text drawn from WORDS so keyword queries match a realistic share of a tenant.
 */
export async function seedSearchCorpus(database: string, largeTenantId: string): Promise<void> {
  await asSuperuser(database, async (client) => {
    const others: string[] = [];
    for (let i = 1; i < TENANTS; i++) {
      const id = `5ea7c000-0000-4000-8000-${String(i).padStart(12, "0")}`;
      others.push(id);
      await client.query(
        `insert into tenants (id, name, slug, region, country, default_currency)
         values ($1, $2, $3, 'eu', 'DE', 'EUR') on conflict do nothing`,
        [id, `Search bench ${i}`, `search-bench-${i}`],
      );
    }
    const insert = (tenant: string, count: number) =>
      client.query(
        `insert into resources (tenant_id, name, content, metadata)
         select $1::uuid,
                initcap(w[1 + n % 30]) || ' ' || w[1 + (n / 7) % 30] || ' ' || n,
                'About ' || w[1 + (n / 3) % 30] || ' and ' || w[1 + (n / 11) % 30] || ', with ' ||
                w[1 + (n / 13) % 30] || ' ' || w[1 + (n / 17) % 30] || ' for the ' || w[1 + (n / 19) % 30] || ' team.',
                jsonb_build_object('type', (array['policy', 'memo', 'report', 'note'])[1 + n % 4],
                                   'tags', jsonb_build_array(w[1 + n % 30], w[1 + (n / 5) % 30]), 'n', n)
         from generate_series(1, $2::int) n, (select $3::text[] as w) words`,
        [tenant, count, WORDS],
      );
    const started = Date.now();
    await insert(largeTenantId, LARGE);
    const each = Math.floor((TOTAL - LARGE) / others.length);
    for (const id of others) await insert(id, each);
    await client.query("analyze resources; analyze search_documents");
    progress(
      `search: ${TOTAL.toLocaleString("en")} resources over ${TENANTS} tenants in ${Date.now() - started} ms`,
    );
  });
}

export interface SearchFigures {
  keyword: LoadResult;
  hybridOnPostgres: LoadResult;
  semantic: { vectors: number; exactP50Ms: number; hnswP50Ms: number; recallAt10: number; queries: number };
}

/** Closed-loop POST /api/v1/search with one body: warm-up, then two measured halves. */
async function load(
  options: {
    baseUrl: string;
    token: string;
    connections: number;
    warmupSeconds: number;
    durationSeconds: number;
  },
  body: unknown,
) {
  const run = (durationSeconds: number) =>
    runLoad({
      url: `${options.baseUrl}/api/v1/search`,
      method: "POST",
      body: JSON.stringify(body),
      headers: { Authorization: `Bearer ${options.token}`, "Content-Type": "application/json" },
      connections: options.connections,
      durationSeconds,
    });
  await run(options.warmupSeconds);
  const result = summarize([await run(options.durationSeconds / 2), await run(options.durationSeconds / 2)]);
  if (Object.keys(result.statusCounts).some((s) => s !== "200") || result.errors > 0) {
    throw new Error(`search load: statuses ${JSON.stringify(result.statusCounts)}, ${result.errors} errors`);
  }
  return result;
}

/**
 * The semantic arm's recall@10 for a tenant of LARGE vectors: the HNSW path (iterative scan,
 * relaxed order, ef_search 100, as search.ts runs it) against an exact scan, on PGlite with
 * pgvector, vectors from the local word-vector embedder over the same kind of texts.
 */
async function semanticRecall(): Promise<SearchFigures["semantic"]> {
  const words = await loadWordVectors(
    new URL("../../node_modules/.cache/nexus-word-vectors", import.meta.url).pathname,
  );
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec(
    "create extension vector; create table e (id int primary key, tenant int, embedding vector(100))",
  );
  const count = LARGE;
  const rows: string[] = [];
  const text = (n: number) =>
    [n % 30, (n / 7) % 30, (n / 3) % 30, (n / 11) % 30, (n / 13) % 30]
      .map((i) => WORDS[Math.floor(i)])
      .join(" ");
  for (let n = 1; n <= count; n++) {
    rows.push(`(${n}, 1, '[${words.embed(`${text(n)} ${n % 97}`).join(",")}]')`);
    if (rows.length === 1000 || n === count) {
      await db.exec(`insert into e values ${rows.join(",")}`);
      rows.length = 0;
    }
  }
  await db.exec("create index on e using hnsw (embedding vector_cosine_ops)");
  const queries = [
    "car hire",
    "travel expense",
    "payroll audit",
    "office rent",
    "insurance fleet",
    "hiring training",
    "supplier contract",
    "holiday budget",
    "laptop security",
    "marketing campaign",
  ];
  let hits = 0;
  const exact: number[] = [];
  const hnsw: number[] = [];
  for (const q of queries) {
    const v = `[${words.embed(q).join(",")}]`;
    let t = performance.now();
    const truth = await db.query<{ id: number }>(
      `select id from e where tenant = 1 order by (embedding <=> $1) + 0 limit 10`,
      [v],
    );
    exact.push(performance.now() - t);
    await db.exec("begin; set local hnsw.iterative_scan = relaxed_order; set local hnsw.ef_search = 100;");
    t = performance.now();
    const approx = await db.query<{ id: number }>(
      `with c as materialized (select id, embedding <=> $1 as d from e where tenant = 1 order by embedding <=> $1 limit 10)
       select id from c order by d`,
      [v],
    );
    hnsw.push(performance.now() - t);
    await db.exec("commit");
    const truthIds = new Set(truth.rows.map((r) => r.id));
    hits += approx.rows.filter((r) => truthIds.has(r.id)).length;
  }
  await db.close();
  const sorted = (a: number[]) => [...a].sort((x, y) => x - y);
  return {
    vectors: count,
    exactP50Ms: percentile(sorted(exact), 50),
    hnswP50Ms: percentile(sorted(hnsw), 50),
    recallAt10: hits / (queries.length * 10),
    queries: queries.length,
  };
}

export async function measureSearch(options: {
  baseUrl: string;
  token: string;
  database: string;
  tenantId: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}): Promise<SearchFigures> {
  await seedSearchCorpus(options.database, options.tenantId);
  const body = { q: "travel policy", facets: ["metadata.type", "type"], limit: 10 };
  const keyword = await load(options, { ...body, mode: "keyword" });
  progress(`search: keyword ${keyword.requestsPerSecond.toFixed(0)} q/s`);
  const hybridOnPostgres = await load(options, body);
  const semantic = await semanticRecall();
  return { keyword, hybridOnPostgres, semantic };
}

export function renderSearch(f: SearchFigures, connections: number): string {
  const line = (name: string, r: LoadResult) =>
    `  ${name.padEnd(30)} ${r.requestsPerSecond.toFixed(0).padStart(6)} q/s   p50 ${r.latencyMs.p50.toFixed(1)} ms   p90 ${r.latencyMs.p90.toFixed(1)} ms   p99 ${r.latencyMs.p99.toFixed(1)} ms`;
  return [
    `search (${TOTAL.toLocaleString("en")} resources, ${TENANTS} tenants, large tenant ${LARGE.toLocaleString("en")}; ${connections} connections, Worker on workerd → gateway → Postgres 15)`,
    line("keyword (GIN, facets, found)", f.keyword),
    line("hybrid on Postgres (no vectors)", f.hybridOnPostgres),
    `  semantic arm, PGlite + pgvector, ${f.semantic.vectors.toLocaleString("en")} vectors of one tenant: recall@10 HNSW vs exact ${f.semantic.recallAt10.toFixed(3)} over ${f.semantic.queries} queries; p50 exact ${f.semantic.exactP50Ms.toFixed(1)} ms, HNSW ${f.semantic.hnswP50Ms.toFixed(1)} ms`,
  ].join("\n");
}
