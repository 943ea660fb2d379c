import { describe, expect, it } from "vitest";
import { EVENT_TYPES, unknownEventFilter } from "../../../workers/api/events/catalogue";

describe("event catalogue", () => {
  it("accepts every catalogued type and its noun, in both prefix spellings", () => {
    for (const type of EVENT_TYPES) {
      const noun = type.slice(0, type.lastIndexOf("."));
      expect(unknownEventFilter(type, ".*"), type).toBeUndefined();
      expect(unknownEventFilter(type, "."), type).toBeUndefined();
      expect(unknownEventFilter(`${noun}.*`, ".*"), noun).toBeUndefined();
      expect(unknownEventFilter(`${noun}.`, "."), noun).toBeUndefined();
    }
  });

  it("names the closest known type or noun for a typo", () => {
    expect(unknownEventFilter("contacts.created", ".*")).toMatch(/did you mean contact\.created\?/);
    expect(unknownEventFilter("opportunity.stage_change", ".")).toMatch(
      /did you mean opportunity\.stage_changed\?/,
    );
    expect(unknownEventFilter("leads.*", ".*")).toMatch(/did you mean lead\.\*\?/);
    expect(unknownEventFilter("webhook_end.", ".")).toMatch(/did you mean webhook_endpoint\.\?/);
  });
});
