import { z } from "@hono/zod-openapi";
import { CUSTOM_FIELD_TYPES } from "../../../db/presets/preset-schema";
import { tenantTiers } from "../../../db/schema/tenants";
import { REGION_IDS, type RegionId } from "../../../regions/registry";
import { PERMISSIONS } from "../auth/permission-catalogue";

// The wire form of db/presets (snake_case, like every other resource); the invariants are
// checked once, on the data itself, when db/presets loads.

const CustomField = z
  .object({
    key: z.string().openapi({ description: "Name under the resource's `custom_fields`." }),
    label: z.string(),
    type: z.enum(CUSTOM_FIELD_TYPES),
    required: z.boolean(),
    options: z.array(z.string()).optional().openapi({ description: "Allowed values; `enum` fields only." }),
  })
  .openapi("PresetCustomField");

const RegionDefaults = z
  .object({
    default_currency: z.string().openapi({ description: "ISO 4217.", example: "EUR" }),
    payment_providers: z.array(z.enum(["stripe", "paystack", "flutterwave"])),
  })
  .openapi("PresetRegionDefaults");

export const PresetSchema = z
  .object({
    id: z.string().openapi({ example: "retail" }),
    name: z.string(),
    description: z.string(),
    roles: z.array(
      z.object({ name: z.string(), description: z.string(), permissions: z.array(z.enum(PERMISSIONS)) }),
    ),
    pipeline: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          probability: z.number().int().min(0).max(100),
          terminal: z.enum(["won", "lost"]).optional(),
        }),
      )
      .openapi({ description: "Stages in order; exactly one `won` and one `lost` stage, last." }),
    custom_fields: z.object({ contact: z.array(CustomField), lead: z.array(CustomField) }),
    regions: z
      .object(
        Object.fromEntries(REGION_IDS.map((id) => [id, RegionDefaults])) as Record<
          RegionId,
          typeof RegionDefaults
        >,
      )
      .openapi({ description: "Currency and payment providers for a tenant homed in each region." }),
    webhook_event_types: z.array(z.string()).openapi({ example: ["contact.created"] }),
    realtime_rooms: z.array(z.string()),
    rate_limit_tier: z.enum(tenantTiers),
  })
  .openapi("Preset");

export const PresetIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "professional-services" }),
});
