import { and, count, desc, eq, sql } from "drizzle-orm";
import { compile, queryBuilder as qb } from "../../../db/compiled-query";
import { contacts } from "../../../db/schema";
import { contactJson, isoUtc } from "./contact-json";

/**
 * The contact reads of the hot path, compiled once (db/compiled-query.ts). Placeholders:
 * tenantId, limit, and for later pages afterT / afterId (the keyset cursor). Every selected
 * expression is aliased: rows come back as objects keyed by these names.
 */

const live = and(eq(contacts.tenantId, sql.placeholder("tenantId")), eq(contacts.isDeleted, false));

/**
 * The list's filters, each off when its placeholder is null: email (exact, any case), name (part
 * of first + last name, any case), tag, owner and updated-since. A query of its own, so the
 * unfiltered page — the hot path — keeps its plan.
 */
const filtered = and(
  live,
  sql`(${sql.placeholder("email")}::text is null or lower(${contacts.email}) = lower(${sql.placeholder("email")}::text))`,
  sql`(${sql.placeholder("name")}::text is null or strpos(lower(${contacts.firstName} || ' ' || coalesce(${contacts.lastName}, '')), lower(${sql.placeholder("name")}::text)) > 0)`,
  sql`(${sql.placeholder("tag")}::text is null or ${contacts.tags} @> array[${sql.placeholder("tag")}::text])`,
  sql`(${sql.placeholder("ownerId")}::uuid is null or ${contacts.ownerId} = ${sql.placeholder("ownerId")}::uuid)`,
  sql`(${sql.placeholder("updatedSince")}::timestamptz is null or ${contacts.updatedAt} >= ${sql.placeholder("updatedSince")}::timestamptz)`,
);

function pageQuery(afterCursor: boolean, withFilters = false) {
  const base = withFilters ? filtered : live;
  const where = afterCursor
    ? and(
        base,
        sql`(${contacts.createdAt}, ${contacts.id}) < (${sql.placeholder("afterT")}::timestamptz, ${sql.placeholder("afterId")}::uuid)`,
      )
    : base;
  // The JSON is built over the limited subquery: in the outer select it is computed for those
  // rows only, whatever plan Postgres picks for the inner one.
  const limited = qb
    .select()
    .from(contacts)
    .where(where)
    .orderBy(desc(contacts.createdAt), desc(contacts.id))
    .limit(sql.placeholder("limit"))
    .as("page");
  return compile(
    qb
      .select({
        json: sql<string>`${contactJson("page")}::text`.as("json"),
        t: sql<string>`${isoUtc(sql`page.created_at`)}`.as("t"),
        id: limited.id,
      })
      .from(limited)
      .orderBy(desc(limited.createdAt), desc(limited.id)),
  );
}

const countWhere = (where: ReturnType<typeof and>) =>
  compile(
    qb
      .select({ n: count().as("n") })
      .from(contacts)
      .where(where),
  );

export const CONTACT_QUERIES = {
  firstPage: pageQuery(false),
  nextPage: pageQuery(true),
  countLive: countWhere(live),
  filteredFirstPage: pageQuery(false, true),
  filteredNextPage: pageQuery(true, true),
  countFiltered: countWhere(filtered),
  byId: compile(
    qb
      .select({ json: sql<string>`${contactJson("contacts")}::text`.as("json") })
      .from(contacts)
      .where(and(live, eq(contacts.id, sql.placeholder("id"))))
      .limit(1),
  ),
} as const;
