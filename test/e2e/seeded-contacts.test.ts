import { describe, expect, it } from "vitest";
import { DEMO_TENANTS } from "../../db/seed/demo";
import type { FieldDefinition } from "../../workers/api/services/crm-settings";
import { customFieldProblems } from "../../workers/api/services/custom-fields";
import { rowsIn } from "../support/e2e-stack";

describe("the demo tenants' seeded contacts (npm run dev)", () => {
  it.each(["eu", "lagos"] as const)(
    "%s: each satisfies its tenant's own custom field definitions",
    async (region) => {
      const tenant = DEMO_TENANTS[region].tenantId;
      const definitions = (await rowsIn(
        region,
        `select field_key as key, type, required, options from custom_field_definitions
        where tenant_id = $1 and entity = 'contact'`,
        [tenant],
      )) as FieldDefinition[];
      expect(definitions.length).toBeGreaterThan(0);
      const contacts = (await rowsIn(
        region,
        "select email, custom_fields from contacts where tenant_id = $1 and 'demo' = any(tags)",
        [tenant],
      )) as { email: string; custom_fields: Record<string, unknown> }[];
      expect(contacts).toHaveLength(3);
      for (const contact of contacts) {
        expect({
          email: contact.email,
          problems: customFieldProblems(definitions, contact.custom_fields),
        }).toEqual({
          email: contact.email,
          problems: [],
        });
      }
    },
  );
});
