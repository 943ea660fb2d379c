import { z } from "@hono/zod-openapi";
import { LEAD_SOURCES, LEAD_STATUSES } from "../../../db/schema/leads";
import { listFilter as filter, ListQuery, UpdatedSince } from "./common";

/** The leads list's query: paging (ListQuery) and its filters. */
export const LeadListQuery = ListQuery.extend({
  status: filter(z.enum(LEAD_STATUSES), "status", "Leads in this status."),
  source: filter(z.enum(LEAD_SOURCES), "source", "Leads from this source."),
  owner_id: filter(z.uuid(), "owner_id", "Leads owned by this user."),
  email: filter(z.string().trim().min(1).max(254), "email", "Exact address, any letter case."),
  updated_since: UpdatedSince,
});
