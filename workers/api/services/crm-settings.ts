import { sql } from "drizzle-orm";
import type { CustomFieldType } from "../../../db/presets/preset-schema";
import { tenantRows } from "../../../db/rows";
import type { CustomFieldEntity } from "../../../db/schema/custom-field-definitions";
import type { StageTerminal } from "../../../db/schema/pipeline-stages";
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

interface Row {
  industry: string | null;
  default_currency: string;
  fields: string;
  stages: string;
}

/**
 * Read for every CRM write that checks against them, never cached: PATCH /api/v1/nexus/tenant
 * changes them, and a write right after it, in any isolate, must be checked against the new
 * definitions (a field just made required is required). The read is one indexed round trip on
 * the tenant's rows; validation has to decide before the write is sent, so it cannot share the
 * write's round trip.
 */
export async function crmSettings(ctx: ServiceContext): Promise<CrmSettings> {
  const tenantId = ctx.actor.tenantId;
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
  // The actor's tenant always exists.
  if (!row) throw new Error(`tenant ${tenantId} not found`);
  const fields = JSON.parse(row.fields) as (FieldDefinition & { entity: CustomFieldEntity })[];
  return {
    industry: row.industry,
    defaultCurrency: row.default_currency,
    fields: {
      contact: fields.filter((f) => f.entity === "contact"),
      lead: fields.filter((f) => f.entity === "lead"),
    },
    stages: JSON.parse(row.stages) as Stage[],
  };
}
