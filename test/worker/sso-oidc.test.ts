import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { tokenFor } from "./helpers";
import { iam, unique } from "./iam-helpers";
import { asTenant, fetchWorker, rows } from "./oauth-helpers";
import {
  approve,
  connection,
  idpIssuer,
  idpUser,
  signedInClaims,
  ssoSignIn,
  tenantOf,
  verifiedDomain,
} from "./sso-helpers";

// Enterprise sign-in through a real OpenID provider (regions/oidc-idp: panva's oidc-provider),
// with the Worker as relying party through openid-client inside workerd.
const tenant = tenantOf("c");

async function memberRole(userId: string): Promise<string | undefined> {
  const [found = []] = await asTenant(
    tenant.tenantId,
    sql`select r.name from memberships m join roles r on r.id = m.role_id
        where m.tenant_id = ${tenant.tenantId} and m.user_id = ${userId} and not m.is_deleted and m.status = 'active'`,
  );
  return (found[0] as { name: string } | undefined)?.name;
}

async function usersWithEmail(email: string) {
  return rows<{ id: string }>(
    sql`select id from users where lower(email) = lower(${email}) and not is_deleted`,
  );
}

describe("OIDC sign-in through the company's IdP", () => {
  it("creates the member just in time with the role its group maps to, and a code for that tenant", async () => {
    const { domain } = await verifiedDomain();
    await connection({
      domains: [domain],
      group_roles: [{ group: "nexus-admins", role: "Admin" }],
      default_role: "Member",
    });
    const email = `ada@${domain}`;
    await idpUser({ sub: unique("sub"), email, name: "Ada", groups: ["nexus-admins"] });

    const flow = await ssoSignIn(email);
    expect(flow.started.status).toBe(200);
    const refresh = flow.started.headers.get("Refresh") ?? "";
    expect(refresh).toContain(`0;url=${idpIssuer()}/auth?`);
    const location = new URL(refresh.slice("0;url=".length));
    expect(location.searchParams.get("code_challenge_method")).toBe("S256");
    expect(location.searchParams.get("state")).toBeTruthy();
    expect(location.searchParams.get("nonce")).toBeTruthy();
    expect(flow.callback?.status).toBe(200);
    expect(flow.html).toContain("sso_ticket");

    const claims = await signedInClaims(flow);
    expect(claims.tenant_id).toBe(tenant.tenantId);
    expect(claims.role).toBe("Admin");
    const [user] = await usersWithEmail(email);
    expect(user && (await memberRole(user.id))).toBe("Admin");
  });

  it("finds the person by subject on the next sign-in, even after their address changed at the IdP", async () => {
    const { domain } = await verifiedDomain();
    await connection({ domains: [domain] });
    const sub = unique("sub");
    await idpUser({ sub, email: `grace@${domain}`, groups: [] });
    const first = await ssoSignIn(`grace@${domain}`);
    expect((await approve(first)).code).toBeTruthy();
    const [user] = await usersWithEmail(`grace@${domain}`);
    if (!user) throw new Error("no user");

    await idpUser({ sub, email: `grace.hopper@${domain}` });
    const second = await ssoSignIn(`grace.hopper@${domain}`);
    expect(second.callback?.status).toBe(200);
    expect((await approve(second)).code).toBeTruthy();
    expect(await usersWithEmail(`grace.hopper@${domain}`)).toEqual([]);
    const [identities = []] = await asTenant(
      tenant.tenantId,
      sql`select user_id, email from sso_identities where subject = ${sub}`,
    );
    expect(identities).toEqual([{ user_id: user.id, email: `grace.hopper@${domain}` }]);
    expect(await memberRole(user.id)).toBe("Member");
  });

  it("refuses an address on a domain the tenant has not verified, or outside the connection's domains", async () => {
    const { domain } = await verifiedDomain();
    const unverified = `${unique("unverified")}.example`;
    const outside = `${unique("outside")}.example`;
    await connection({ domains: [domain, unverified] });

    // Routing: an unverified domain is not sent to any IdP.
    const routed = await ssoSignIn(`someone@${unverified}`);
    expect(routed.started.status).toBe(200);
    expect(await routed.started.text()).toContain("Single sign-on is not set up");

    // At the IdP, people sign in as someone else than the address they typed here.
    const bySub = unique("sub");
    await idpUser({ sub: bySub, email: `mallory@${unverified}` });
    const unverifiedFlow = await ssoSignIn(`x@${domain}`, {}, `mallory@${unverified}`);
    expect(unverifiedFlow.callback?.status).toBe(403);
    expect(await usersWithEmail(`mallory@${unverified}`)).toEqual([]);

    await idpUser({ sub: unique("sub"), email: `eve@${outside}` });
    const outsideFlow = await ssoSignIn(`y@${domain}`, {}, `eve@${outside}`);
    expect(outsideFlow.callback?.status).toBe(403);
    expect(await usersWithEmail(`eve@${outside}`)).toEqual([]);

    // The same words either way: nothing tells why, or whether an account exists.
    const words = (html: string | undefined) => /role="alert"[^>]*>([^<]*)</.exec(html ?? "")?.[1];
    expect(words(unverifiedFlow.html)).toBe(words(outsideFlow.html));
  });

  it("refuses a replayed callback: the flow cookie is one use", async () => {
    const { domain } = await verifiedDomain();
    await connection({ domains: [domain] });
    await idpUser({ sub: unique("sub"), email: `replay@${domain}` });
    const flow = await ssoSignIn(`replay@${domain}`);
    expect(flow.callback?.status).toBe(200);
    const again = await fetchWorker(flow.back ?? "", { headers: { Cookie: flow.jar.header() } });
    expect(again.status).toBe(400);
  });

  it("shows a chooser when the domain has several connections", async () => {
    const { domain } = await verifiedDomain();
    await connection({ name: "Okta", domains: [domain] });
    await connection({ name: "Backup IdP", issuer: "https://idp.backup.example", domains: [domain] });
    const flow = await ssoSignIn(`chooser@${domain}`);
    expect(flow.started.status).toBe(200);
    const html = await flow.started.text();
    expect(html).toContain('name="sso_connection"');
    expect(html).toContain("Okta");
    expect(html).toContain("Backup IdP");
  });

  it("routes an address without a password to single sign-on (identifier first)", async () => {
    const { domain } = await verifiedDomain();
    await connection({ domains: [domain] });
    await idpUser({ sub: unique("sub"), email: `first@${domain}` });
    const flow = await ssoSignIn(`first@${domain}`, { sso: "" });
    expect(flow.started.headers.get("Refresh")).toContain(idpIssuer());
    expect(flow.callback?.status).toBe(200);
  });
});

describe("SSO connections and domains API", () => {
  it("never shows the client secret, and refuses Entra's shared issuers and free-mail domains by field", async () => {
    const created = await connection({ domains: [] });
    const read = await iam(`/sso/connections/${created.id}`);
    expect(JSON.stringify(read.body)).not.toContain("nexus-test-secret");
    expect((read.body.data as { has_client_secret: boolean }).has_client_secret).toBe(true);
    expect((read.body.data as { redirect_uri: string }).redirect_uri).toBe(
      "http://127.0.0.1:8787/oauth/sso/callback",
    );

    const entra = await iam("/sso/connections", {
      method: "POST",
      json: { name: "Entra", issuer: "https://login.microsoftonline.com/common/v2.0", client_id: "x" },
    });
    expect(entra.res.status).toBe(400);
    expect(entra.body.errors?.[0]?.field).toBe("issuer");

    const gmail = await iam("/sso/domains", { method: "POST", json: { domain: "gmail.com" } });
    expect(gmail.res.status).toBe(400);
    expect(gmail.body.errors?.[0]?.field).toBe("domain");

    const owner = await iam("/sso/connections", {
      method: "POST",
      json: { name: "x", issuer: "https://owner.example", client_id: "x", default_role: "Owner" },
    });
    expect(owner.res.status).toBe(400);
  });

  it("answers 404 for another tenant's connection and 403 to a Member", async () => {
    const created = await connection({ issuer: `https://${unique("iss")}.example` });
    const other = await iam(`/sso/connections/${created.id}`, { tenant: "a" });
    expect(other.res.status).toBe(404);
    for (const role of ["Member", "Manager"]) {
      const token = await tokenFor({ tenant: "c", role });
      expect((await iam("/sso/connections", { token })).res.status).toBe(403);
      expect(
        (await iam("/sso/domains", { method: "POST", json: { domain: "x.example" }, token })).res.status,
      ).toBe(403);
    }
    const patched = await iam(`/sso/connections/${created.id}`, {
      method: "PATCH",
      json: { enabled: false },
    });
    expect((patched.body.data as { enabled: boolean }).enabled).toBe(false);
    const removed = await iam(`/sso/connections/${created.id}`, { method: "DELETE" });
    expect(removed.res.status).toBe(204);
    expect((await iam(`/sso/connections/${created.id}`)).res.status).toBe(404);
  });

  it("verifies a domain only when its TXT record is published, and for one tenant only", async () => {
    const domain = `${unique("dns")}.example`;
    const added = await iam("/sso/domains", { method: "POST", json: { domain } });
    const id = (added.body.data as { id: string }).id;
    const early = await iam(`/sso/domains/${id}/verify`, { method: "POST" });
    expect(early.res.status).toBe(409);
    await verifiedDomain("c", `sub.${domain}`);
    const theirs = await verifiedDomain("a");
    const claim = await iam("/sso/domains", { method: "POST", json: { domain: theirs.domain } });
    const claimId = (claim.body.data as { id: string }).id;
    const { publishTxt } = await import("./sso-helpers");
    await publishTxt(`_nexus-verification.${theirs.domain}`, [
      (claim.body.data as { verification: { record_value: string } }).verification.record_value,
    ]);
    const stolen = await iam(`/sso/domains/${claimId}/verify`, { method: "POST" });
    expect(stolen.res.status).toBe(409);
  });
});
