import { describe, expect, it } from "vitest";
import { fieldsOf, LEAD_FIELDS, newLead, newOpportunity, send, unique } from "./crm-helpers";

/** Tenant d (professional services): contacts need client_status (prospect, active, former). */
const CONTACT_FIELDS = { client_status: "prospect" };

describe("errors that say what to do", () => {
  it("a duplicate email names the field and the contact that has it, on create and replace", async () => {
    const email = `taken-${unique()}@example.com`;
    const first = await send<{ id: string }>("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "First", email, custom_fields: CONTACT_FIELDS },
    });
    expect(first.res.status).toBe(201);
    const existing = first.body.data.id;

    const again = await send("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "Second", email: email.toUpperCase(), custom_fields: CONTACT_FIELDS },
    });
    expect(again.res.status).toBe(409);
    expect(again.body.errors?.[0]).toMatchObject({ code: "CONFLICT", field: "email" });
    expect(again.body.errors?.[0]?.message).toContain(existing);

    const other = await send<{ id: string }>("/api/v1/contacts", {
      method: "POST",
      json: { first_name: "Other", custom_fields: CONTACT_FIELDS },
    });
    const replaced = await send(`/api/v1/contacts/${other.body.data.id}`, {
      method: "PUT",
      json: { first_name: "Other", email, custom_fields: CONTACT_FIELDS },
    });
    expect(replaced.res.status).toBe(409);
    expect(replaced.body.errors?.[0]).toMatchObject({ code: "CONFLICT", field: "email" });
    expect(replaced.body.errors?.[0]?.message).toContain(existing);
  });

  it("a missing required custom enum field lists its options", async () => {
    const { res, body } = await send("/api/v1/crm/contacts", {
      method: "POST",
      json: { first_name: "No status", custom_fields: {} },
    });
    expect(res.status).toBe(400);
    expect(fieldsOf(body)).toEqual(["custom_fields.client_status"]);
    expect(body.errors?.[0]?.message).toBe("client_status is required: one of: prospect, active, former");
  });

  it("an enum of the API (any schema) lists its options, in the shared validation formatting", async () => {
    const lead = await send("/api/v1/crm/leads", {
      method: "POST",
      json: { first_name: "Lena", status: "hot", source: "fax", custom_fields: LEAD_FIELDS },
    });
    expect(lead.res.status).toBe(400);
    const byField = Object.fromEntries(lead.body.errors?.map((e) => [e.field, e.message]) ?? []);
    expect(byField.status).toBe("Expected one of: new, contacted, qualified, unqualified");
    expect(byField.source).toBe("Expected one of: web, referral, event, import, other");
    const converted = await send("/api/v1/crm/leads", {
      method: "POST",
      json: { first_name: "Lena", status: "converted", custom_fields: LEAD_FIELDS },
    });
    expect(converted.body.errors?.[0]?.message).toBe(
      "A lead becomes converted only through POST /{id}/convert",
    );
  });

  it("PATCH status on an opportunity points to stage", async () => {
    const opportunity = await newOpportunity();
    for (const base of ["/api/v1/opportunities", "/api/v1/crm/opportunities"]) {
      const { res, body } = await send(`${base}/${opportunity.id}`, {
        method: "PATCH",
        json: { status: "lost" },
      });
      expect(res.status).toBe(400);
      expect(fieldsOf(body)).toEqual(["status"]);
      expect(body.errors?.[0]?.message).toMatch(/status follows the stage.*set stage to a won or lost stage/);
    }
    const created = await send("/api/v1/opportunities", {
      method: "POST",
      json: { name: "Deal", status: "won" },
    });
    expect(fieldsOf(created.body)).toEqual(["status"]);
    const lead = await newLead();
    const conversion = await send(`/api/v1/leads/${lead.id}/convert`, {
      method: "POST",
      json: {
        contact: { custom_fields: CONTACT_FIELDS },
        opportunity: { closed_at: "2026-01-01T00:00:00Z" },
      },
    });
    expect(fieldsOf(conversion.body)).toEqual(["opportunity.closed_at"]);
    expect(conversion.body.errors?.[0]?.message).toMatch(/set stage instead/);
  });
});
