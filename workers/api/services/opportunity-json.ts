import { type SQL, sql } from "drizzle-orm";
import { isoUtc } from "./contact-json";

/**
 * An opportunity as the API and its events show it, rendered by Postgres as JSON text (see
 * contact-json.ts). The amount is numeric(12,2) as text ("1250.00"): a JSON number could lose
 * cents in a client's floats.
 */
export function opportunityJson(from: "opportunities" | "changed" | "page"): SQL {
  const c = (column: string) => sql.raw(`${from}.${column}`);
  return sql`json_build_object(
    'id', ${c("id")},
    'name', ${c("name")},
    'contact_id', ${c("contact_id")},
    'lead_id', ${c("lead_id")},
    'owner_id', ${c("owner_id")},
    'stage', ${c("stage_key")},
    'status', ${c("status")},
    'amount', ${c("amount")}::text,
    'currency', ${c("currency")},
    'expected_close_date', to_char(${c("expected_close_date")}, 'YYYY-MM-DD'),
    'closed_at', ${isoUtc(c("closed_at"))},
    'custom_fields', ${c("custom_fields")},
    'created_at', ${isoUtc(c("created_at"))},
    'updated_at', ${isoUtc(c("updated_at"))}
  )`;
}
