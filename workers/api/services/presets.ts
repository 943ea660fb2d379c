import { PRESETS, type Preset } from "../../../db/presets";
import { REGION_IDS, type RegionId } from "../../../regions/registry";
import { ApiError } from "../lib/errors";

type RegionDefaults = Preset["regions"][RegionId];

export interface PresetJson {
  id: string;
  name: string;
  description: string;
  roles: Preset["roles"];
  pipeline: Preset["pipeline"];
  custom_fields: Preset["customFields"];
  regions: Record<
    RegionId,
    { default_currency: string; payment_providers: RegionDefaults["paymentProviders"] }
  >;
  webhook_event_types: string[];
  realtime_rooms: string[];
  rate_limit_tier: Preset["rateLimitTier"];
}

function presetJson(p: Preset): PresetJson {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    roles: p.roles,
    pipeline: p.pipeline,
    custom_fields: p.customFields,
    regions: Object.fromEntries(
      REGION_IDS.map((id) => [
        id,
        {
          default_currency: p.regions[id].defaultCurrency,
          payment_providers: p.regions[id].paymentProviders,
        },
      ]),
    ) as PresetJson["regions"],
    webhook_event_types: p.webhookEventTypes,
    realtime_rooms: p.realtimeRooms,
    rate_limit_tier: p.rateLimitTier,
  };
}

// Built once per isolate: presets are constants of the deployment.
const LISTED = PRESETS.map(presetJson);

export function listPresets(): PresetJson[] {
  return [...LISTED];
}

const BY_ID = new Map(LISTED.map((p) => [p.id, p]));

export function getPreset(id: string): PresetJson {
  const preset = BY_ID.get(id);
  if (!preset) throw new ApiError("NOT_FOUND", `No preset ${id}`);
  return preset;
}
