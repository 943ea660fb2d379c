import { describe, expect, inject, it } from "vitest";
import type { Envelope } from "./helpers";
import { iam, unique } from "./iam-helpers";
import { IDP_PASSWORD, signedInClaims, ssoSignIn, tenantOf, verifiedDomain } from "./sso-helpers";

// A SAML connection made (and rolled) from the IdP's metadata XML: the Worker hands the document
// to the region's SAML bridge, which reads the entity id, SSO URL and certificates from it (the
// Worker never parses XML) and answers what it read; then a person signs in through it.
const tenant = tenantOf("c");
const saml = () => inject("saml");

interface SamlConnectionView {
  id: string;
  issuer: string;
  saml: { idp_entity_id: string; idp_sso_url: string; sp_entity_id: string };
}

const idpMetadata = async () => {
  const res = await fetch(`${saml().idpUrl}/metadata`);
  if (res.status !== 200) throw new Error(`idp metadata: ${res.status}`);
  return res.text();
};

const create = (json: Record<string, unknown>) =>
  iam("/sso/connections", {
    method: "POST",
    json: { protocol: "saml", name: "Globex (metadata)", ...json },
    tenant: "c",
  });

const fieldsOf = (body: Envelope) => body.errors ?? [];

describe("SAML connections from the IdP's metadata", () => {
  it("creates the connection from the metadata, shows what the bridge read, and signs a person in", async () => {
    const { domain } = await verifiedDomain();
    const created = await create({
      saml: { idp_metadata: await idpMetadata() },
      domains: [domain],
      group_roles: [{ group: "globex-admins", role: "Admin" }],
    });
    expect(created.res.status).toBe(201);
    const connection = created.body.data as SamlConnectionView;
    expect(connection.saml.idp_entity_id).toBe(saml().idpEntityId);
    expect(connection.saml.idp_sso_url).toBe(saml().idpSsoUrl);
    expect(connection.issuer).toBe(`${saml().bridgeUrl}/c/${connection.id}`);

    const sub = unique("globex-md");
    const email = `marge@${domain}`;
    const user = await fetch(`${saml().idpUrl}/__control/user`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub, email, name: "Marge", groups: ["globex-admins"], password: IDP_PASSWORD }),
    });
    expect(user.status).toBe(200);
    const flow = await ssoSignIn(email);
    expect(flow.started.headers.get("Refresh")).toContain(`0;url=${connection.issuer}/authorize?`);
    expect(flow.callback?.status).toBe(200);
    const claims = await signedInClaims(flow);
    expect(claims.tenant_id).toBe(tenant.tenantId);
    expect(claims.role).toBe("Admin");

    // A rollover from the metadata again: registered anew (a new secret), and sign-in goes on.
    const rolled = await iam(`/sso/connections/${connection.id}`, {
      method: "PATCH",
      json: { saml: { idp_metadata: await idpMetadata() } },
      tenant: "c",
    });
    expect(rolled.res.status).toBe(200);
    expect((rolled.body.data as SamlConnectionView).saml.idp_entity_id).toBe(saml().idpEntityId);
    const again = await ssoSignIn(email);
    expect(again.callback?.status).toBe(200);
    expect((await signedInClaims(again)).role).toBe("Admin");
    await iam(`/sso/connections/${connection.id}`, { method: "DELETE", tenant: "c" });
  });

  it("asks for the metadata or the three fields, never both, naming saml.idp_metadata", async () => {
    const metadata = await idpMetadata();
    const both = await create({ saml: { idp_metadata: metadata, idp_entity_id: saml().idpEntityId } });
    expect(both.res.status).toBe(400);
    expect(fieldsOf(both.body)).toEqual([
      { code: "VALIDATION_ERROR", field: "saml.idp_metadata", message: expect.stringMatching(/not both/) },
    ]);
    const neither = await create({ saml: {} });
    expect(neither.res.status).toBe(400);
    expect(fieldsOf(neither.body).map((e) => e.field)).toEqual(["saml.idp_metadata"]);
    const partial = await create({ saml: { idp_entity_id: saml().idpEntityId } });
    expect(fieldsOf(partial.body).map((e) => e.field)).toEqual(["saml.idp_sso_url", "saml.idp_certificates"]);
    const huge = await create({ saml: { idp_metadata: `${metadata}${" ".repeat(256 * 1024)}` } });
    expect(fieldsOf(huge.body).map((e) => e.field)).toEqual(["saml.idp_metadata"]);

    const created = await create({ saml: { idp_metadata: metadata } });
    const id = (created.body.data as SamlConnectionView).id;
    const patched = await iam(`/sso/connections/${id}`, {
      method: "PATCH",
      json: { saml: { idp_metadata: metadata, idp_certificates: [saml().idpCertificate] } },
      tenant: "c",
    });
    expect(patched.res.status).toBe(400);
    expect(fieldsOf(patched.body).map((e) => e.field)).toEqual(["saml.idp_metadata"]);
    await iam(`/sso/connections/${id}`, { method: "DELETE", tenant: "c" });
  });

  it("passes on the bridge's reason when it cannot use the metadata, under saml.idp_metadata", async () => {
    const postOnly = (await idpMetadata()).replace(
      "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
      "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
    );
    const refused = await create({ saml: { idp_metadata: postOnly } });
    expect(refused.res.status).toBe(400);
    expect(fieldsOf(refused.body)).toEqual([
      {
        code: "VALIDATION_ERROR",
        field: "saml.idp_metadata",
        message: expect.stringMatching(/HTTP-Redirect/),
      },
    ]);
    const dtd = await create({ saml: { idp_metadata: `<!DOCTYPE x [<!ENTITY a "b">]>${postOnly}` } });
    expect(fieldsOf(dtd.body)).toEqual([
      { code: "VALIDATION_ERROR", field: "saml.idp_metadata", message: expect.stringMatching(/DTD/) },
    ]);
  });
});
