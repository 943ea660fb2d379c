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

function pageQuery(afterCursor: boolean) {
  const where = afterCursor
    ? and(
        live,
        sql`(${contacts.createdAt}, ${contacts.id}) < (${sql.placeholder("afterT")}::timestamptz, ${sql.placeholder("afterId")}::uuid)`,
      )
    : live;
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

export const CONTACT_QUERIES = {
  firstPage: pageQuery(false),
  nextPage: pageQuery(true),
  countLive: compile(
    qb
      .select({ n: count().as("n") })
      .from(contacts)
      .where(live),
  ),
  byId: compile(
    qb
      .select({ json: sql<string>`${contactJson("contacts")}::text`.as("json") })
      .from(contacts)
      .where(and(live, eq(contacts.id, sql.placeholder("id"))))
      .limit(1),
  ),
} as const;
