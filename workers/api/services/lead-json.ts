import { type SQL, sql } from "drizzle-orm";
import { isoUtc } from "./contact-json";

/**
 * A lead as the API and its events show it, rendered by Postgres as JSON text (as contacts are,
 * see contact-json.ts). `from` is the relation the row comes from: `leads`, `page` (a limited
 * subquery) or `changed` in a write's CTE.
 */
export function leadJson(from: "leads" | "changed" | "page"): SQL {
  const c = (column: string) => sql.raw(`${from}.${column}`);
  return sql`json_build_object(
    'id', ${c("id")},
    'contact_id', ${c("contact_id")},
    'first_name', ${c("first_name")},
    'last_name', ${c("last_name")},
    'email', ${c("email")},
    'phone', ${c("phone")},
    'company', ${c("company")},
    'title', ${c("title")},
    'source', ${c("source")},
    'status', ${c("status")},
    'owner_id', ${c("owner_id")},
    'custom_fields', ${c("custom_fields")},
    'converted_at', ${isoUtc(c("converted_at"))},
    'converted_opportunity_id', ${c("converted_opportunity_id")},
    'created_at', ${isoUtc(c("created_at"))},
    'updated_at', ${isoUtc(c("updated_at"))}
  )`;
}
