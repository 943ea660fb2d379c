import type { Context, TypedResponse } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSONParsed } from "hono/utils/types";
import type { AppEnv } from "../app-env";
import type { Page } from "../services/contacts";
import { JSON_CONTENT_TYPE, rawSuccess } from "./envelope";

/**
 * A JSON response whose body is already serialised (data rendered by Postgres, see
 * services/contact-json.ts), typed as the route's documented schema. The cast is the one place
 * the compiler takes our word; test/worker checks these bodies against the same zod schemas.
 */
export function preRenderedJson<T, S extends ContentfulStatusCode>(
  c: Context,
  body: string,
  status: S,
): TypedResponse<JSONParsed<T>, S, "json"> {
  return c.body(body, status, JSON_CONTENT_TYPE) as unknown as TypedResponse<JSONParsed<T>, S, "json">;
}

/** A list response of items already rendered as JSON text, with the page's meta. */
export function preRenderedPage<T>(c: Context<AppEnv>, page: Page<string>, limit: number) {
  const meta = {
    limit,
    cursor: page.cursor,
    has_more: page.hasMore,
    ...(page.total === undefined ? {} : { total: page.total }),
  };
  return preRenderedJson<T, 200>(c, rawSuccess(`[${page.items.join(",")}]`, c.get("requestId"), meta), 200);
}
