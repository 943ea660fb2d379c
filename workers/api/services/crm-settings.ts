import { sql } from "drizzle-orm";
import type { CustomFieldType } from "../../../db/presets/preset-schema";
import { tenantRows } from "../../../db/rows";
import type { CustomFieldEntity } from "../../../db/schema/custom-field-definitions";
import type { StageTerminal } from "../../../db/schema/pipeline-stages";
import { TtlCache } from "../lib/ttl-cache";
import type { ServiceContext } from "./context";

export interface FieldDefinition {
  key: string;
  type: CustomFieldType;
  required: boolean;
  options: string[];
}

export interface Stage {
  key: string;
  terminal: StageTerminal | null;
}

/** What CRM writes check against: the tenant's industry, currency, field definitions and pipeline. */
export interface CrmSettings {
  /** The preset the tenant started from; null: free-form custom fields, no pipeline. */
  industry: string | null;
  defaultCurrency: string;
  fields: Record<CustomFieldEntity, FieldDefinition[]>;
  /** In pipeline order: open stages first, then won and lost. */
  stages: Stage[];
}

/**
 * Per isolate, for a minute. Every contact write needs the tenant's field definitions, and the
 * contacts write path is hot: a read per write would add a database round trip to each, and it
 * cannot share the write's round trip because validation has to decide before the write is sent.
 * Definitions and stages are written at activation, before the tenant's first request, and no
 * route changes them yet; when one does, it should drop its isolate's entry, and other isolates
 * see the change within this bound.
 */
const CACHE = new TtlCache<CrmSettings>(60_000, 5_000);

interface Row {
  industry: string | null;
  default_currency: string;
  fields: string;
  stages: string;
}

export async function crmSettings(ctx: ServiceContext): Promise<CrmSettings> {
  const tenantId = ctx.actor.tenantId;
  const cached = CACHE.get(tenantId);
  if (cached) return cached;
  // JSON as text, parsed here: the HTTP driver and the interactive transaction's client agree on it.
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select t.industry, t.default_currency,
      coalesce((select json_agg(json_build_object('entity', f.entity, 'key', f.field_key, 'type', f.type,
          'required', f.required, 'options', f.options) order by f.field_key)
        from custom_field_definitions f where f.tenant_id = t.id), '[]')::text as fields,
      coalesce((select json_agg(json_build_object('key', s.stage_key, 'terminal', s.terminal) order by s.position)
        from pipeline_stages s where s.tenant_id = t.id), '[]')::text as stages
      from tenants t where t.id = ${tenantId}`,
  ]);
  const row = rows[0] as Row | undefined;
  // The actor's tenant always exists; without its row there is nothing to cache.
  if (!row) throw new Error(`tenant ${tenantId} not found`);
  const fields = JSON.parse(row.fields) as (FieldDefinition & { entity: CustomFieldEntity })[];
  const settings: CrmSettings = {
    industry: row.industry,
    defaultCurrency: row.default_currency,
    fields: {
      contact: fields.filter((f) => f.entity === "contact"),
      lead: fields.filter((f) => f.entity === "lead"),
    },
    stages: JSON.parse(row.stages) as Stage[],
  };
  CACHE.set(tenantId, settings);
  return settings;
}
