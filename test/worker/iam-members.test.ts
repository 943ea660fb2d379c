import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { call, tokenFor } from "./helpers";
import { fieldsOf, iam, jwtPayload, memberWhoCanSignIn, unique } from "./iam-helpers";
import {
  asTenant,
  DEMO_PASSWORD,
  exchangeCode,
  openSignIn,
  pkcePair,
  postAuthorize,
  refresh,
  rows,
  tokensFor,
} from "./oauth-helpers";

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

  it("invites a known and an unknown email alike: same answer, only what was typed, no access yet", async () => {
    // Someone with an account (a member of tenant a) whose real name tenant c does not know.
    const known = await memberWhoCanSignIn("Member", "a");
    const realName = `Real ${unique("Person")}`;
    await rows(sql`update users set name = ${realName} where id = ${known.id}`);
    const unknownEmail = `${unique("new")}@example.com`;
    const typedKnown = known.email.toUpperCase();

    const added = [];
    for (const email of [unknownEmail, typedKnown]) {
      const { res, body } = await iam("/members", { method: "POST", json: { email, role: "Member" } });
      expect(res.status).toBe(201);
      expect(res.headers.get("Location")).toBe(`/api/v1/iam/members/${(body.data as { id: string }).id}`);
      added.push(body.data as Record<string, string>);
    }
    const [unknown, existing] = added as [Record<string, string>, Record<string, string>];
    const shape = (m: Record<string, string>, email: string) => ({
      keys: Object.keys(m).sort(),
      status: m.status,
      role: m.role,
      email: m.email === email,
      name: m.name === email.split("@")[0],
    });
    expect(shape(existing, typedKnown)).toEqual(shape(unknown, unknownEmail));
    expect(existing).toMatchObject({ status: "invited", id: known.id, email: typedKnown });
    expect(JSON.stringify(existing)).not.toContain(realName);
    // The list and the member's page show the same: what the tenant typed.
    const read = await iam(`/members/${known.id}`);
    expect(read.body.data).toMatchObject({ email: typedKnown, name: existing.name, status: "invited" });
    expect(JSON.stringify((await iam("/members?limit=200")).body)).not.toContain(realName);

    // Only the user accepts: the tenant cannot activate (or suspend) an invitation.
    for (const status of ["active", "suspended"]) {
      const patched = await iam(`/members/${known.id}`, { method: "PATCH", json: { status } });
      expect(patched.res.status).toBe(409);
    }
    expect(
      (await iam("/members", { method: "POST", json: { email: known.email, role: "Viewer" } })).res.status,
    ).toBe(409);
    // No access while pending: nothing of tenant c can be issued to them.
    const [membership = []] = await asTenant(
      C.tenantId,
      sql`select status from memberships where user_id = ${known.id} and not is_deleted`,
    );
    expect(membership).toEqual([{ status: "invited" }]);

    const audit = await iam("/audit?action=iam.member_added&limit=200");
    const entries = audit.body.data as { target_id: string; details: { role: string } }[];
    expect(entries.some((e) => e.details.role === "Member")).toBe(true);
    await iam(`/members/${known.id}`, { method: "DELETE" });
  });

  it("the invited user accepts or declines at sign-in; only then can the tenant be chosen", async () => {
    const user = await memberWhoCanSignIn("Member", "a");
    const realName = `Real ${unique("Person")}`;
    await rows(sql`update users set name = ${realName} where id = ${user.id}`);
    const invited = await iam("/members", { method: "POST", json: { email: user.email, role: "Viewer" } });
    expect(invited.res.status).toBe(201);

    // Signing in shows the invitation first, not the application's consent.
    const { challenge, verifier } = await pkcePair();
    const o = { challenge };
    const first = await openSignIn(o);
    const signedIn = await postAuthorize(o, first.jar, first.ip, {
      csrf_token: first.csrf,
      email: user.email,
      password: DEMO_PASSWORD,
      consent: "approve",
    });
    expect(signedIn.status).toBe(200);
    const invitationsPage = await signedIn.text();
    expect(invitationsPage).toContain("Invitations");
    expect(invitationsPage).toContain(`value="accept:${C.tenantId}"`);
    expect(invitationsPage).toContain(TEST_TENANTS.c.name);
    expect(invitationsPage).not.toContain('value="approve"');

    // Later: the consent lists only tenant a; asking for c anyway is refused.
    const later = await postAuthorize(o, first.jar, first.ip, {
      csrf_token: first.csrf,
      invitations: "later",
    });
    const laterPage = await later.text();
    expect(later.status).toBe(200);
    expect(laterPage).toContain("Allow access?");
    expect(laterPage).not.toContain(C.tenantId);
    const sneaky = await postAuthorize(o, first.jar, first.ip, {
      csrf_token: first.csrf,
      invitations: "later",
      consent: "approve",
      tenant: C.tenantId,
    });
    expect(sneaky.status).toBe(400);

    // Accept: now both businesses are offered (a select), and c can be chosen.
    const accepted = await postAuthorize(o, first.jar, first.ip, {
      csrf_token: first.csrf,
      invitation: `accept:${C.tenantId}`,
    });
    const consentPage = await accepted.text();
    expect(accepted.status).toBe(200);
    expect(consentPage).toContain('<select id="tenant" name="tenant"');
    expect(consentPage).toContain(`value="${C.tenantId}"`);
    expect(consentPage).toContain(`value="${TEST_TENANTS.a.tenantId}"`);
    const approved = await postAuthorize(o, first.jar, first.ip, {
      csrf_token: first.csrf,
      consent: "approve",
      tenant: C.tenantId,
    });
    expect(approved.status).toBe(303);
    const code = new URL(approved.headers.get("Location") ?? "").searchParams.get("code") ?? "";
    const tokens = (await (await exchangeCode(code, verifier)).json()) as { access_token: string };
    expect(jwtPayload(tokens.access_token)).toMatchObject({ tenant_id: C.tenantId, role: "Viewer" });

    // Accepted: the tenant now sees the account's own name; the acceptance is audited there.
    expect((await iam(`/members/${user.id}`)).body.data).toMatchObject({ status: "active", name: realName });
    const audit = await iam("/audit?action=iam.invitation_accepted&limit=200");
    expect((audit.body.data as { actor_id: string }[]).some((e) => e.actor_id === user.id)).toBe(true);
    await iam(`/members/${user.id}`, { method: "DELETE" });

    // Invited again and declined: the invitation is gone, audited, and the flow goes on.
    expect(
      (await iam("/members", { method: "POST", json: { email: user.email, role: "Viewer" } })).res.status,
    ).toBe(201);
    const again = await openSignIn({ challenge, jar: first.jar, ip: first.ip });
    expect(again.html).toContain(`value="decline:${C.tenantId}"`);
    const declined = await postAuthorize(o, again.jar, first.ip, {
      csrf_token: again.csrf,
      invitation: `decline:${C.tenantId}`,
    });
    expect(declined.status).toBe(200);
    expect(await declined.text()).toContain("Allow access?");
    expect((await iam(`/members/${user.id}`)).res.status).toBe(404);
    const declines = await iam("/audit?action=iam.invitation_declined&limit=200");
    expect((declines.body.data as { actor_id: string }[]).some((e) => e.actor_id === user.id)).toBe(true);
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
