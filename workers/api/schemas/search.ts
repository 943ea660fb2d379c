import { z } from "@hono/zod-openapi";
import { SEARCH_TYPE_NAMES } from "../services/search/search-fields";
import { Resource } from "./resource";

const Scalar = z.union([z.string().max(500), z.number(), z.boolean()]);

export const SearchRequest = z
  .strictObject({
    q: z
      .string()
      .trim()
      .min(1, "q is required: the words to search for")
      .max(500)
      .openapi({
        description:
          'Web-search syntax (Postgres websearch_to_tsquery): words are ANDed, `"quoted phrases"`, `or`, and ' +
          "`-word` to exclude (from the keyword arm; use `filter` to exclude from both arms). Accent-insensitive: " +
          "`adebayo` finds Adébáyọ̀, `muller` finds Müller.",
        example: "car hire -airport",
      }),
    mode: z
      .enum(["hybrid", "keyword", "semantic"])
      .default("hybrid")
      .openapi({
        description:
          "hybrid (default): keyword and semantic arms fused by reciprocal rank; keyword: full-text only; semantic: " +
          "vectors only (400 where the region has none).",
      }),
    semantic_ratio: z.number().min(0).max(1).default(0.5).openapi({
      description: "Weight of the semantic arm in hybrid fusion (0 = keyword only, 1 = semantic only).",
    }),
    filter: z
      .record(z.string(), z.union([Scalar, z.array(Scalar), z.record(z.string(), z.unknown())]))
      .optional()
      .openapi({
        description:
          "Applied inside both arms before ranking. Keys: `type`, `created_at`, `updated_at`, " +
          '`resource_timestamp`, `metadata.<key>`. Values: equality (`{"metadata.type": "policy"}`; on an ' +
          "array such as tags, containment), a list or `{in: [...]}`, or a range `{gte, gt, lte, lt}` on " +
          "numbers and ISO dates.",
        example: { "metadata.type": "policy", created_at: { gte: "2026-01-01" } },
      }),
    facets: z
      .array(z.string().max(80))
      .max(10)
      .default([])
      .openapi({
        description:
          "Fields to count over exactly the fused candidate set the hits come from: `type` or `metadata.<key>` " +
          "(array values such as tags count each element).",
        example: ["type", "metadata.tags"],
      }),
    limit: z.number().int().min(1).max(100).default(20),
    cursor: z.string().max(512).optional().openapi({ description: "meta.cursor of the previous page." }),
    highlight: z
      .boolean()
      .default(true)
      .openapi({ description: "Add `<mark>` highlights of keyword matches." }),
  })
  .openapi("SearchRequest");

const Hit = z
  .object({
    id: z.uuid(),
    type: z.enum(SEARCH_TYPE_NAMES),
    score: z.number().openapi({ description: "Fused reciprocal-rank score (higher is better)." }),
    ranks: z.object({ keyword: z.number().int().nullable(), semantic: z.number().int().nullable() }),
    highlights: z.record(z.string(), z.string()).openapi({
      description: "Field → HTML-escaped snippet with `<mark>` around matched words.",
    }),
    record: z.record(z.string(), z.unknown()).openapi({
      description:
        "The resource, or for other types {id, title, summary, metadata, url, …}; always `embedding` state.",
    }),
    resource: Resource.optional(),
  })
  .openapi("SearchHit");

export const SearchAnswer = z
  .object({
    status: z.literal("success"),
    data: z.object({
      hits: z.array(Hit),
      facets: z.record(z.string(), z.record(z.string(), z.number().int())),
      found: z
        .number()
        .int()
        .openapi({ description: "Size of the fused candidate set (what facets count)." }),
      found_is_exact: z.boolean().openapi({
        description: "False when the keyword arm had more matches than its window (1,000) and was cut.",
      }),
    }),
    meta: z.object({
      limit: z.number().int(),
      cursor: z.string().nullable(),
      has_more: z.boolean(),
      mode: z.string(),
      path: z.object({ keyword: z.string(), semantic: z.string() }).openapi({
        description:
          "keyword: gin | off; semantic: exact (tenant below 10,000 vectors) | hnsw_iterative | off | unavailable.",
      }),
      semantic_unavailable: z.string().optional(),
      embedding_provider: z.string().optional(),
      timing_ms: z.object({ embed_query: z.number(), database: z.number(), total: z.number() }),
    }),
    request_id: z.string(),
  })
  .openapi("SearchAnswer");
