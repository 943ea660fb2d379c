import { type SQL, sql } from "drizzle-orm";

/** ISO 8601 UTC with milliseconds, the API's one timestamp format, rendered by Postgres. */
export const isoUtc = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A contact as the API and its events show it, rendered by Postgres as JSON text. Postgres
 * builds JSON far faster than the Worker can parse rows and re-serialise them, so list and item
 * responses splice this text into the envelope as is (measured in bench/). The same expression
 * feeds `data` of the contact events, so responses and events can never disagree.
 *
 * `from` is the relation the row comes from: `contacts`, `page` (a limited subquery), or
 * `changed` in a write's CTE.
 */
export function contactJson(from: "contacts" | "changed" | "page"): SQL {
  const c = (column: string) => sql.raw(`${from}.${column}`);
  return sql`json_build_object(
    'id', ${c("id")},
    'first_name', ${c("first_name")},
    'last_name', ${c("last_name")},
    'email', ${c("email")},
    'phone', ${c("phone")},
    'company', ${c("company")},
    'job_title', ${c("job_title")},
    'tags', ${c("tags")},
    'owner_id', ${c("owner_id")},
    'custom_fields', ${c("custom_fields")},
    'created_at', ${isoUtc(c("created_at"))},
    'updated_at', ${isoUtc(c("updated_at"))}
  )`;
}
