import { z } from "zod";
import { REGION_IDS, REGIONS, type RegionId } from "../../regions/registry";
import { isReservedRoleName, PERMISSIONS } from "../../workers/api/auth/permission-catalogue";
import { tenantTiers } from "../schema/tenants";

/**
 * An industry preset: what a new tenant of that industry starts with (roles, pipeline, custom
 * fields, regional money settings, events, rooms, plan). Presets are data in the repository,
 * validated here so activation, leads and opportunities can rely on every invariant instead of
 * re-checking it.
 */

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** The same rule contacts apply to `custom_fields` names (workers/api/schemas/contact.ts). */
const FIELD_KEY = /^[a-z][a-z0-9_]{0,63}$/;
/** `noun.verb`, both snake_case: `contact.created`, `appointment.no_show`. */
const EVENT_TYPE = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;
const CURRENCY = /^[A-Z]{3}$/;

/**
 * Only permissions that exist today (workers/api/auth/permissions.ts): a preset role may never
 * name one no route checks.
 */
const PresetRole = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(500),
    permissions: z.array(z.enum(PERMISSIONS)).min(1),
  })
  .refine((r) => !isReservedRoleName(r.name), {
    message: "A preset role may not take a system role's name",
    path: ["name"],
  })
  .refine((r) => new Set(r.permissions).size === r.permissions.length, {
    message: "Permissions are listed once",
    path: ["permissions"],
  });

const PipelineStage = z.strictObject({
  id: z.string().regex(KEBAB, "Stage ids are kebab-case"),
  name: z.string().min(1).max(100),
  /** Chance of winning a deal at this stage, in percent. */
  probability: z.number().int().min(0).max(100),
  /** `won` and `lost` end a deal; a pipeline has exactly one of each. */
  terminal: z.enum(["won", "lost"]).optional(),
});

export const CUSTOM_FIELD_TYPES = ["text", "number", "boolean", "date", "enum"] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

const CustomField = z
  .strictObject({
    key: z.string().regex(FIELD_KEY, "Field keys are snake_case, at most 64 characters"),
    label: z.string().min(1).max(100),
    type: z.enum(CUSTOM_FIELD_TYPES),
    required: z.boolean(),
    /** Only for `enum`, and then at least one. */
    options: z.array(z.string().min(1).max(100)).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.type === "enum" && (f.options?.length ?? 0) === 0) {
      ctx.addIssue({ code: "custom", message: "An enum field needs options", path: ["options"] });
    }
    if (f.type !== "enum" && f.options !== undefined) {
      ctx.addIssue({ code: "custom", message: "Only enum fields have options", path: ["options"] });
    }
    if (f.options && new Set(f.options).size !== f.options.length) {
      ctx.addIssue({ code: "custom", message: "Enum options are unique", path: ["options"] });
    }
  });

const uniqueKeys = (fields: { key: string }[]) => new Set(fields.map((f) => f.key)).size === fields.length;
const FieldList = z
  .array(CustomField)
  .max(50)
  .refine(uniqueKeys, { message: "Custom field keys are unique" });

const RegionDefaults = z.strictObject({
  /** ISO 4217 code. */
  defaultCurrency: z.string().regex(CURRENCY, "An ISO 4217 currency code"),
  paymentProviders: z.array(z.enum(["stripe", "paystack", "flutterwave"])).min(1),
});

/** One entry per region (a tenant of any region may pick any preset). */
const Regions = z
  .strictObject(
    Object.fromEntries(REGION_IDS.map((id) => [id, RegionDefaults])) as Record<
      RegionId,
      typeof RegionDefaults
    >,
  )
  .superRefine((regions, ctx) => {
    for (const id of REGION_IDS) {
      const offered: readonly string[] = REGIONS[id].paymentProviders;
      for (const [i, provider] of regions[id].paymentProviders.entries()) {
        if (!offered.includes(provider)) {
          ctx.addIssue({
            code: "custom",
            message: `${provider} is not offered in ${id} (${offered.join(", ")})`,
            path: [id, "paymentProviders", i],
          });
        }
      }
    }
  });

const unique = (values: string[]) => new Set(values).size === values.length;

export const Preset = z.strictObject({
  id: z.string().regex(KEBAB, "Preset ids are kebab-case"),
  name: z.string().min(1).max(100),
  description: z.string().min(1).max(500),
  roles: z.array(PresetRole).refine((roles) => unique(roles.map((r) => r.name.trim().toLowerCase())), {
    message: "Role names are unique ignoring case",
  }),
  pipeline: z
    .array(PipelineStage)
    .min(2)
    .superRefine((stages, ctx) => {
      if (!unique(stages.map((s) => s.id))) {
        ctx.addIssue({ code: "custom", message: "Stage ids are unique" });
      }
      for (const end of ["won", "lost"] as const) {
        const count = stages.filter((s) => s.terminal === end).length;
        if (count !== 1) {
          ctx.addIssue({ code: "custom", message: `Exactly one ${end} stage (found ${count})` });
        }
      }
      // Terminal stages close the pipeline, so open stages come first, in order.
      const firstTerminal = stages.findIndex((s) => s.terminal !== undefined);
      if (firstTerminal >= 0 && stages.slice(firstTerminal).some((s) => s.terminal === undefined)) {
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
    }),
  customFields: z.strictObject({ contact: FieldList, lead: FieldList }),
  regions: Regions,
  webhookEventTypes: z
    .array(z.string().regex(EVENT_TYPE, "Event types are noun.verb, e.g. contact.created"))
    .min(1)
    .refine(unique, { message: "Event types are listed once" }),
  realtimeRooms: z
    .array(z.string().regex(KEBAB, "Room names are kebab-case slugs"))
    .refine(unique, { message: "Rooms are listed once" }),
  rateLimitTier: z.enum(tenantTiers),
});

/** What a preset file writes (checked by the compiler); `Preset` is what the index hands out. */
export type PresetInput = z.input<typeof Preset>;
export type Preset = z.output<typeof Preset>;
