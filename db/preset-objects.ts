import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "./client";
import type { Preset } from "./presets";
import { customFieldDefinitions, pipelineStages } from "./schema";

/**
 * The tenant-owned copies of what an industry preset defines: its pipeline stages and its contact
 * and lead custom fields. Items for `db.batch([...])` or `tenantBatch(db, tenantId, [...])`, so
 * activation can write them in the same transaction as the tenant. Each is idempotent on its
 * natural key (`on conflict do nothing`): running them twice leaves one set, and a re-run never
 * overwrites what the tenant changed since.
 *
 * The tenant's `industry` column is the caller's to set (with the tenant row); it is what turns
 * on strict custom-field validation.
 */
export function presetObjectStatements(
  db: Database,
  tenantId: string,
  preset: Preset,
): [BatchItem<"pg">, ...BatchItem<"pg">[]] {
  const stages = db
    .insert(pipelineStages)
    .values(
      preset.pipeline.map((stage, position) => ({
        tenantId,
        stageKey: stage.id,
        name: stage.name,
        probability: stage.probability,
        terminal: stage.terminal ?? null,
        position,
      })),
    )
    .onConflictDoNothing({ target: [pipelineStages.tenantId, pipelineStages.stageKey] });
  const fields = (["contact", "lead"] as const).flatMap((entity) =>
    preset.customFields[entity].map((field) => ({
      tenantId,
      entity,
      fieldKey: field.key,
      label: field.label,
      type: field.type,
      required: field.required,
      options: field.options ?? [],
    })),
  );
  // A preset may define no custom fields, and an insert needs at least one row.
  if (fields.length === 0) return [stages];
  return [
    stages,
    db
      .insert(customFieldDefinitions)
      .values(fields)
      .onConflictDoNothing({
        target: [
          customFieldDefinitions.tenantId,
          customFieldDefinitions.entity,
          customFieldDefinitions.fieldKey,
        ],
      }),
  ];
}
