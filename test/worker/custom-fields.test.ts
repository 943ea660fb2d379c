import { describe, expect, it } from "vitest";
import { call, envelope, tokenFor } from "./helpers";

type Tenant = "a" | "b" | "d";

async function createContact(tenant: Tenant, customFields: Record<string, unknown>) {
  const res = await call("/api/v1/crm/contacts", {
    method: "POST",
    json: { first_name: "Typed", custom_fields: customFields },
    token: await tokenFor({ tenant }),
  });
  return { res, body: await envelope<{ id: string; custom_fields: Record<string, unknown> }>(res) };
}

const fieldsOf = (body: { errors?: { field?: string; code: string }[] }) => body.errors?.map((e) => e.field);

/**
 * Tenant b is a restaurant (contact fields dietary_requirements text, birthday date, vip boolean,
 * none required); tenant d professional services (engagement_partner text, client_status enum
 * prospect|active|former, required); tenant a has no industry.
 */
describe("contact custom fields against the tenant's definitions", () => {
  it("accepts values of the defined types", async () => {
    const { res, body } = await createContact("b", {
      dietary_requirements: "vegan",
      birthday: "1990-02-28",
      vip: true,
    });
    expect(res.status).toBe(201);
    expect(body.data.custom_fields).toEqual({
      dietary_requirements: "vegan",
      birthday: "1990-02-28",
      vip: true,
    });
  });

  it.each([
    ["dietary_requirements", 3],
    ["birthday", "1990-02-30"],
    ["birthday", "28/02/1990"],
    ["vip", "yes"],
  ])("refuses %s = %j with 400 naming custom_fields.<key>", async (key, value) => {
    const { res, body } = await createContact("b", { [key]: value });
    expect(res.status).toBe(400);
    expect(body.errors?.[0]?.code).toBe("VALIDATION_ERROR");
    expect(fieldsOf(body)).toEqual([`custom_fields.${key}`]);
  });

  it("refuses an unknown key", async () => {
    const { res, body } = await createContact("b", { loyalty_tier: "gold" });
    expect(res.status).toBe(400);
    expect(fieldsOf(body)).toEqual(["custom_fields.loyalty_tier"]);
  });

  it("enum: one of the options; required: present on create and kept by a replacement", async () => {
    const wrong = await createContact("d", { client_status: "maybe" });
    expect(wrong.res.status).toBe(400);
    expect(fieldsOf(wrong.body)).toEqual(["custom_fields.client_status"]);
    expect(wrong.body.errors?.[0]?.message).toContain("prospect");

    const missing = await createContact("d", { engagement_partner: "Ines" });
    expect(missing.res.status).toBe(400);
    expect(fieldsOf(missing.body)).toEqual(["custom_fields.client_status"]);

    const ok = await createContact("d", { client_status: "prospect" });
    expect(ok.res.status).toBe(201);
    const token = await tokenFor({ tenant: "d" });
    const removed = await call(`/api/v1/crm/contacts/${ok.body.data.id}`, {
      method: "PUT",
      json: { first_name: "Typed", custom_fields: { engagement_partner: "Ines" } },
      token,
    });
    expect(removed.status).toBe(400);
    expect(fieldsOf(await envelope(removed))).toEqual(["custom_fields.client_status"]);
    const kept = await call(`/api/v1/crm/contacts/${ok.body.data.id}`, {
      method: "PUT",
      json: { first_name: "Typed", custom_fields: { client_status: "active", engagement_partner: "Ines" } },
      token,
    });
    expect(kept.status).toBe(200);
  });

  it("a tenant without an industry keeps free-form custom fields", async () => {
    const { res, body } = await createContact("a", { anything: ["goes", 1], nested_no: null });
    expect(res.status).toBe(201);
    expect(body.data.custom_fields).toEqual({ anything: ["goes", 1], nested_no: null });
  });
});
