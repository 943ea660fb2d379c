import type { paths } from "./generated/openapi";

type JsonOf<R> = R extends { content: { "application/json": infer J } } ? J : never;
type GetOf<P extends keyof paths> = paths[P] extends { get: infer G } ? G : never;

/** The paths whose GET answers a cursor page (`data: T[]`, `meta.cursor`). */
export type ListPath = {
  [P in keyof paths]: GetOf<P> extends { responses: { 200: infer R } }
    ? JsonOf<R> extends { data: unknown[]; meta: { cursor?: unknown } }
      ? P
      : never
    : never;
}[keyof paths];

export type ListQuery<P extends ListPath> =
  GetOf<P> extends { parameters: { query?: infer Q } } ? Omit<NonNullable<Q>, "cursor"> : never;
export type ListPathParams<P extends ListPath> =
  GetOf<P> extends { parameters: { path?: infer A } } ? A : never;
export type ListItem<P extends ListPath> =
  GetOf<P> extends { responses: { 200: infer R } }
    ? JsonOf<R> extends { data: (infer T)[] }
      ? T
      : never
    : never;

interface Page {
  data: unknown[];
  meta: { cursor?: string | null; has_more?: boolean };
}

/**
 * Every item of a list, page after page: follows `meta.cursor` while `meta.has_more`. Lazy: a
 * page is fetched only when the loop reaches it, so `break` stops fetching.
 */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    for (const item of page.data) yield item as T;
    if (!page.meta.has_more || !page.meta.cursor) return;
    cursor = page.meta.cursor;
  }
}
