import type { CustomFieldEntity } from "../../../db/schema/custom-field-definitions";
import { ApiError } from "../lib/errors";
import { isCalendarDate } from "../schemas/common";
import type { CrmSettings, FieldDefinition } from "./crm-settings";

interface Problem {
  field: string;
  message: string;
}

function typeProblem(definition: FieldDefinition, value: unknown): string | undefined {
  switch (definition.type) {
    case "text":
      return typeof value === "string" ? undefined : "Expected text";
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : "Expected a number";
    case "boolean":
      return typeof value === "boolean" ? undefined : "Expected true or false";
    case "date":
      return typeof value === "string" && isCalendarDate(value) ? undefined : "Expected a date as YYYY-MM-DD";
    case "enum":
      return typeof value === "string" && definition.options.includes(value)
        ? undefined
        : `Expected one of: ${definition.options.join(", ")}`;
  }
}

/** What a missing required field takes: its type, and an enum's options. */
function requiredMessage(definition: FieldDefinition): string {
  const takes: Record<FieldDefinition["type"], string> = {
    text: "text",
    number: "a number",
    boolean: "true or false",
    date: "a date as YYYY-MM-DD",
    enum: `one of: ${definition.options.join(", ")}`,
  };
  return `${definition.key} is required: ${takes[definition.type]}`;
}

/**
 * Every way `values` breaks the definitions: unknown keys, values of the wrong type, required
 * fields without a value (null counts as none). `values` is always the whole object the record
 * will hold, on create and on update alike, so a required field removed by an update is missing.
 */
export function customFieldProblems(
  definitions: readonly FieldDefinition[],
  values: Readonly<Record<string, unknown>>,
  prefix = "custom_fields",
): Problem[] {
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(values)) {
    const definition = byKey.get(key);
    if (!definition) {
      problems.push({ field: `${prefix}.${key}`, message: `Unknown custom field ${key}` });
      continue;
    }
    if (value === null) continue;
    const problem = typeProblem(definition, value);
    if (problem) problems.push({ field: `${prefix}.${key}`, message: problem });
  }
  for (const definition of definitions) {
    if (definition.required && (values[definition.key] ?? null) === null) {
      problems.push({ field: `${prefix}.${definition.key}`, message: requiredMessage(definition) });
    }
  }
  return problems;
}

/**
 * Strict for a tenant with an industry (it has typed fields from its preset), free-form for one
 * without: such a tenant predates presets, and its stored fields follow no definition.
 */
export function assertCustomFields(
  settings: CrmSettings,
  entity: CustomFieldEntity,
  values: Readonly<Record<string, unknown>>,
  prefix?: string,
): void {
  if (settings.industry === null) return;
  const problems = customFieldProblems(settings.fields[entity], values, prefix);
  if (problems.length > 0) throw ApiError.validation(problems);
}
