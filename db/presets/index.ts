import { clinic } from "./clinic";
import { education } from "./education";
import { logistics } from "./logistics";
import { Preset, type PresetInput } from "./preset-schema";
import { professionalServices } from "./professional-services";
import { restaurant } from "./restaurant";
import { retail } from "./retail";

export type { Preset } from "./preset-schema";

/**
 * Every preset, validated when this module loads: a broken preset fails the first test (or the
 * Worker's start in a deployment check) instead of surfacing in a tenant's activation.
 */
export function validatePresets(inputs: readonly PresetInput[]): readonly Preset[] {
  const presets = inputs.map((input) => {
    const parsed = Preset.safeParse(input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(preset)"}: ${i.message}`);
      throw new Error(`Invalid preset ${input.id}: ${problems.join("; ")}`);
    }
    return Object.freeze(parsed.data);
  });
  const ids = presets.map((p) => p.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated) throw new Error(`Two presets share the id ${repeated}`);
  return Object.freeze(presets);
}

export const PRESETS = validatePresets([
  retail,
  restaurant,
  professionalServices,
  clinic,
  logistics,
  education,
]);

/** The preset with this id (a tenant's `industry`), if there is one. */
export function presetById(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}
