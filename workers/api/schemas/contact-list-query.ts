import { z } from "@hono/zod-openapi";
import { listFilter as filter, ListQuery, UpdatedSince } from "./common";

/** The contacts list's query: paging (ListQuery) and its filters. */
export const ContactListQuery = ListQuery.extend({
  email: filter(z.string().trim().min(1).max(254), "email", "Exact address, any letter case."),
  name: filter(
    z.string().trim().min(1).max(100),
    "name",
    "Part of the first and last name, any letter case.",
  ),
  tag: filter(z.string().trim().min(1).max(64), "tag", "Contacts carrying this tag."),
  owner_id: filter(z.uuid(), "owner_id", "Contacts owned by this user."),
  phone: filter(
    z
      .string()
      .trim()
      .regex(/^\+?[0-9 ()-]{4,32}$/, "Invalid phone number"),
    "phone",
    "The same number however written (`+49 30 1234-5678` = `+493012345678`); a blind index, as phones are stored encrypted.",
  ),
  updated_since: UpdatedSince,
});
