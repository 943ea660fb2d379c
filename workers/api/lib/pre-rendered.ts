import type { Context, TypedResponse } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { JSONParsed } from "hono/utils/types";
import { JSON_CONTENT_TYPE } from "./envelope";

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
