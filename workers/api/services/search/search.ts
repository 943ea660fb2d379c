import { type SQL, sql } from "drizzle-orm";
import { tenantRows } from "../../../../db/rows";
import { actorMay, type Permission } from "../../auth/permissions";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { embedTexts, vectorLiteral } from "./embedding-client";
import { type EmbeddingProviderConfig, embeddingProviderFor } from "./embedding-config";
import { embeddingJson, resourceJson } from "./resource-json";
import type { ResourceView } from "./resources";
import { decodeSearchCursor, encodeSearchCursor, requestHash } from "./search-cursor";
import { facetValuesSql, filterSql, SEARCH_TYPE_NAMES, SEARCH_TYPES, type SearchType } from "./search-fields";
import { VECTORS_UNAVAILABLE, vectorsAvailable } from "./vector-support";

/** Keyword matches taken into the candidate set; beyond it `found_is_exact` is false. */
export const KEYWORD_WINDOW = 1_000;
/** Nearest neighbours taken into the candidate set (the semantic arm has no natural cut-off). */
export const SEMANTIC_WINDOW = 50;
/** Reciprocal rank fusion's constant (Elasticsearch's and the RRF paper's 60). */
export const RRF_K = 60;
/**
 * A tenant with fewer vectors than this is searched exactly (a scan of its own rows by the
 * tenant index: perfect recall, a few ms); above, the HNSW index with pgvector's iterative scan,
 * so a filter never leaves the arm short of rows.
 */
export const EXACT_SCAN_BELOW = 10_000;
/** HNSW candidate list for the iterative scan (pgvector's default is 40). */
const EF_SEARCH = 100;

export type SearchMode = "hybrid" | "keyword" | "semantic";

export interface SearchRequest {
  q: string;
  mode: SearchMode;
  semantic_ratio: number;
  filter?: Record<string, unknown> | undefined;
  facets: string[];
  limit: number;
  cursor?: string | undefined;
  highlight: boolean;
}

export interface SearchDeps {
  providers: readonly EmbeddingProviderConfig[];
  apiKey: string | undefined;
}

export interface SearchHit {
  id: string;
  type: SearchType;
  score: number;
  ranks: { keyword: number | null; semantic: number | null };
  highlights: Record<string, string>;
  record: Record<string, unknown>;
  resource?: ResourceView;
}

export interface SearchAnswer {
  hits: SearchHit[];
  facets: Record<string, Record<string, number>>;
  found: number;
  found_is_exact: boolean;
  cursor: string | null;
  has_more: boolean;
  meta: {
    mode: SearchMode;
    path: { keyword: "gin" | "off"; semantic: "exact" | "hnsw_iterative" | "off" | "unavailable" };
    semantic_unavailable?: string;
    embedding_provider?: string;
    timing_ms: { embed_query: number; database: number; total: number };
  };
}

/** Highlight markers no text contains; swapped for <mark> after the text is HTML-escaped. */
const START = "\u0002";
const STOP = "\u0003";

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

export function markHighlight(raw: string): string {
  return escapeHtml(raw).replaceAll(START, "<mark>").replaceAll(STOP, "</mark>");
}

const bad = (field: string, message: string) => ApiError.validation([{ field, message }]);

/** The types this caller may read (role and scope): hits and facets never show the others. */
function visibleTypes(ctx: ServiceContext): SearchType[] {
  return SEARCH_TYPE_NAMES.filter((t) => actorMay(ctx.actor, SEARCH_TYPES[t].permission as Permission));
}

/** The record a hit shows: the whole resource, or a summary of a CRM/finance record with its URL. */
const recordSql = sql`case when d.type = 'resource' then ${resourceJson("r")}
  else jsonb_build_object('id', d.entity_id, 'title', d.title, 'summary', left(d.body, 300), 'metadata', d.metadata,
    'url', case d.type ${sql.join(
      SEARCH_TYPE_NAMES.map((t) => sql`when ${t} then ${`${SEARCH_TYPES[t].path}/`}::text || d.entity_id`),
      sql` `,
    )} end,
    'created_at', to_char(d.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'updated_at', to_char(d.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) end
  || jsonb_build_object('embedding', ${embeddingJson("d")})`;

/**
 * One search: both arms, reciprocal rank fusion, facets over exactly the fused candidate set,
 * `found`, and the page, in one SQL statement under the tenant's row-level security. Filters
 * apply inside each arm before ranking; the query's vector is computed by the region's allowed
 * provider only. Without vectors in this database, or no allowed provider, hybrid answers from
 * the keyword arm and says why in meta; semantic mode is refused with the reason.
 */
export async function search(
  ctx: ServiceContext,
  deps: SearchDeps,
  req: SearchRequest,
): Promise<SearchAnswer> {
  const started = Date.now();
  const tenantId = ctx.actor.tenantId;
  const types = visibleTypes(ctx);
  const conditions = filterSql(req.filter);
  const facetValues = facetValuesSql([...new Set(req.facets)]);
  const hash = requestHash([req.q, req.mode, req.semantic_ratio, req.filter ?? null, req.facets]);
  const after = req.cursor ? decodeSearchCursor(req.cursor, hash) : undefined;

  let semanticUnavailable: string | undefined;
  let provider: EmbeddingProviderConfig | undefined;
  if (req.mode !== "keyword") {
    const choice = embeddingProviderFor(ctx.region, deps.providers);
    if (!(await vectorsAvailable(ctx.db))) semanticUnavailable = VECTORS_UNAVAILABLE;
    else if (!choice.ok) semanticUnavailable = choice.reason;
    else provider = choice.provider;
    if (semanticUnavailable && req.mode === "semantic")
      throw bad("mode", `Semantic search is unavailable: ${semanticUnavailable}`);
  }
  const embedStarted = Date.now();
  let queryVector: string | undefined;
  if (provider) {
    try {
      queryVector = vectorLiteral((await embedTexts(provider, deps.apiKey, [req.q], 5_000))[0] ?? []);
    } catch (error) {
      if (req.mode === "semantic")
        throw ApiError.unavailable("The embedding provider is unavailable", 5, error);
      semanticUnavailable = `The embedding provider ${provider.id} failed; keyword results only`;
      provider = undefined;
    }
  }
  const embedMs = Date.now() - embedStarted;
  const useKeyword = req.mode !== "semantic";
  const useSemantic = provider !== undefined && queryVector !== undefined;
  const ratio =
    req.mode === "keyword" ? 0 : req.mode === "semantic" ? 1 : useSemantic ? req.semantic_ratio : 0;

  const scope = sql`d.tenant_id = ${tenantId} and d.type = any(${sql.param(types)}::text[])${
    conditions.length > 0 ? sql` and ${sql.join(conditions, sql` and `)}` : sql``
  }`;
  const ctes: SQL[] = [sql`params as (select websearch_to_tsquery('english', search_fold(${req.q})) as tsq)`];
  ctes.push(
    useKeyword
      ? sql`kw as (
          select d.entity_id, d.type, d.metadata,
                 row_number() over (order by ts_rank_cd(d.fts, p.tsq) desc, d.entity_id) as rk
          from search_documents d, params p
          where ${scope} and d.fts @@ p.tsq
          order by ts_rank_cd(d.fts, p.tsq) desc, d.entity_id limit ${KEYWORD_WINDOW + 1})`
      : sql`kw as (select null::uuid as entity_id, null::text as type, null::jsonb as metadata, null::bigint as rk where false)`,
  );
  if (useSemantic && provider) {
    const dim = sql.raw(String(provider.dimensions));
    const q = sql`${queryVector}::vector(${dim})`;
    const arm = sql`from resources_embeddings e join search_documents d on d.entity_id = e.entity_id
          where e.tenant_id = ${tenantId} and e.embedding_provider = ${provider.id} and e.vector_dimension = ${provider.dimensions}
            and e.content_hash = d.content_hash and ${scope}
            and e.embedding::vector(${dim}) <=> ${q} <= ${provider.max_distance}`;
    ctes.push(
      sql`gate as (select count(*) as n from (select 1 from resources_embeddings
            where tenant_id = ${tenantId} and embedding_provider = ${provider.id} limit ${EXACT_SCAN_BELOW}) x)`,
      // `+ 0` keeps the planner off the HNSW index: small tenants get an exact scan of their rows.
      sql`sem_exact as (select e.entity_id, d.type, d.metadata, (e.embedding::vector(${dim}) <=> ${q}) + 0 as dist ${arm}
            and (select n from gate) < ${EXACT_SCAN_BELOW} order by 2 limit ${SEMANTIC_WINDOW})`,
      sql`sem_ann as materialized (select e.entity_id, d.type, d.metadata, e.embedding::vector(${dim}) <=> ${q} as dist ${arm}
            and (select n from gate) >= ${EXACT_SCAN_BELOW} order by e.embedding::vector(${dim}) <=> ${q} limit ${SEMANTIC_WINDOW})`,
      sql`sem as (select entity_id, type, metadata, row_number() over (order by dist, entity_id) as rk
            from (select * from sem_exact union all select * from sem_ann) s)`,
    );
  } else {
    ctes.push(
      sql`gate as (select 0::bigint as n)`,
      sql`sem as (select null::uuid as entity_id, null::text as type, null::jsonb as metadata, null::bigint as rk where false)`,
    );
  }
  ctes.push(
    sql`fused as (
      select coalesce(k.entity_id, s.entity_id) as entity_id, coalesce(k.type, s.type) as type,
             coalesce(k.metadata, s.metadata) as metadata, k.rk as kw_rank, s.rk as sem_rank,
             -- float8, not numeric: numeric division over 1,000 candidates cost more than ranking them.
             -- The same inputs give the same double, and its text form round-trips (the cursor).
             coalesce(1.0::float8 / (${RRF_K} + k.rk), 0) * (1 - ${ratio}::float8)
              + coalesce(1.0::float8 / (${RRF_K} + s.rk), 0) * ${ratio}::float8 as score
      from (select * from kw where rk <= ${KEYWORD_WINDOW}) k full outer join sem s on k.entity_id = s.entity_id)`,
    // Each candidate carries its type and metadata from its arm: the page and the facets read no
    // row again (joining the 1,000 candidates back to search_documents was most of a query's time).
    sql`page as (
      select f.* from fused f
      ${after ? sql`where (f.score, f.entity_id) < (${after.s}::float8, ${after.id}::uuid)` : sql``}
      order by f.score desc, f.entity_id desc limit ${req.limit + 1})`,
  );
  const facetsSql = facetValues
    ? sql`(select coalesce(jsonb_object_agg(field, counts), '{}'::jsonb) from (
          select field, jsonb_object_agg(value, n) as counts from (
            select fv.field, fv.value, count(*) as n
            from fused d cross join lateral (${facetValues}) as fv(field, value)
            where fv.value is not null group by 1, 2) c group by field) x)`
    : sql`'{}'::jsonb`;
  const head = (field: "title" | "body") =>
    req.highlight && useKeyword
      ? sql`case when d.fts @@ p.tsq then ts_headline('english', d.${sql.raw(field)}, p.tsq,
              ${`StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "`}) end`
      : sql`null::text`;
  const statement = sql`with ${sql.join(ctes, sql`, `)}
    select (select count(*) from fused) as found,
           (select count(*) > ${KEYWORD_WINDOW} from kw) as keyword_capped,
           (select n >= ${EXACT_SCAN_BELOW} from gate) as ann,
           (select numnode(tsq) from params) as query_nodes,
           ${facetsSql} as facets,
           (select coalesce(jsonb_agg(jsonb_build_object(
                'id', pg.entity_id, 'type', pg.type, 'score', pg.score::text,
                'kw_rank', pg.kw_rank, 'sem_rank', pg.sem_rank,
                'title_hl', ${head("title")}, 'body_hl', ${head("body")},
                'record', ${recordSql}) order by pg.score desc, pg.entity_id desc), '[]'::jsonb)
            from page pg join search_documents d on d.entity_id = pg.entity_id
            left join resources r on r.id = d.entity_id and d.type = 'resource', params p) as hits`;
  const settings = useSemantic
    ? [
        sql`select set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', ${String(EF_SEARCH)}, true)`,
      ]
    : [];
  const dbStarted = Date.now();
  const results = await tenantRows(ctx.db, tenantId, [...settings, statement]);
  const dbMs = Date.now() - dbStarted;
  const row = results.at(-1)?.[0] as {
    found: string | number;
    keyword_capped: boolean;
    ann: boolean;
    query_nodes: number;
    facets: Record<string, Record<string, number>>;
    hits: {
      id: string;
      type: SearchType;
      score: string;
      kw_rank: number | null;
      sem_rank: number | null;
      title_hl: string | null;
      body_hl: string | null;
      record: Record<string, unknown>;
    }[];
  };
  if (Number(row.query_nodes) === 0 && !useSemantic) {
    throw bad("q", "q has no searchable words (only stop words, punctuation or operators)");
  }
  const hasMore = row.hits.length > req.limit;
  const pageHits = row.hits.slice(0, req.limit);
  const last = pageHits.at(-1);
  const hits: SearchHit[] = pageHits.map((h) => {
    const highlights: Record<string, string> = {};
    const titleField = h.type === "resource" ? "name" : "title";
    if (h.title_hl?.includes(START)) highlights[titleField] = markHighlight(h.title_hl);
    if (h.body_hl?.includes(START))
      highlights[h.type === "resource" ? "content" : "summary"] = markHighlight(h.body_hl);
    return {
      id: h.id,
      type: h.type,
      score: Number(h.score),
      ranks: { keyword: h.kw_rank, semantic: h.sem_rank },
      highlights,
      record: h.record,
      ...(h.type === "resource" ? { resource: h.record as unknown as ResourceView } : {}),
    };
  });
  return {
    hits,
    facets: row.facets,
    found: Number(row.found),
    found_is_exact: !row.keyword_capped,
    cursor:
      hasMore && last
        ? encodeSearchCursor({
            s: pageHits.length ? (row.hits[pageHits.length - 1]?.score ?? "0") : "0",
            id: last.id,
            h: hash,
          })
        : null,
    has_more: hasMore,
    meta: {
      mode: req.mode,
      path: {
        keyword: useKeyword ? "gin" : "off",
        semantic: useSemantic
          ? row.ann
            ? "hnsw_iterative"
            : "exact"
          : semanticUnavailable
            ? "unavailable"
            : "off",
      },
      ...(semanticUnavailable ? { semantic_unavailable: semanticUnavailable } : {}),
      ...(provider ? { embedding_provider: provider.id } : {}),
      timing_ms: { embed_query: embedMs, database: dbMs, total: Date.now() - started },
    },
  };
}
