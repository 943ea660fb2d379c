import { sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { iam, unique } from "./iam-helpers";
import { asTenant } from "./oauth-helpers";
import { IDP_PASSWORD, signedInClaims, ssoSignIn, tenantOf, verifiedDomain } from "./sso-helpers";

// SAML 2.0 through the region's SAML bridge (regions/saml-bridge): the local SAML IdP
// (regions/saml-idp) signs a real assertion, the bridge verifies it and answers the Worker as an
// OpenID issuer, and the Worker's OIDC flow (openid-client in workerd) makes the member JIT.
const tenant = tenantOf("c");
const saml = () => inject("saml");

interface SamlConnectionView {
  id: string;
  protocol: string;
  issuer: string;
  has_client_secret: boolean;
  saml: { idp_entity_id: string; sp_entity_id: string; acs_url: string; metadata_url: string };
}

async function samlConnection(json: Record<string, unknown> = {}) {
  const res = await iam("/sso/connections", {
    method: "POST",
    json: {
      protocol: "saml",
      name: "Globex (SAML)",
      saml: {
        idp_entity_id: saml().idpEntityId,
        idp_sso_url: saml().idpSsoUrl,
        idp_certificates: [saml().idpCertificate],
      },
      ...json,
    },
    tenant: "c",
  });
  if (res.res.status !== 201) throw new Error(`saml connection failed: ${JSON.stringify(res.body)}`);
  return res.body.data as SamlConnectionView;
}

async function samlUser(user: { sub: string; email: string; groups?: string[] }) {
  const res = await fetch(`${saml().idpUrl}/__control/user`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: user.email.split("@")[0], groups: [], password: IDP_PASSWORD, ...user }),
  });
  if (res.status !== 200) throw new Error(`saml idp user failed: ${res.status}`);
}

describe("SAML connections", () => {
  it("registers the IdP at the bridge: an issuer of its own, SP metadata that asks for signed assertions", async () => {
    const created = await samlConnection();
    expect(created.protocol).toBe("saml");
    expect(created.issuer).toBe(`${saml().bridgeUrl}/c/${created.id}`);
    expect(created.has_client_secret).toBe(true);
    expect(created.saml.idp_entity_id).toBe(saml().idpEntityId);
    expect(created.saml.acs_url).toBe(`${created.issuer}/saml/acs`);

    const metadata = await (await fetch(created.saml.metadata_url)).text();
    expect(metadata).toContain(`entityID="${created.saml.sp_entity_id}"`);
    expect(metadata).toContain(`Location="${created.saml.acs_url}"`);
    expect(metadata).toContain('WantAssertionsSigned="true"');

    const listed = await iam(`/sso/connections/${created.id}`, { tenant: "c" });
    expect((listed.body.data as SamlConnectionView).saml.sp_entity_id).toBe(created.saml.sp_entity_id);

    // Deleted: the bridge forgets it, so its issuer and metadata are gone too.
    expect((await iam(`/sso/connections/${created.id}`, { method: "DELETE", tenant: "c" })).res.status).toBe(
      204,
    );
    expect((await fetch(created.saml.metadata_url)).status).toBe(404);
  });

  it("refuses a certificate that is not one, naming the field; and OIDC-only fields on a SAML connection", async () => {
    const res = await iam("/sso/connections", {
      method: "POST",
      json: {
        protocol: "saml",
        name: "Broken",
        saml: { idp_entity_id: "x", idp_sso_url: saml().idpSsoUrl, idp_certificates: ["A".repeat(200)] },
      },
      tenant: "c",
    });
    expect(res.res.status).toBe(400);
    expect(JSON.stringify(res.body.errors)).toContain("saml.idp_certificates.0");

    const created = await samlConnection();
    const patched = await iam(`/sso/connections/${created.id}`, {
      method: "PATCH",
      json: { client_id: "other" },
      tenant: "c",
    });
    expect(patched.res.status).toBe(400);
    await iam(`/sso/connections/${created.id}`, { method: "DELETE", tenant: "c" });
  });

  it("signs a person in end to end: IdP → bridge → Worker OIDC → member just in time with the mapped role", async () => {
    const { domain } = await verifiedDomain();
    const connection = await samlConnection({
      domains: [domain],
      group_roles: [{ group: "nexus-admins", role: "Admin" }],
      default_role: "Member",
    });
    const sub = unique("globex");
    const email = `hank@${domain}`;
    await samlUser({ sub, email, groups: ["nexus-admins"] });

    const flow = await ssoSignIn(email);
    expect(flow.started.headers.get("Refresh")).toContain(`0;url=${connection.issuer}/authorize?`);
    expect(flow.callback?.status).toBe(200);
    const claims = await signedInClaims(flow);
    expect(claims.tenant_id).toBe(tenant.tenantId);
    expect(claims.role).toBe("Admin");

    // Keyed by the connection and the NameID, never by the address.
    const [identities = []] = await asTenant(
      tenant.tenantId,
      sql`select email from sso_identities where connection_id = ${connection.id} and subject = ${sub}`,
    );
    expect(identities).toEqual([{ email }]);
    await iam(`/sso/connections/${connection.id}`, { method: "DELETE", tenant: "c" });
  });

  it("refuses an assertion changed on its way through the browser, and signs no one in", async () => {
    const { domain } = await verifiedDomain();
    const connection = await samlConnection({ domains: [domain] });
    await samlUser({ sub: unique("globex"), email: `homer@${domain}` });
    const raise = (b64: string) =>
      Buffer.from(
        Buffer.from(b64, "base64").toString("utf8").replace(`homer@${domain}`, `hank@${domain}`),
      ).toString("base64");
    await expect(
      ssoSignIn(`homer@${domain}`, {}, `homer@${domain}`, { samlResponse: raise }),
    ).rejects.toThrow(/IdP answered 403/);
    const [identities = []] = await asTenant(
      tenant.tenantId,
      sql`select 1 from sso_identities where connection_id = ${connection.id}`,
    );
    expect(identities).toEqual([]);
    await iam(`/sso/connections/${connection.id}`, { method: "DELETE", tenant: "c" });
  });
});
