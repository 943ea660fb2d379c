import { and, count, desc, type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn, PgTable } from "drizzle-orm/pg-core";
import {
  type BoundQuery,
  type CompiledQuery,
  compile,
  queryBuilder as qb,
  tenantRead,
} from "../../../db/compiled-query";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import { ApiError } from "../lib/errors";
import { isoUtc } from "./contact-json";
import type { Page } from "./contacts";
import type { ServiceContext } from "./context";

/**
 * The list (and single-record) reads of a tenant resource (contacts, leads, opportunities), compiled once at module
 * load (db/compiled-query.ts): newest first, keyset cursors over (created_at, id), one row more
 * than the limit to tell whether another page exists. Placeholders: tenantId, limit, afterT /
 * afterId on later pages, and the filters' own.
 *
 * Filtered lists are queries of their own, so the unfiltered page — the hot path — keeps its plan.
 */
export interface ListQueries {
  firstPage: CompiledQuery;
  nextPage: CompiledQuery;
  countLive: CompiledQuery;
  filteredFirstPage: CompiledQuery;
  filteredNextPage: CompiledQuery;
  countFiltered: CompiledQuery;
  /** Every filter's placeholder: each filtered query needs all of them bound. */
  filterNames: string[];
}

type ListedTable = PgTable & { createdAt: AnyPgColumn; id: AnyPgColumn };

/**
 * A list filter, off when its placeholder `name` is null: `test` receives the placeholder cast
 * to `type` and says when a row matches.
 */
export interface ListFilter {
  name: string;
  type: "text" | "uuid" | "timestamptz";
  test: (value: SQL) => SQL;
}

function whenGiven(filter: ListFilter): SQL {
  const value = sql`${sql.placeholder(filter.name)}::${sql.raw(filter.type)}`;
  return sql`(${value} is null or ${filter.test(value)})`;
}

export function compileListQueries(
  table: ListedTable,
  /** The row's JSON over the relation `page` (the limited subquery). */
  json: SQL,
  live: SQL | undefined,
  filters: ListFilter[],
): ListQueries {
  const filtered = and(live, ...filters.map(whenGiven));
  const pageQuery = (where: SQL | undefined, afterCursor: boolean) => {
    const condition = afterCursor
      ? and(
          where,
          sql`(${table.createdAt}, ${table.id}) < (${sql.placeholder("afterT")}::timestamptz, ${sql.placeholder("afterId")}::uuid)`,
        )
      : where;
    // The JSON is built over the limited subquery: in the outer select it is computed for those
    // rows only, whatever plan Postgres picks for the inner one.
    const limited = qb
      .select()
      .from(table as PgTable)
      .where(condition)
      .orderBy(desc(table.createdAt), desc(table.id))
      .limit(sql.placeholder("limit"))
      .as("page");
    return compile(
      qb
        .select({
          json: sql<string>`${json}::text`.as("json"),
          t: sql<string>`${isoUtc(sql`page.created_at`)}`.as("t"),
          id: sql<string>`page.id`.as("id"),
        })
        .from(limited)
        .orderBy(sql`page.created_at desc`, sql`page.id desc`),
    );
  };
  const countWhere = (where: SQL | undefined) =>
    compile(
      qb
        .select({ n: count().as("n") })
        .from(table as PgTable)
        .where(where),
    );
  return {
    firstPage: pageQuery(live, false),
    nextPage: pageQuery(live, true),
    countLive: countWhere(live),
    filteredFirstPage: pageQuery(filtered, false),
    filteredNextPage: pageQuery(filtered, true),
    countFiltered: countWhere(filtered),
    filterNames: filters.map((f) => f.name),
  };
}

export interface ListRequest {
  limit: number;
  cursor?: string | undefined;
  includeTotal: boolean;
  /** Values of the filters' placeholders; absent ones do not filter. */
  filters?: Record<string, string | undefined>;
}

/** One page (and the total, when asked) in one round trip under the tenant's row-level security. */
export async function readListPage(
  ctx: ServiceContext,
  queries: ListQueries,
  request: ListRequest,
): Promise<Page<string>> {
  const after = request.cursor ? decodeCursor(request.cursor) : undefined;
  const tenantId = ctx.actor.tenantId;
  const given = request.filters ?? {};
  const filtering = queries.filterNames.some((name) => given[name] !== undefined);
  const filterValues = filtering
    ? Object.fromEntries(queries.filterNames.map((name) => [name, given[name] ?? null]))
    : {};
  const chosen = filtering
    ? { first: queries.filteredFirstPage, next: queries.filteredNextPage, count: queries.countFiltered }
    : { first: queries.firstPage, next: queries.nextPage, count: queries.countLive };
  const page: BoundQuery = after
    ? {
        query: chosen.next,
        values: { tenantId, limit: request.limit + 1, afterT: after.t, afterId: after.id, ...filterValues },
      }
    : { query: chosen.first, values: { tenantId, limit: request.limit + 1, ...filterValues } };
  const [rows = [], totals] = await tenantRead(
    ctx.db,
    tenantId,
    request.includeTotal ? [page, { query: chosen.count, values: { tenantId, ...filterValues } }] : [page],
  );

  const hasMore = rows.length > request.limit;
  const shown = rows.slice(0, request.limit) as { json: string; t: string; id: string }[];
  const last = shown.at(-1);
  return {
    items: shown.map((r) => r.json),
    hasMore,
    cursor: hasMore && last ? encodeCursor({ t: last.t, id: last.id }) : null,
    ...(totals === undefined ? {} : { total: Number((totals[0] as { n: unknown } | undefined)?.n ?? 0) }),
  };
}

/** One record's JSON by a compiled `byId` query (placeholders tenantId, id), or a 404 naming `what`. */
export async function readJsonById(
  ctx: ServiceContext,
  byId: CompiledQuery,
  id: string,
  what: string,
): Promise<string> {
  const tenantId = ctx.actor.tenantId;
  const [rows = []] = await tenantRead(ctx.db, tenantId, [{ query: byId, values: { tenantId, id } }]);
  const row = rows[0] as { json: string } | undefined;
  if (!row) throw ApiError.notFound(what);
  return row.json;
}
