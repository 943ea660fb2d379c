import type { CustomFieldEntity } from "../../../db/schema/custom-field-definitions";
import { ApiError } from "../lib/errors";
import type {
  FieldDefinitionInput,
  PipelineStageInput,
  TenantSettings,
  TenantSettingsPatch,
} from "../schemas/tenant-settings";

/** What a list change does, by key. */
export interface ListChange {
  added: string[];
  changed: string[];
  removed: string[];
}

/** What a PATCH changes: the `changes` of the `tenant.settings_updated` event and the audit entry. */
export interface SettingsChanges {
  name?: { from: string; to: string };
  custom_fields?: Partial<Record<CustomFieldEntity, ListChange>>;
  pipeline?: ListChange & { reordered: boolean };
}

/** How many opportunities refer to a stage, live and soft-deleted (the foreign key counts both). */
export interface StageUse {
  open: number;
  closed: number;
  deleted: number;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function listChange<T extends { key: string }>(current: readonly T[], next: readonly T[]): ListChange {
  const before = new Map(current.map((item) => [item.key, item]));
  const after = new Set(next.map((item) => item.key));
  return {
    added: next.filter((item) => !before.has(item.key)).map((item) => item.key),
    changed: next
      .filter((item) => {
        const old = before.get(item.key);
        return old !== undefined && !same(normalised(old), normalised(item));
      })
      .map((item) => item.key),
    removed: current.filter((item) => !after.has(item.key)).map((item) => item.key),
  };
}

/** An item with its keys in one order, so two spellings of the same definition compare equal. */
function normalised(item: object): string {
  return JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))));
}

const isEmpty = (change: ListChange) =>
  change.added.length + change.changed.length + change.removed.length === 0;

function describeUse(key: string, use: StageUse): string {
  const parts = [
    use.open > 0 ? `${use.open} open` : "",
    use.closed > 0 ? `${use.closed} closed` : "",
    use.deleted > 0 ? `${use.deleted} deleted` : "",
  ].filter(Boolean);
  const total = use.open + use.closed + use.deleted;
  const what = `Stage ${key} cannot be removed: ${total} ${total === 1 ? "opportunity is" : "opportunities are"} in it (${parts.join(", ")})`;
  // Soft-deleted opportunities are kept for history and keep their stage: they cannot be moved.
  return use.open + use.closed > 0
    ? `${what}; move them to another stage first`
    : `${what}, kept for history`;
}

/**
 * What `patch` changes in `current`, or an ApiError for a change the tenant's state refuses: a
 * stage whose `terminal` would change (400 naming it), a stage opportunities are in that would be
 * removed (409 naming it), fields or a pipeline on a tenant without an industry (409).
 */
export function settingsChanges(
  current: TenantSettings,
  patch: TenantSettingsPatch,
  stageUse: ReadonlyMap<string, StageUse>,
): SettingsChanges {
  const changes: SettingsChanges = {};
  if (patch.name !== undefined && patch.name !== current.name) {
    changes.name = { from: current.name, to: patch.name };
  }
  if ((patch.custom_fields !== undefined || patch.pipeline !== undefined) && current.industry === null) {
    throw new ApiError(
      "CONFLICT",
      "The tenant was set up without an industry preset: its custom fields are free-form and it has no pipeline",
    );
  }
  for (const entity of ["contact", "lead"] as const) {
    const next = patch.custom_fields?.[entity];
    if (next === undefined) continue;
    const change = listChange<FieldDefinitionInput>(current.custom_fields[entity], next);
    if (!isEmpty(change)) changes.custom_fields = { ...changes.custom_fields, [entity]: change };
  }
  if (patch.pipeline !== undefined) {
    const change = pipelineChange(current.pipeline, patch.pipeline, stageUse);
    if (!isEmpty(change) || change.reordered) changes.pipeline = change;
  }
  return changes;
}

function pipelineChange(
  current: readonly PipelineStageInput[],
  next: readonly PipelineStageInput[],
  stageUse: ReadonlyMap<string, StageUse>,
): ListChange & { reordered: boolean } {
  const before = new Map(current.map((s) => [s.key, s]));
  const problems = next.flatMap((stage, i) => {
    const old = before.get(stage.key);
    return old && old.terminal !== stage.terminal
      ? [
          {
            field: `pipeline.${i}.terminal`,
            message: `Stage ${stage.key} is ${old.terminal ?? "open"}: a stage's terminal cannot change (add a new stage instead)`,
          },
        ]
      : [];
  });
  if (problems.length > 0) throw ApiError.validation(problems);
  const change = listChange(current, next);
  const inUse = change.removed.filter((key) => {
    const use = stageUse.get(key);
    return use !== undefined && use.open + use.closed + use.deleted > 0;
  });
  if (inUse.length > 0) {
    const messages = inUse.map((key) => describeUse(key, stageUse.get(key) as StageUse));
    throw new ApiError("CONFLICT", messages[0] ?? "", {
      details: messages.map((message) => ({ code: "CONFLICT" as const, field: "pipeline", message })),
    });
  }
  const kept = (stages: readonly PipelineStageInput[]) =>
    stages.filter((s) => before.has(s.key) && next.some((n) => n.key === s.key)).map((s) => s.key);
  return { ...change, reordered: !same(kept(current), kept(next)) };
}

/** Whether a PATCH changes nothing (then nothing is written, emitted or audited). */
export function changesNothing(changes: SettingsChanges): boolean {
  return Object.keys(changes).length === 0;
}

/** The changed parts, as the audit entry lists them (`name custom_fields.contact pipeline`). */
export function changedParts(changes: SettingsChanges): string {
  return [
    ...(changes.name ? ["name"] : []),
    ...Object.keys(changes.custom_fields ?? {}).map((entity) => `custom_fields.${entity}`),
    ...(changes.pipeline ? ["pipeline"] : []),
  ].join(" ");
}
