import { type SQL, sql } from "drizzle-orm";
import { eventPayload } from "../../../db/outbox";
import { tenantRows, textArray, utcIso } from "../../../db/rows";
import type { CustomFieldEntity } from "../../../db/schema/custom-field-definitions";
import { databaseErrorCode } from "../lib/db-errors";
import { ApiError } from "../lib/errors";
import type { FieldDefinitionInput, TenantSettings, TenantSettingsPatch } from "../schemas/tenant-settings";
import type { ServiceContext } from "./context";
import { auditInsert } from "./identity/audit";
import { byActor } from "./identity/audited-change";
import type { RequestInfo } from "./identity/request-info";
import {
  changedParts,
  changesNothing,
  type SettingsChanges,
  type StageUse,
  settingsChanges,
} from "./tenant-settings-diff";

const SOURCE = "nexus-service";

/** The records whose `custom_fields` an entity's definitions describe. */
const RECORDS: Record<CustomFieldEntity, SQL> = { contact: sql.raw("contacts"), lead: sql.raw("leads") };

const fieldsOf = (entity: CustomFieldEntity) => sql`coalesce((
    select json_agg(json_build_object('key', f.field_key, 'label', f.label, 'type', f.type,
        'required', f.required, 'options', f.options) order by f.field_key)
      from custom_field_definitions f where f.tenant_id = t.id and f.entity = ${entity}), '[]')`;

/**
 * The settings as the API shows them, over `tenants t`: the GET's answer, the PATCH's answer and
 * the event's data come from this one expression, so they cannot disagree.
 */
const SETTINGS_JSON = sql`json_build_object(
    'id', t.id, 'name', t.name, 'slug', t.slug, 'region', t.region, 'country', t.country,
    'industry', t.industry, 'default_currency', t.default_currency,
    'custom_fields', json_build_object('contact', ${fieldsOf("contact")}, 'lead', ${fieldsOf("lead")}),
    'pipeline', coalesce((
      select json_agg(json_build_object('key', s.stage_key, 'name', s.name, 'probability', s.probability,
          'terminal', s.terminal) order by s.position, s.stage_key)
        from pipeline_stages s where s.tenant_id = t.id), '[]'),
    'created_at', ${utcIso(sql`t.created_at`)},
    'updated_at', ${utcIso(sql`t.updated_at`)}
  )`;

const tenantRow = (tenantId: string) => sql`from tenants t where t.id = ${tenantId} and not t.is_deleted`;

// JSON as text, parsed here: the HTTP driver and the interactive transaction's client agree on it.
const parsed = (rows: unknown[] | undefined): TenantSettings | undefined => {
  const row = rows?.[0] as { settings: string } | undefined;
  return row ? (JSON.parse(row.settings) as TenantSettings) : undefined;
};

export async function getTenantSettings(ctx: ServiceContext): Promise<TenantSettings> {
  const tenantId = ctx.actor.tenantId;
  const [rows] = await tenantRows(ctx.db, tenantId, [
    sql`select ${SETTINGS_JSON}::text as settings ${tenantRow(tenantId)}`,
  ]);
  const settings = parsed(rows);
  if (!settings) throw ApiError.notFound("Tenant");
  return settings;
}

async function currentState(ctx: ServiceContext) {
  const tenantId = ctx.actor.tenantId;
  const [settingsRows, useRows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${SETTINGS_JSON}::text as settings ${tenantRow(tenantId)}`,
    sql`select stage_key,
          (count(*) filter (where not is_deleted and status = 'open'))::int as open,
          (count(*) filter (where not is_deleted and status <> 'open'))::int as closed,
          (count(*) filter (where is_deleted))::int as deleted
        from opportunities where tenant_id = ${tenantId} group by stage_key`,
  ]);
  const settings = parsed(settingsRows);
  if (!settings) throw ApiError.notFound("Tenant");
  const stageUse = new Map(
    (useRows as (StageUse & { stage_key: string })[]).map(({ stage_key, ...use }) => [stage_key, use]),
  );
  return { settings, stageUse };
}

/** The definitions of `entity` that are new or changed, as one upsert. */
function upsertFields(
  tenantId: string,
  entity: CustomFieldEntity,
  fields: readonly FieldDefinitionInput[],
): SQL {
  return sql`insert into custom_field_definitions (tenant_id, entity, field_key, label, type, required, options)
    select ${tenantId}::uuid, ${entity}::text, f.key, f.label, f.type, f.required, f.options
    from json_to_recordset(${JSON.stringify(fields)}::json)
      as f(key text, label text, type text, required boolean, options text[])
    on conflict (tenant_id, entity, field_key) do update
      set label = excluded.label, type = excluded.type, required = excluded.required,
          options = excluded.options, updated_at = now()`;
}

/** Every statement of the change, in order, after the guard. */
function changeStatements(tenantId: string, patch: TenantSettingsPatch, changes: SettingsChanges): SQL[] {
  const statements: SQL[] = [];
  for (const entity of ["contact", "lead"] as const) {
    const change = changes.custom_fields?.[entity];
    if (!change) continue;
    if (change.removed.length > 0) {
      const keys = textArray(change.removed);
      statements.push(
        sql`delete from custom_field_definitions
            where tenant_id = ${tenantId} and entity = ${entity} and field_key = any(${keys})`,
        // A removed field's values go with it: left behind, they would make every later write of
        // the record fail as an unknown field.
        sql`update ${RECORDS[entity]} set custom_fields = custom_fields - ${keys}, updated_at = now()
            where tenant_id = ${tenantId} and custom_fields ?| ${keys}`,
      );
    }
    const touched = new Set([...change.added, ...change.changed]);
    const upserts = (patch.custom_fields?.[entity] ?? []).filter((f) => touched.has(f.key));
    if (upserts.length > 0) statements.push(upsertFields(tenantId, entity, upserts));
  }
  if (changes.pipeline && patch.pipeline) {
    if (changes.pipeline.removed.length > 0) {
      statements.push(
        sql`delete from pipeline_stages
            where tenant_id = ${tenantId} and stage_key = any(${textArray(changes.pipeline.removed)})`,
      );
    }
    // `terminal` is written for new stages only: an existing stage's never changes (checked before).
    statements.push(sql`insert into pipeline_stages (tenant_id, stage_key, name, probability, terminal, position)
      select ${tenantId}::uuid, s.key, s.name, s.probability, s.terminal, (s.n - 1)::int
      from rows from (json_to_recordset(${JSON.stringify(patch.pipeline)}::json)
          as (key text, name text, probability int, terminal text)) with ordinality
        as s(key, name, probability, terminal, n)
      on conflict (tenant_id, stage_key) do update
        set name = excluded.name, probability = excluded.probability, position = excluded.position, updated_at = now()
        where (pipeline_stages.name, pipeline_stages.probability, pipeline_stages.position)
          is distinct from (excluded.name, excluded.probability, excluded.position)`);
  }
  return statements;
}

/**
 * Applies a PATCH (schemas/tenant-settings.ts) in one transaction: the tenant row, the field
 * definitions (with the values of removed fields), the pipeline, the `tenant.settings_updated`
 * event and the audit entry commit together or not at all.
 *
 * The state is read first (one round trip) because what may change depends on it; the write's
 * first statement then updates the tenant row only if it is still the version read, and divides
 * by the rows it updated, so a PATCH that lost a race aborts the whole batch (409) instead of
 * writing over a list it did not see. That update's row lock also makes concurrent PATCHes of
 * one tenant take turns. An opportunity entering a stage being removed meanwhile trips the
 * stage's foreign key: also a 409.
 */
export async function updateTenantSettings(
  ctx: ServiceContext,
  info: RequestInfo,
  patch: TenantSettingsPatch,
): Promise<TenantSettings> {
  const tenantId = ctx.actor.tenantId;
  const { settings, stageUse } = await currentState(ctx);
  const changes = settingsChanges(settings, patch, stageUse);
  if (changesNothing(changes)) return settings;

  const event = {
    eventId: crypto.randomUUID(),
    eventType: "tenant.settings_updated" as const,
    source: SOURCE,
    actorId: ctx.actor.userId,
    correlationId: ctx.requestId,
  };
  const statements = [
    sql`with guarded as (
          update tenants set name = coalesce(${changes.name?.to ?? null}::text, name), updated_at = now()
          where id = ${tenantId} and not is_deleted and updated_at = ${settings.updated_at}::timestamptz
          returning id)
        select 1 / count(*) as guarded from guarded`,
    ...changeStatements(tenantId, patch, changes),
    auditInsert(
      {
        ...byActor(ctx, "tenant"),
        action: "tenant.settings_updated",
        targetId: tenantId,
        details: { changed: changedParts(changes) },
      },
      info,
    ),
    sql`with settings as (select ${SETTINGS_JSON} as s ${tenantRow(tenantId)}),
        emitted as (
          insert into outbox_events (id, tenant_id, event_type, payload)
          select ${event.eventId}::uuid, ${tenantId}::uuid, ${event.eventType},
            ${eventPayload(event, sql`${tenantId}::uuid`, sql`jsonb_build_object('settings', settings.s::jsonb, 'changes', ${JSON.stringify(changes)}::jsonb)`)}
          from settings)
        select s::text as settings from settings`,
  ];
  let results: unknown[][];
  try {
    results = await tenantRows(ctx.db, tenantId, statements);
  } catch (error) {
    const code = databaseErrorCode(error);
    if (code === "22012") {
      throw new ApiError(
        "CONFLICT",
        "The settings changed while this change was made: read them again and retry",
        {
          cause: error,
        },
      );
    }
    if (code === "23503") {
      throw new ApiError(
        "CONFLICT",
        "An opportunity entered a stage this change removes: read the settings again",
        {
          field: "pipeline",
          cause: error,
        },
      );
    }
    throw error;
  }
  const updated = parsed(results.at(-1));
  if (!updated) throw new Error("tenant settings vanished during their update");
  return updated;
}
