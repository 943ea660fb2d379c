import { describe, expect, it } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { fieldsOf, LEAD_FIELDS, newLead, newOpportunity, send } from "./crm-helpers";

/** Tenant d's owner is a member of d; tenant a's owner is a user of another tenant. */
const MEMBER = TEST_TENANTS.d.ownerId;
const OTHER_TENANTS_USER = TEST_TENANTS.a.ownerId;

const CONTACT_FIELDS = { client_status: "prospect" };

function expectNotAMember(res: Response, body: Parameters<typeof fieldsOf>[0], field = "owner_id") {
  expect(res.status).toBe(400);
  expect(body.errors?.[0]?.code).toBe("VALIDATION_ERROR");
  expect(fieldsOf(body)).toEqual([field]);
  expect(body.errors?.[0]?.message).toMatch(/active member of the tenant/);
}

describe("owner_id must be an active member of the tenant", () => {
  for (const [label, ownerId] of [
    ["another tenant's user", OTHER_TENANTS_USER],
    ["an unknown id", crypto.randomUUID()],
  ] as const) {
    it(`refuses ${label} on contact create and replace (400 owner_id)`, async () => {
      const created = await send("/api/v1/crm/contacts", {
        method: "POST",
        json: { first_name: "Owned", owner_id: ownerId, custom_fields: CONTACT_FIELDS },
      });
      expectNotAMember(created.res, created.body);
      const ok = await send<{ id: string; owner_id: string }>("/api/v1/contacts", {
        method: "POST",
        json: { first_name: "Owned", owner_id: MEMBER, custom_fields: CONTACT_FIELDS },
      });
      expect(ok.res.status).toBe(201);
      expect(ok.body.data.owner_id).toBe(MEMBER);
      const replaced = await send(`/api/v1/crm/contacts/${ok.body.data.id}`, {
        method: "PUT",
        json: { first_name: "Owned", owner_id: ownerId, custom_fields: CONTACT_FIELDS },
      });
      expectNotAMember(replaced.res, replaced.body);
    });

    it(`refuses ${label} on lead create and update (400 owner_id)`, async () => {
      const created = await send("/api/v1/crm/leads", {
        method: "POST",
        json: { first_name: "Lena", owner_id: ownerId, custom_fields: LEAD_FIELDS },
      });
      expectNotAMember(created.res, created.body);
      const lead = await newLead({ owner_id: MEMBER });
      expect(lead.owner_id).toBe(MEMBER);
      const patched = await send(`/api/v1/leads/${lead.id}`, {
        method: "PATCH",
        json: { owner_id: ownerId },
      });
      expectNotAMember(patched.res, patched.body);
    });

    it(`refuses ${label} on opportunity create and update (400 owner_id)`, async () => {
      const created = await send("/api/v1/crm/opportunities", {
        method: "POST",
        json: { name: "Deal", owner_id: ownerId },
      });
      expectNotAMember(created.res, created.body);
      const opportunity = await newOpportunity({ owner_id: MEMBER });
      expect(opportunity.owner_id).toBe(MEMBER);
      const patched = await send(`/api/v1/opportunities/${opportunity.id}`, {
        method: "PATCH",
        json: { owner_id: ownerId },
      });
      expectNotAMember(patched.res, patched.body);
    });

    it(`refuses ${label} as the converted lead's opportunity owner (400 opportunity.owner_id)`, async () => {
      const lead = await newLead();
      const refused = await send(`/api/v1/crm/leads/${lead.id}/convert`, {
        method: "POST",
        json: { contact: { custom_fields: CONTACT_FIELDS }, opportunity: { owner_id: ownerId } },
      });
      expectNotAMember(refused.res, refused.body, "opportunity.owner_id");
      const converted = await send<{ opportunity: { owner_id: string } }>(
        `/api/v1/crm/leads/${lead.id}/convert`,
        {
          method: "POST",
          json: { contact: { custom_fields: CONTACT_FIELDS }, opportunity: { owner_id: MEMBER } },
        },
      );
      expect(converted.res.status).toBe(201);
      expect(converted.body.data.opportunity.owner_id).toBe(MEMBER);
    });
  }

  it("accepts null (no owner)", async () => {
    const opportunity = await newOpportunity({ owner_id: MEMBER });
    const cleared = await send<{ owner_id: string | null }>(`/api/v1/opportunities/${opportunity.id}`, {
      method: "PATCH",
      json: { owner_id: null },
    });
    expect(cleared.res.status).toBe(200);
    expect(cleared.body.data.owner_id).toBeNull();
  });
});
