import { z } from "@hono/zod-openapi";
import { OPPORTUNITY_STATUSES } from "../../../db/schema/opportunities";
import { listFilter as filter, ListQuery, UpdatedSince } from "./common";

/** The opportunities list's query: paging (ListQuery) and its filters. */
export const OpportunityListQuery = ListQuery.extend({
  stage: filter(z.string().min(1).max(64), "stage", "Opportunities in this pipeline stage."),
  status: filter(z.enum(OPPORTUNITY_STATUSES), "status", "open, won or lost."),
  owner_id: filter(z.uuid(), "owner_id", "Opportunities owned by this user."),
  contact_id: filter(z.uuid(), "contact_id", "Opportunities of this contact."),
  updated_since: UpdatedSince,
});
