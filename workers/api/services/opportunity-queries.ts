import { and, eq, sql } from "drizzle-orm";
import { compile, queryBuilder as qb } from "../../../db/compiled-query";
import { opportunities } from "../../../db/schema";
import { compileListQueries, type ListFilter } from "./keyset-list";
import { opportunityJson } from "./opportunity-json";

/** The opportunity reads, compiled once (see contact-queries.ts). */

const live = and(eq(opportunities.tenantId, sql.placeholder("tenantId")), eq(opportunities.isDeleted, false));

const filters: ListFilter[] = [
  { name: "stage", type: "text", test: (v) => sql`${opportunities.stageKey} = ${v}` },
  { name: "status", type: "text", test: (v) => sql`${opportunities.status} = ${v}` },
  { name: "ownerId", type: "uuid", test: (v) => sql`${opportunities.ownerId} = ${v}` },
  { name: "contactId", type: "uuid", test: (v) => sql`${opportunities.contactId} = ${v}` },
  { name: "updatedSince", type: "timestamptz", test: (v) => sql`${opportunities.updatedAt} >= ${v}` },
];

export const OPPORTUNITY_QUERIES = {
  ...compileListQueries(opportunities, opportunityJson("page"), live, filters),
  byId: compile(
    qb
      .select({ json: sql<string>`${opportunityJson("opportunities")}::text`.as("json") })
      .from(opportunities)
      .where(and(live, eq(opportunities.id, sql.placeholder("id"))))
      .limit(1),
  ),
} as const;
