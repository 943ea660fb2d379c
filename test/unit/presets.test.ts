import { describe, expect, it } from "vitest";
import { PRESETS, validatePresets } from "../../db/presets";
import { Preset, type PresetInput } from "../../db/presets/preset-schema";
import { retail } from "../../db/presets/retail";

/** A copy of a valid preset with one change, typed loosely so tests can break it. */
function broken(change: (p: Record<string, any>) => void): unknown {
  const copy = structuredClone(retail) as Record<string, any>;
  change(copy);
  return copy;
}

function problems(input: unknown): string[] {
  const parsed = Preset.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("industry presets", () => {
  it("ships six valid presets with distinct ids", () => {
    expect(PRESETS.map((p) => p.id)).toEqual([
      "retail",
      "restaurant",
      "professional-services",
      "clinic",
      "logistics",
      "education",
    ]);
    for (const preset of PRESETS) expect(problems(preset), preset.id).toEqual([]);
  });

  it("accepts the unchanged copy the other tests break", () => {
    expect(problems(broken(() => {}))).toEqual([]);
  });

  it("rejects a duplicate stage id", () => {
    const input = broken((p) => {
      p.pipeline[1].id = p.pipeline[0].id;
    });
    expect(problems(input)).toEqual(["pipeline: Stage ids are unique"]);
  });

  it("rejects a pipeline without exactly one won and one lost stage", () => {
    expect(problems(broken((p) => p.pipeline.splice(-2, 1)))).toContain(
      "pipeline: Exactly one won stage (found 0)",
    );
    expect(problems(broken((p) => p.pipeline.pop()))).toContain("pipeline: Exactly one lost stage (found 0)");
    const twoWon = broken((p) => {
      p.pipeline.splice(-1, 0, { id: "won-again", name: "Won again", probability: 100, terminal: "won" });
    });
    expect(problems(twoWon)).toContain("pipeline: Exactly one won stage (found 2)");
  });

  it("rejects open stages after a terminal one, and terminal probabilities other than 100/0", () => {
    const reordered = broken((p) => p.pipeline.push(p.pipeline.shift()));
    expect(problems(reordered)).toContain("pipeline: Won and lost stages come after every open stage");
    const unsure = broken((p) => {
      p.pipeline.at(-2).probability = 90;
    });
    expect(problems(unsure)).toEqual(["pipeline.3.probability: A won stage has probability 100"]);
    const outOfRange = broken((p) => {
      p.pipeline[0].probability = 101;
    });
    expect(problems(outOfRange)).toHaveLength(1);
  });

  it("rejects a permission outside the catalogue", () => {
    const input = broken((p) => p.roles[0].permissions.push("crm.invoices.write"));
    expect(problems(input)).toHaveLength(1);
    expect(problems(input)[0]).toMatch(/^roles\.0\.permissions\.\d+: /);
  });

  it("rejects a payment provider the region does not offer", () => {
    const input = broken((p) => {
      p.regions.eu.paymentProviders = ["stripe", "paystack"];
    });
    expect(problems(input)).toEqual([
      "regions.eu.paymentProviders.1: paystack is not offered in eu (stripe)",
    ]);
    expect(problems(broken((p) => delete p.regions.lagos))).toHaveLength(1);
    expect(problems(broken((p) => (p.regions.eu.defaultCurrency = "euro")))).toHaveLength(1);
  });

  it("rejects a system role's name in any case, and two roles of one name", () => {
    const reserved = broken((p) => {
      p.roles[0].name = " manager";
    });
    expect(problems(reserved)).toEqual(["roles.0.name: A preset role may not take a system role's name"]);
    const twice = broken((p) => {
      p.roles[1].name = p.roles[0].name.toUpperCase();
    });
    expect(problems(twice)).toEqual(["roles: Role names are unique ignoring case"]);
  });

  it("rejects an event type that is not noun.verb", () => {
    for (const event of ["contact", "Contact.created", "contact.created.now", "contact-created"]) {
      const input = broken((p) => p.webhookEventTypes.push(event));
      expect(problems(input), event).toHaveLength(1);
    }
  });

  it("rejects duplicate field keys, enum fields without options and options on other types", () => {
    const duplicate = broken((p) => p.customFields.lead.push({ ...p.customFields.lead[0] }));
    expect(problems(duplicate)).toEqual(["customFields.lead: Custom field keys are unique"]);
    const noOptions = broken((p) => {
      p.customFields.contact[1].options = [];
    });
    expect(problems(noOptions)).toEqual(["customFields.contact.1.options: An enum field needs options"]);
    const stray = broken((p) => {
      p.customFields.contact[0].options = ["a"];
    });
    expect(problems(stray)).toEqual(["customFields.contact.0.options: Only enum fields have options"]);
    expect(problems(broken((p) => (p.customFields.contact[0].type = "json")))).toHaveLength(1);
  });

  it("rejects an unknown rate-limit tier, a non-slug room and an unknown property", () => {
    expect(problems(broken((p) => (p.rateLimitTier = "gold")))).toHaveLength(1);
    expect(problems(broken((p) => p.realtimeRooms.push("Store Floor")))).toHaveLength(1);
    expect(problems(broken((p) => (p.colour = "red")))).toHaveLength(1);
  });

  it("fails at load with the preset and the problem named, and refuses two presets of one id", () => {
    const bad = broken((p) => (p.pipeline[1].id = p.pipeline[0].id)) as PresetInput;
    expect(() => validatePresets([bad])).toThrow("Invalid preset retail: pipeline: Stage ids are unique");
    expect(() => validatePresets([retail, retail])).toThrow("Two presets share the id retail");
  });
});
