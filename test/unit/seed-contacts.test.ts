import { describe, expect, it } from "vitest";
import { PRESETS, presetById } from "../../db/presets";
import { DEMO_TENANTS } from "../../db/seed/demo";
import { demoContacts } from "../../db/tools/seed";
import { customFieldProblems } from "../../workers/api/services/custom-fields";

const definitions = (preset: (typeof PRESETS)[number]) =>
  preset.customFields.contact.map((f) => ({ ...f, options: f.options ?? [] }));

describe("seeded contacts", () => {
  it.each(Object.values(DEMO_TENANTS).map((t) => [t.slug, t.industry] as const))(
    "%s: every contact satisfies its tenant's preset (%s)",
    (_slug, industry) => {
      const preset = industry === null ? undefined : presetById(industry);
      const contacts = demoContacts(preset);
      expect(contacts).toHaveLength(3);
      for (const contact of contacts) {
        expect(preset ? customFieldProblems(definitions(preset), contact.customFields) : []).toEqual([]);
      }
    },
  );

  it.each(PRESETS.map((p) => [p.id, p] as const))("would satisfy the %s preset too", (_id, preset) => {
    for (const contact of demoContacts(preset)) {
      expect(customFieldProblems(definitions(preset), contact.customFields)).toEqual([]);
    }
  });
});
