import { and, eq, sql } from "drizzle-orm";
import { compile, queryBuilder as qb } from "../../../db/compiled-query";
import { leads } from "../../../db/schema";
import { compileListQueries, type ListFilter } from "./keyset-list";
import { leadJson } from "./lead-json";

/** The lead reads, compiled once (see contact-queries.ts). */

const live = and(eq(leads.tenantId, sql.placeholder("tenantId")), eq(leads.isDeleted, false));

const filters: ListFilter[] = [
  { name: "status", type: "text", test: (v) => sql`${leads.status} = ${v}` },
  { name: "source", type: "text", test: (v) => sql`${leads.source} = ${v}` },
  { name: "ownerId", type: "uuid", test: (v) => sql`${leads.ownerId} = ${v}` },
  { name: "email", type: "text", test: (v) => sql`lower(${leads.email}) = lower(${v})` },
  { name: "updatedSince", type: "timestamptz", test: (v) => sql`${leads.updatedAt} >= ${v}` },
];

const byId = and(live, eq(leads.id, sql.placeholder("id")));

export const LEAD_QUERIES = {
  ...compileListQueries(leads, leadJson("page"), live, filters),
  byId: compile(
    qb
      .select({ json: sql<string>`${leadJson("leads")}::text`.as("json") })
      .from(leads)
      .where(byId)
      .limit(1),
  ),
  /** What a write that found nothing to change needs to say why: missing (404) or converted (409). */
  status: compile(qb.select({ status: leads.status }).from(leads).where(byId).limit(1)),
} as const;
