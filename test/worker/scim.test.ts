import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { iam, unique } from "./iam-helpers";
import { asTenant, exchangeCode, fetchWorker, refresh } from "./oauth-helpers";
import { approve, connection, idpUser, ssoSignIn, tenantOf, verifiedDomain } from "./sso-helpers";

// SCIM 2.0 at /scim/v2 with requests shaped as Okta and Microsoft Entra send them.
const tenant = tenantOf("c");
const SCIM = "application/scim+json";
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let domain = "";
let token = "";
let connectionId = "";

async function scim(path: string, init: { method?: string; json?: unknown; bearer?: string } = {}) {
  const res = await fetchWorker(`/scim/v2${path}`, {
    method: init.method ?? "GET",
    headers: {
      Authorization: `Bearer ${init.bearer ?? token}`,
      ...(init.json === undefined ? {} : { "Content-Type": SCIM }),
    },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const text = await res.text();
  return { res, body: (text ? JSON.parse(text) : null) as Record<string, unknown> & { id?: string } };
}

async function membership(email: string) {
  const [found = []] = await asTenant(
    tenant.tenantId,
    sql`select m.status, r.name as role, u.id as user_id from memberships m join roles r on r.id = m.role_id
        join users u on u.id = m.user_id
        where m.tenant_id = ${tenant.tenantId} and lower(u.email) = lower(${email}) and not m.is_deleted`,
  );
  return found[0] as { status: string; role: string; user_id: string } | undefined;
}

const oktaUser = (email: string, externalId: string) => ({
  schemas: [USER],
  userName: email,
  name: { givenName: "Okta", familyName: "Person" },
  emails: [{ primary: true, value: email, type: "work" }],
  displayName: "Okta Person",
  locale: "en-US",
  externalId,
  groups: [],
  password: "ignored-by-us",
  active: true,
});

const entraUser = (email: string) => ({
  schemas: [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
  externalId: email.split("@")[0],
  userName: email,
  active: true,
  addresses: [{ primary: false, type: "work", formatted: "1 Main St" }],
  displayName: "Entra Person",
  emails: [{ primary: true, type: "work", value: email }],
  meta: { resourceType: "User" },
  name: { formatted: "Entra Person", familyName: "Person", givenName: "Entra" },
  roles: [],
});

beforeAll(async () => {
  ({ domain } = await verifiedDomain());
  const created = await connection({
    domains: [domain],
    group_roles: [{ group: "Nexus Admins", role: "Admin" }],
    default_role: "Member",
  });
  connectionId = created.id;
  const minted = await iam(`/sso/connections/${connectionId}/scim-token`, { method: "POST" });
  token = (minted.body.data as { token: string }).token;
});

describe("SCIM with Okta's requests", () => {
  it("creates, finds by filter, maps a group to a role, links the first sign-in, and deactivates", async () => {
    const email = `okta.${unique("p")}@${domain}`;
    const externalId = unique("00u");
    const none = await scim(
      `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`,
    );
    expect(none.res.status).toBe(200);
    expect(none.body.totalResults).toBe(0);

    const created = await scim("/Users", { method: "POST", json: oktaUser(email, externalId) });
    expect(created.res.status).toBe(201);
    expect(created.res.headers.get("Content-Type")).toContain(SCIM);
    expect(created.body).toMatchObject({ userName: email, externalId, active: true });
    const id = created.body.id ?? "";
    expect(await membership(email)).toMatchObject({ status: "active", role: "Member" });

    const found = await scim(`/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
    expect((found.body.Resources as { id: string }[]).map((r) => r.id)).toEqual([id]);

    const group = await scim("/Groups", {
      method: "POST",
      json: { schemas: [], displayName: "Nexus Admins", members: [] },
    });
    expect(group.res.status).toBe(201);
    const added = await scim(`/Groups/${group.body.id}`, {
      method: "PATCH",
      json: {
        schemas: [PATCH],
        Operations: [{ op: "add", path: "members", value: [{ value: id, display: email }] }],
      },
    });
    expect(added.res.status).toBe(200);
    expect(await membership(email)).toMatchObject({ role: "Admin" });

    // Okta's OIDC `sub` is the user's id, sent as externalId: the first sign-in links, never duplicates.
    await idpUser({ sub: externalId, email });
    const flow = await ssoSignIn(email);
    expect(flow.callback?.status).toBe(200);
    const { code } = await approve(flow);
    const tokens = (await (await exchangeCode(code ?? "", flow.verifier)).json()) as {
      refresh_token?: string;
    };
    const [identities = []] = await asTenant(
      tenant.tenantId,
      sql`select id, subject from sso_identities where connection_id = ${connectionId} and lower(email) = lower(${email})`,
    );
    expect(identities).toEqual([{ id, subject: externalId }]);

    const removed = await scim(`/Groups/${group.body.id}`, {
      method: "PATCH",
      json: { schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${id}"]` }] },
    });
    expect(removed.res.status).toBe(200);
    expect(await membership(email)).toMatchObject({ role: "Member" });

    const deactivated = await scim(`/Users/${id}`, {
      method: "PATCH",
      json: { schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] },
    });
    expect(deactivated.res.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect(await membership(email)).toMatchObject({ status: "suspended" });
    expect(tokens.refresh_token).toBeTruthy();
    expect((await refresh(tokens.refresh_token ?? "")).status).toBe(400);
    const [families = []] = await asTenant(
      tenant.tenantId,
      sql`select revoked_reason from refresh_families f join users u on u.id = f.user_id
          where f.tenant_id = ${tenant.tenantId} and lower(u.email) = lower(${email})`,
    );
    for (const f of families as { revoked_reason: string }[])
      expect(f.revoked_reason).toBe("scim_deactivated");

    // And a deactivated person's next sign-in is refused.
    const again = await ssoSignIn(email);
    expect(again.callback?.status).toBe(403);
  });
});

describe("SCIM with Entra's requests", () => {
  it("accepts capitalised ops, string booleans and member removal by value list", async () => {
    const email = `entra.${unique("p")}@${domain}`;
    const created = await scim("/Users?aadOptscim062020", { method: "POST", json: entraUser(email) });
    expect(created.res.status).toBe(201);
    const id = created.body.id ?? "";

    const byExternalId = await scim(
      `/Users?filter=${encodeURIComponent(`externalId eq "${email.split("@")[0]}"`)}`,
    );
    expect(byExternalId.body.totalResults).toBe(1);

    const group = await scim("/Groups", {
      method: "POST",
      json: { schemas: [], displayName: `Nexus Admins`, externalId: unique("g"), members: [{ value: id }] },
    });
    // A second "Nexus Admins" in the same connection is a uniqueness conflict (Okta's test made one).
    expect(group.res.status).toBe(409);
    expect(group.body.scimType).toBe("uniqueness");
    const list = await scim(
      `/Groups?filter=${encodeURIComponent('displayName eq "Nexus Admins"')}&excludedAttributes=members`,
    );
    const groupId = (list.body.Resources as { id: string; members?: unknown }[])[0]?.id ?? "";
    expect((list.body.Resources as { members?: unknown }[])[0]?.members).toBeUndefined();

    const add = await scim(`/Groups/${groupId}`, {
      method: "PATCH",
      json: { schemas: [PATCH], Operations: [{ op: "Add", path: "members", value: [{ value: id }] }] },
    });
    expect(add.res.status).toBe(200);
    expect(await membership(email)).toMatchObject({ role: "Admin" });

    const remove = await scim(`/Groups/${groupId}`, {
      method: "PATCH",
      json: { schemas: [PATCH], Operations: [{ op: "Remove", path: "members", value: [{ value: id }] }] },
    });
    expect(remove.res.status).toBe(200);
    expect((remove.body.members as { value: string }[]).map((m) => m.value)).not.toContain(id);
    expect(await membership(email)).toMatchObject({ role: "Member" });

    const off = await scim(`/Users/${id}`, {
      method: "PATCH",
      json: { schemas: [PATCH], Operations: [{ op: "Replace", path: "active", value: "False" }] },
    });
    expect(off.res.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(await membership(email)).toMatchObject({ status: "suspended" });

    const on = await scim(`/Users/${id}`, {
      method: "PATCH",
      json: { schemas: [PATCH], Operations: [{ op: "Replace", value: { active: "True" } }] },
    });
    expect(on.body.active).toBe(true);
    expect(await membership(email)).toMatchObject({ status: "active" });

    const gone = await scim(`/Users/${id}`, { method: "DELETE" });
    expect(gone.res.status).toBe(204);
    expect(await membership(email)).toBeUndefined();
    expect((await scim(`/Users/${id}`)).res.status).toBe(404);
  });
});

describe("SCIM boundaries", () => {
  it("refuses a missing or wrong token, addresses outside the verified domains, duplicates and bad filters", async () => {
    const anonymous = await fetchWorker("/scim/v2/Users");
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect((await scim("/Users", { bearer: "nxscim_wrong" })).res.status).toBe(401);

    const outside = await scim("/Users", {
      method: "POST",
      json: oktaUser(`x@${unique("other")}.example`, unique("00u")),
    });
    expect(outside.res.status).toBe(400);
    expect(outside.body.scimType).toBe("invalidValue");

    const email = `dup.${unique("p")}@${domain}`;
    expect((await scim("/Users", { method: "POST", json: oktaUser(email, unique("00u")) })).res.status).toBe(
      201,
    );
    const dup = await scim("/Users", { method: "POST", json: oktaUser(email, unique("00u")) });
    expect(dup.res.status).toBe(409);
    expect(dup.body.scimType).toBe("uniqueness");

    const bad = await scim(`/Users?filter=${encodeURIComponent("userName eq")}`);
    expect(bad.res.status).toBe(400);
    expect(bad.body.scimType).toBe("invalidFilter");

    // A new token replaces the old one at once.
    const old = token;
    const minted = await iam(`/sso/connections/${connectionId}/scim-token`, { method: "POST" });
    token = (minted.body.data as { token: string }).token;
    expect((await scim("/Users", { bearer: old })).res.status).toBe(401);
    expect((await scim("/ServiceProviderConfig")).body.patch).toEqual({ supported: true });
  });
});
