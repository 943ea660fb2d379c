import { z } from "@hono/zod-openapi";
import { CUSTOM_FIELD_TYPES } from "../../../db/presets/preset-schema";
import { CUSTOM_FIELD_ENTITIES } from "../../../db/schema/custom-field-definitions";

/** At most this many definitions per entity: a record holds at most 50 custom fields (custom-fields.ts). */
export const MAX_FIELDS_PER_ENTITY = 50;
export const MAX_STAGES = 30;

const FIELD_KEY = /^[a-z][a-z0-9_]{0,63}$/;
/** The rule preset stage ids follow (db/presets/preset-schema.ts): what opportunities carry. */
const STAGE_KEY = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const unique = (values: readonly string[]) => new Set(values).size === values.length;
const duplicatesOf = (values: readonly string[]) => [
  ...new Set(values.filter((v, i) => values.indexOf(v) !== i)),
];

export const FieldDefinition = z
  .strictObject({
    key: z
      .string()
      .regex(FIELD_KEY, "Field keys are snake_case, at most 64 characters")
      .openapi({ description: "The key in `custom_fields`; it identifies the field and cannot be renamed." }),
    label: z.string().trim().min(1).max(100).openapi({ description: "What a form shows." }),
    type: z.enum(CUSTOM_FIELD_TYPES),
    required: z.boolean().default(false).openapi({ description: "Default false." }),
    options: z.array(z.string().trim().min(1).max(100)).max(100).default([]).openapi({
      description: "The values an `enum` field takes (at least one, unique); empty for the other types.",
    }),
  })
  .superRefine((f, ctx) => {
    if (f.type === "enum" && f.options.length === 0) {
      ctx.addIssue({ code: "custom", message: "An enum field needs options", path: ["options"] });
    }
    if (f.type !== "enum" && f.options.length > 0) {
      ctx.addIssue({ code: "custom", message: "Only enum fields have options", path: ["options"] });
    }
    if (!unique(f.options)) {
      ctx.addIssue({ code: "custom", message: "Enum options are unique", path: ["options"] });
    }
  })
  .openapi("CustomFieldDefinition");

const FieldList = z
  .array(FieldDefinition)
  .max(MAX_FIELDS_PER_ENTITY)
  .superRefine((fields, ctx) => {
    const duplicates = duplicatesOf(fields.map((f) => f.key));
    if (duplicates.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `Field keys are unique: ${duplicates.join(", ")} is listed twice`,
      });
    }
  });

export const PipelineStage = z
  .strictObject({
    key: z.string().regex(STAGE_KEY, "Stage keys are kebab-case").max(64).openapi({
      description: "The value opportunities carry in `stage`; it identifies the stage and cannot be renamed.",
    }),
    name: z.string().trim().min(1).max(100),
    probability: z
      .number()
      .int()
      .min(0)
      .max(100)
      .openapi({ description: "Chance of winning at this stage, %." }),
    terminal: z
      .enum(["won", "lost"])
      .nullable()
      .default(null)
      .openapi({ description: "`won` or `lost` ends a deal; null (default) for an open stage." }),
  })
  .openapi("PipelineStage");

/** The pipeline invariants presets follow, checked on every list a client sends. */
const Pipeline = z
  .array(PipelineStage)
  .min(3)
  .max(MAX_STAGES)
  .superRefine((stages, ctx) => {
    const keys = duplicatesOf(stages.map((s) => s.key));
    if (keys.length > 0) {
      ctx.addIssue({ code: "custom", message: `Stage keys are unique: ${keys.join(", ")} is listed twice` });
    }
    const names = duplicatesOf(stages.map((s) => s.name.toLowerCase()));
    if (names.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `Stage names are unique: ${names.join(", ")} is listed twice`,
      });
    }
    for (const end of ["won", "lost"] as const) {
      const count = stages.filter((s) => s.terminal === end).length;
      if (count !== 1) ctx.addIssue({ code: "custom", message: `Exactly one ${end} stage (found ${count})` });
    }
    const firstTerminal = stages.findIndex((s) => s.terminal !== null);
    if (firstTerminal === 0)
      ctx.addIssue({ code: "custom", message: "The pipeline starts with an open stage" });
    if (firstTerminal > 0 && stages.slice(firstTerminal).some((s) => s.terminal === null)) {
      ctx.addIssue({ code: "custom", message: "Won and lost stages come after every open stage" });
    }
    for (const [i, s] of stages.entries()) {
      const expected = s.terminal === "won" ? 100 : s.terminal === "lost" ? 0 : undefined;
      if (expected !== undefined && s.probability !== expected) {
        ctx.addIssue({
          code: "custom",
          message: `A ${s.terminal} stage has probability ${expected}`,
          path: [i, "probability"],
        });
      }
    }
  });

const timestamp = z.string().openapi({ format: "date-time" });

const FieldsByEntity = z
  .object(
    Object.fromEntries(CUSTOM_FIELD_ENTITIES.map((e) => [e, z.array(FieldDefinition)])) as Record<
      (typeof CUSTOM_FIELD_ENTITIES)[number],
      z.ZodArray<typeof FieldDefinition>
    >,
  )
  .openapi({ description: "The typed custom fields of contacts and of leads, by key." });

export const TenantSettings = z
  .object({
    id: z.uuid(),
    name: z.string(),
    slug: z.string(),
    region: z.enum(["eu", "lagos"]),
    country: z.string().openapi({ description: "ISO 3166-1 alpha-2." }),
    industry: z
      .string()
      .nullable()
      .openapi({
        description:
          "The industry preset the tenant started from (GET /api/v1/presets); null: a tenant without one, whose " +
          "custom fields are free-form and which has no pipeline.",
      }),
    default_currency: z.string().openapi({ description: "ISO 4217; what opportunities default to." }),
    custom_fields: FieldsByEntity,
    pipeline: z.array(PipelineStage).openapi({ description: "In order: open stages, then won and lost." }),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .openapi("TenantSettings");

export type TenantSettings = z.infer<typeof TenantSettings>;

export const TenantSettingsPatch = z
  .strictObject({
    name: z.string().trim().min(2).max(200).optional().openapi({ description: "The tenant's display name." }),
    custom_fields: z
      .strictObject({ contact: FieldList.optional(), lead: FieldList.optional() })
      .optional()
      .openapi({
        description:
          "Per entity, the complete new list of definitions (an entity left out is unchanged): a key not in " +
          "the current list is added, a listed key is changed to what is sent, a current key left out is " +
          "removed together with its values on the tenant's records.",
      }),
    pipeline: Pipeline.optional().openapi({
      description:
        "The complete new pipeline, in order: a new key adds a stage, a listed key is renamed, reordered or " +
        "re-weighted, a current key left out is removed (409 while opportunities are in it). A stage's " +
        "`terminal` cannot change.",
    }),
  })
  .refine((p) => Object.keys(p).length > 0, "Give at least one of name, custom_fields, pipeline")
  .openapi("TenantSettingsPatch");

export type TenantSettingsPatch = z.infer<typeof TenantSettingsPatch>;
export type FieldDefinitionInput = z.infer<typeof FieldDefinition>;
export type PipelineStageInput = z.infer<typeof PipelineStage>;
