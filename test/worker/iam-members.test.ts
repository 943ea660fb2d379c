import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { call, tokenFor } from "./helpers";
import { fieldsOf, iam, memberWhoCanSignIn, unique } from "./iam-helpers";
import { asTenant, refresh, tokensFor } from "./oauth-helpers";

const C = TEST_TENANTS.c;
/** An Owner who is not the tenant's seeded owner, so the seeded one can be the target. */
const otherOwner = () => tokenFor({ tenant: "c", role: "Owner", userId: crypto.randomUUID() });

describe("iam members", () => {
  it("lists members with cursor pagination", async () => {
    const first = await iam("/members?limit=2");
    expect(first.res.status).toBe(200);
    const data = first.body.data as { id: string; email: string; role: string; status: string }[];
    expect(data).toHaveLength(2);
    expect(Object.keys(data[0] ?? {}).sort()).toEqual(
      ["created_at", "email", "id", "name", "role", "status", "updated_at"].sort(),
    );
    expect(first.body.meta).toMatchObject({ limit: 2, has_more: true });
    const next = await iam(`/members?limit=200&cursor=${(first.body.meta as { cursor: string }).cursor}`);
    const rest = next.body.data as { id: string; email: string }[];
    expect(rest.map((m) => m.id)).not.toContain(data[0]?.id);
    expect([...data, ...rest].map((m) => m.email)).toContain(C.ownerEmail);
  });

  it("adds an unknown email as an invited user, an existing user as active, and audits it", async () => {
    const email = `${unique("new")}@example.com`;
    const { res, body } = await iam("/members", { method: "POST", json: { email, role: "Member" } });
    expect(res.status).toBe(201);
    const member = body.data as { id: string; status: string; role: string; name: string };
    expect(member).toMatchObject({ status: "invited", role: "Member" });
    expect(res.headers.get("Location")).toBe(`/api/v1/iam/members/${member.id}`);

    // The seeded owner of tenant a exists in the region with a password: active at once.
    const existing = await iam("/members", {
      method: "POST",
      json: { email: TEST_TENANTS.b.ownerEmail, role: "Viewer" },
    });
    expect(existing.res.status).toBe(201);
    expect(existing.body.data).toMatchObject({
      status: "active",
      role: "Viewer",
      id: TEST_TENANTS.b.ownerId,
    });

    const again = await iam("/members", {
      method: "POST",
      json: { email: email.toUpperCase(), role: "Viewer" },
    });
    expect(again.res.status).toBe(409);

    const audit = await iam("/audit?action=iam.member_added&limit=200");
    const entries = audit.body.data as { details: { role: string } }[];
    expect(entries.some((e) => e.details.role === "Member")).toBe(true);
    await iam(`/members/${TEST_TENANTS.b.ownerId}`, { method: "DELETE" });
  });

  it("rejects invalid input field by field, unknown fields and unknown roles", async () => {
    const bad = await iam("/members", { method: "POST", json: { email: "not-an-email", role: "", id: "x" } });
    expect(bad.res.status).toBe(400);
    expect(bad.body.errors?.[0]?.code).toBe("VALIDATION_ERROR");
    expect(fieldsOf(bad.body)).toEqual(expect.arrayContaining(["email", "role"]));
    const noRole = await iam("/members", {
      method: "POST",
      json: { email: "x@example.com", role: "NoSuchRole" },
    });
    expect(noRole.res.status).toBe(400);
    expect(fieldsOf(noRole.body)).toEqual(["role"]);
    const emptyPatch = await iam(`/members/${C.ownerId}`, {
      method: "PATCH",
      json: {},
      token: await otherOwner(),
    });
    expect(emptyPatch.res.status).toBe(400);
  });

  it("answers another tenant's member id exactly like a missing one", async () => {
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const json = method === "PATCH" ? { role: "Viewer" } : undefined;
      const foreign = await iam(`/members/${TEST_TENANTS.a.ownerId}`, { method, json });
      const missing = await iam(`/members/${crypto.randomUUID()}`, { method, json });
      expect(foreign.res.status).toBe(404);
      expect(missing.res.status).toBe(404);
      expect(foreign.body.errors).toEqual(missing.body.errors);
    }
  });

  it("nobody changes their own membership", async () => {
    const own = await iam(`/members/${C.ownerId}`, { method: "PATCH", json: { role: "Admin" } });
    expect(own.res.status).toBe(403);
    expect((await iam(`/members/${C.ownerId}`, { method: "DELETE" })).res.status).toBe(403);
  });

  it("keeps the last Owner: no demotion, suspension or removal (409); only an Owner touches Owners", async () => {
    const token = await otherOwner();
    for (const json of [{ role: "Admin" }, { status: "suspended" }]) {
      const res = await iam(`/members/${C.ownerId}`, { method: "PATCH", json, token });
      expect(res.res.status).toBe(409);
    }
    expect((await iam(`/members/${C.ownerId}`, { method: "DELETE", token })).res.status).toBe(409);

    const admin = await tokenFor({ tenant: "c", role: "Admin", userId: crypto.randomUUID() });
    const email = `${unique("owner2")}@example.com`;
    expect(
      (await iam("/members", { method: "POST", json: { email, role: "Owner" }, token: admin })).res.status,
    ).toBe(403);
    expect((await iam(`/members/${C.ownerId}`, { method: "DELETE", token: admin })).res.status).toBe(403);

    // With a second Owner, one of them may be demoted, then removed.
    const second = await iam("/members", { method: "POST", json: { email, role: "Owner" } });
    expect(second.res.status).toBe(201);
    const id = (second.body.data as { id: string }).id;
    const demoted = await iam(`/members/${id}`, { method: "PATCH", json: { role: "Admin" }, token });
    expect(demoted.res.status).toBe(200);
    expect(demoted.body.data).toMatchObject({ role: "Admin" });
    expect((await iam(`/members/${id}`, { method: "DELETE", token: admin })).res.status).toBe(204);
    expect((await iam(`/members/${id}`)).res.status).toBe(404);

    const changes = await iam("/audit?action=iam.member_role_changed&limit=200");
    expect(
      (changes.body.data as { details: { role_to: string } }[]).some((e) => e.details.role_to === "Admin"),
    ).toBe(true);
  });

  it("removing a member revokes their refresh tokens in the same batch, and the edge refuses their access tokens", async () => {
    const { id, email } = await memberWhoCanSignIn("Member");
    const tokens = await tokensFor({ email });
    expect(tokens.refresh_token).toBeDefined();
    expect((await call("/api/v1/crm/contacts", { token: tokens.access_token })).status).toBe(200);
    expect((await iam(`/members/${id}`, { method: "DELETE" })).res.status).toBe(204);
    // The family's id (the token's sid) is on the edge revocation list: refused at once here.
    expect((await call("/api/v1/crm/contacts", { token: tokens.access_token })).status).toBe(401);
    const refreshed = await refresh(tokens.refresh_token ?? "");
    expect(refreshed.status).toBe(400);
    expect(((await refreshed.json()) as { error: string }).error).toBe("invalid_grant");
    const [families = []] = await asTenant(
      C.tenantId,
      sql`select revoked_reason from refresh_families where user_id = ${id}`,
    );
    expect(families).toEqual([{ revoked_reason: "membership_removed" }]);
    const removed = await iam("/audit?action=iam.member_removed&limit=200");
    expect((removed.body.data as { details: { user: string } }[]).some((e) => e.details.user === id)).toBe(
      true,
    );
  });
});
