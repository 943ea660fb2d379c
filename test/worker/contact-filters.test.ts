import { describe, expect, it } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { call, envelope, tokenFor } from "./helpers";

interface Contact {
  id: string;
  first_name: string;
  email: string | null;
  tags: string[];
  owner_id: string | null;
  updated_at: string;
}

const run = crypto.randomUUID().slice(0, 8);
const tag = `filter-${run}`;

async function create(body: Record<string, unknown>, tenant: "a" | "b" = "a"): Promise<Contact> {
  const res = await call("/api/v1/crm/contacts", {
    method: "POST",
    json: { tags: [tag], ...body },
    token: await tokenFor({ tenant }),
  });
  expect(res.status).toBe(201);
  return (await envelope<Contact>(res)).data;
}

async function list(query: string, tenant: "a" | "b" = "a") {
  const res = await call(`/api/v1/crm/contacts?${query}`, { token: await tokenFor({ tenant }) });
  return { res, body: await envelope<Contact[]>(res) };
}

describe("contact list filters", () => {
  it("filter by tag, email (any case), name part, owner and updated_since, combined and paged", async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const ada = await create({
      first_name: "Ada",
      last_name: `Lovelace${run}`,
      email: `ada-${run}@example.com`,
    });
    const alan = await create({
      first_name: "Alan",
      last_name: `Turing${run}`,
      email: `alan-${run}@example.com`,
      owner_id: TEST_TENANTS.a.ownerId,
    });
    const grace = await create({ first_name: "Grace", last_name: `Hopper${run}`, tags: [tag, "navy"] });
    await create({ first_name: "Other", email: `other-${run}@example.com` }, "b"); // another tenant, same tag

    const ids = (body: { data: Contact[] }) => body.data.map((c) => c.id);
    expect(ids((await list(`tag=${tag}`)).body)).toEqual([grace.id, alan.id, ada.id]);
    expect(ids((await list(`email=ADA-${run}@Example.com`)).body)).toEqual([ada.id]);
    expect(ids((await list(`name=${encodeURIComponent(`ing${run}`.toUpperCase())}`)).body)).toEqual([
      alan.id,
    ]);
    expect(ids((await list(`tag=${tag}&owner_id=${TEST_TENANTS.a.ownerId}`)).body)).toEqual([alan.id]);
    expect(ids((await list(`tag=${tag}&updated_since=${encodeURIComponent(before)}`)).body)).toHaveLength(3);
    expect(ids((await list(`tag=${tag}&updated_since=2999-01-01T00:00:00Z`)).body)).toEqual([]);

    // Paging keeps the filter: two pages of 2 and 1, with a total.
    const first = await list(`tag=${tag}&limit=2&include_total=true`);
    expect(ids(first.body)).toEqual([grace.id, alan.id]);
    expect(first.body.meta).toMatchObject({ has_more: true, total: 3 });
    const second = await list(`tag=${tag}&limit=2&cursor=${first.body.meta?.cursor}`);
    expect(ids(second.body)).toEqual([ada.id]);
    expect(second.body.meta?.has_more).toBe(false);
  });

  it("another tenant's contacts never match", async () => {
    const { body } = await list(`tag=${tag}`, "b");
    expect(body.data.map((c) => c.email)).toEqual([`other-${run}@example.com`]);
  });

  it("rejects malformed filters with 400 naming the field", async () => {
    for (const [query, field] of [
      ["owner_id=not-a-uuid", "owner_id"],
      ["updated_since=yesterday", "updated_since"],
      [`name=${"x".repeat(101)}`, "name"],
    ] as const) {
      const { res, body } = await list(query);
      expect(res.status).toBe(400);
      expect(body.errors?.[0]).toMatchObject({ code: "VALIDATION_ERROR", field });
    }
  });
});
