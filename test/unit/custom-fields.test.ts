import { describe, expect, it } from "vitest";
import { ApiError } from "../../workers/api/lib/errors";
import type { CrmSettings, FieldDefinition } from "../../workers/api/services/crm-settings";
import { assertCustomFields, customFieldProblems } from "../../workers/api/services/custom-fields";

const field = (key: string, type: FieldDefinition["type"], required = false, options: string[] = []) => ({
  key,
  type,
  required,
  options,
});

const DEFINITIONS: FieldDefinition[] = [
  field("note", "text"),
  field("size", "number"),
  field("vip", "boolean"),
  field("since", "date"),
  field("tier", "enum", true, ["gold", "silver"]),
];

const fieldsOf = (values: Record<string, unknown>) =>
  customFieldProblems(DEFINITIONS, values).map((p) => p.field);

describe("custom field validation", () => {
  it("accepts a value of each type, and null for an optional field", () => {
    expect(
      customFieldProblems(DEFINITIONS, {
        note: "x",
        size: 2.5,
        vip: false,
        since: "2024-02-29",
        tier: "gold",
      }),
    ).toEqual([]);
    expect(customFieldProblems(DEFINITIONS, { tier: "silver", note: null })).toEqual([]);
  });

  it.each([
    ["note", 5],
    ["note", ["a"]],
    ["size", "5"],
    ["size", true],
    ["vip", "true"],
    ["vip", 1],
    ["since", "2023-02-29"],
    ["since", "2024-13-01"],
    ["since", "2024-1-01"],
    ["since", 20240101],
    ["tier", "bronze"],
    ["tier", "GOLD"],
  ])("refuses %s = %j, naming custom_fields.<key>", (key, value) => {
    const problems = customFieldProblems(DEFINITIONS, { tier: "gold", [key]: value });
    expect(problems.map((p) => p.field)).toEqual([`custom_fields.${key}`]);
  });

  it("refuses unknown keys and a required field missing or null", () => {
    expect(fieldsOf({ tier: "gold", colour: "red" })).toEqual(["custom_fields.colour"]);
    expect(fieldsOf({})).toEqual(["custom_fields.tier"]);
    expect(fieldsOf({ tier: null })).toEqual(["custom_fields.tier"]);
    expect(customFieldProblems(DEFINITIONS, {}, "contact.custom_fields")[0]?.field).toBe(
      "contact.custom_fields.tier",
    );
  });

  it("is strict only for a tenant with an industry", () => {
    const settings: CrmSettings = {
      industry: "retail",
      defaultCurrency: "EUR",
      fields: { contact: DEFINITIONS, lead: [] },
      stages: [],
    };
    expect(() => assertCustomFields(settings, "contact", { anything: [1, 2] })).toThrow(ApiError);
    expect(() =>
      assertCustomFields({ ...settings, industry: null }, "contact", { anything: [1, 2] }),
    ).not.toThrow();
    try {
      assertCustomFields(settings, "contact", { size: "big" });
      expect.unreachable();
    } catch (error) {
      expect((error as ApiError).code).toBe("VALIDATION_ERROR");
      expect((error as ApiError).details.map((d) => d.field)).toEqual([
        "custom_fields.size",
        "custom_fields.tier",
      ]);
    }
  });
});
