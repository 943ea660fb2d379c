import { and, eq, sql } from "drizzle-orm";
import { compile, queryBuilder as qb } from "../../../db/compiled-query";
import { contacts } from "../../../db/schema";
import { contactJson } from "./contact-json";
import { compileListQueries, type ListFilter } from "./keyset-list";

/**
 * The contact reads of the hot path, compiled once (db/compiled-query.ts); lists as every
 * resource's (keyset-list.ts). Every selected expression is aliased: rows come back as objects
 * keyed by these names.
 */

const live = and(eq(contacts.tenantId, sql.placeholder("tenantId")), eq(contacts.isDeleted, false));

/**
 * The list's filters: email (exact, any case), name (part of first + last name, any case), tag,
 * owner, phone (by its blind index) and updated-since.
 */
const filters: ListFilter[] = [
  { name: "email", type: "text", test: (v) => sql`lower(${contacts.email}) = lower(${v})` },
  {
    name: "name",
    type: "text",
    test: (v) =>
      sql`strpos(lower(${contacts.firstName} || ' ' || coalesce(${contacts.lastName}, '')), lower(${v})) > 0`,
  },
  { name: "tag", type: "text", test: (v) => sql`${contacts.tags} @> array[${v}]` },
  { name: "ownerId", type: "uuid", test: (v) => sql`${contacts.ownerId} = ${v}` },
  // The phone is stored sealed: the service passes its blind index (services/privacy/).
  { name: "phoneIndex", type: "text", test: (v) => sql`${contacts.phoneIndex} = ${v}` },
  { name: "updatedSince", type: "timestamptz", test: (v) => sql`${contacts.updatedAt} >= ${v}` },
];

export const CONTACT_QUERIES = {
  ...compileListQueries(contacts, contactJson("page"), live, filters),
  byId: compile(
    qb
      .select({ json: sql<string>`${contactJson("contacts")}::text`.as("json") })
      .from(contacts)
      .where(and(live, eq(contacts.id, sql.placeholder("id"))))
      .limit(1),
  ),
  /** Whether `id` is a live contact of the tenant (a reference another record wants to make). */
  exists: compile(
    qb
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(live, eq(contacts.id, sql.placeholder("id"))))
      .limit(1),
  ),
} as const;
