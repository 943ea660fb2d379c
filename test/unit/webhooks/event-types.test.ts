import { describe, expect, it } from "vitest";
import { EVENT_TYPE_FILTER, matchesEventTypes } from "../../../workers/api/webhooks/event-types";

describe("webhook event type filters", () => {
  it("accepts noun.verb and noun.* forms only", () => {
    for (const ok of [
      "contact.created",
      "contact.*",
      "webhook_endpoint.deleted",
      "customer.subscription.created",
      "customer.subscription.*",
    ]) {
      expect(EVENT_TYPE_FILTER.test(ok), ok).toBe(true);
    }
    for (const bad of [
      "*",
      "contact",
      "contact.",
      ".created",
      "Contact.created",
      "contact.*.created",
      "contact.cr eated",
      "contact.**",
      "contact*",
      "1contact.created",
    ]) {
      expect(EVENT_TYPE_FILTER.test(bad), bad).toBe(false);
    }
  });

  it("matches exact types, prefixes, and everything when empty", () => {
    expect(matchesEventTypes([], "contact.created")).toBe(true);
    expect(matchesEventTypes(["contact.created"], "contact.created")).toBe(true);
    expect(matchesEventTypes(["contact.created"], "contact.updated")).toBe(false);
    expect(matchesEventTypes(["contact.*"], "contact.deleted")).toBe(true);
    // A prefix ends at a dot: contact.* is not contact_note.*.
    expect(matchesEventTypes(["contact.*"], "contact_note.created")).toBe(false);
    expect(matchesEventTypes(["lead.created", "contact.*"], "lead.created")).toBe(true);
    expect(matchesEventTypes(["webhook_endpoint.*"], "contact.created")).toBe(false);
  });
});
