import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { acceptsIdempotencyKey } from "../lib/idempotency";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonBody, jsonResponse } from "../schemas/common";
import { SearchAnswer, SearchRequest } from "../schemas/search";
import { EXACT_SCAN_BELOW, KEYWORD_WINDOW, RRF_K, SEMANTIC_WINDOW, search } from "../services/search/search";
import { RESOURCES_TAG } from "./resources";

const DESCRIPTION =
  "One search box over the tenant's resources, contacts, leads, opportunities and invoices (`type` is a " +
  "facet; a caller sees only the types its role may read). The keyword arm is Postgres full-text search " +
  `(accent-insensitive, top ${KEYWORD_WINDOW.toLocaleString("en")} matches); the semantic arm the ` +
  `${SEMANTIC_WINDOW} nearest vectors of the region's embedding provider (exact below ` +
  `${EXACT_SCAN_BELOW.toLocaleString("en")} vectors per tenant, HNSW with iterative scan above; \`meta.path\` ` +
  `says which). Both are fused by reciprocal rank (k = ${RRF_K}) in one SQL statement with the facets and ` +
  "`found`, so facet counts are counted over exactly the candidate set the hits are paged from, and " +
  "`filter` applies inside both arms before ranking. Paging with `meta.cursor` never repeats or drops a " +
  "hit. Where the region's database has no pgvector or no embedding provider its residency allows, " +
  "hybrid answers from the keyword arm (`meta.semantic_unavailable` says why) and semantic is 400.";

/** `POST /api/v1/search` and its alias under resources. */
export function registerSearchRoutes(app: OpenAPIHono<AppEnv>, paths: readonly string[]): void {
  const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
  for (const path of paths) {
    app.openapi(
      createRoute({
        tags: [RESOURCES_TAG],
        security,
        method: "post",
        path,
        summary: "Search (keyword, semantic, hybrid, faceted)",
        description: DESCRIPTION,
        ...guardedBy("resources.read"),
        ...acceptsIdempotencyKey(),
        request: jsonBody(SearchRequest),
        responses: {
          200: jsonResponse(SearchAnswer, "Hits, facets and found"),
          ...errorResponses(400, 401, 403, 409, 413, 415, 422, 429, 503),
        },
      }),
      async (c) => {
        const config = c.get("config");
        const body = c.req.valid("json");
        const answer = await search(
          serviceContext(c),
          { providers: config.embeddingProviders, apiKey: config.embeddingApiKey },
          body,
        );
        return c.json(
          {
            status: "success" as const,
            data: {
              hits: answer.hits,
              facets: answer.facets,
              found: answer.found,
              found_is_exact: answer.found_is_exact,
            },
            meta: { limit: body.limit, cursor: answer.cursor, has_more: answer.has_more, ...answer.meta },
            request_id: c.get("requestId"),
          },
          200,
        );
      },
    );
  }
}
