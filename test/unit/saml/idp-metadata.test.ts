import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveIdp } from "../../../regions/saml-bridge/connections";
import { readIdpMetadata } from "../../../regions/saml-bridge/idp-metadata";
import { type SamlBridgeServer, startSamlBridge } from "../../../regions/saml-bridge/server";
import { memoryStore } from "../../../regions/saml-bridge/store";
import { generateSigningKey } from "../../../regions/saml-idp/signing-key";
import {
  base64Of,
  ENTRA_ENTITY_ID,
  ENTRA_SSO_URL,
  entities,
  entraCurrent,
  entraMetadata,
  entraNext,
  expiredCertificatePem,
  OKTA_ENTITY_ID,
  OKTA_SSO_URL,
  oktaKey,
  oktaKeyDescriptor,
  oktaMetadata,
} from "./metadata-fixtures";

// The bridge reads the IdP from its metadata (the Worker never parses XML): entity id, the
// HTTP-Redirect SingleSignOnService, the signing certificates; strictly, and in words an
// administrator can act on when it cannot.
const problemOf = (xml: string) => {
  const read = readIdpMetadata(xml);
  if (!("problem" in read)) throw new Error(`read: ${JSON.stringify(read)}`);
  return read.problem;
};

describe("reading an IdP's metadata", () => {
  it("reads Entra ID's federation metadata: past its signature and WS-Fed RoleDescriptors, both rollover certificates", () => {
    const other = generateSigningKey("WS-Fed only");
    const read = readIdpMetadata(entraMetadata({ roleCertificates: [other.certificatePem] }));
    expect(read).toEqual({
      entityId: ENTRA_ENTITY_ID,
      ssoUrl: ENTRA_SSO_URL,
      certificates: [base64Of(entraCurrent.certificatePem), base64Of(entraNext.certificatePem)],
    });
  });

  it("reads Okta's metadata: the Redirect binding among POST, a certificate wrapped over lines", () => {
    expect(readIdpMetadata(oktaMetadata())).toEqual({
      entityId: OKTA_ENTITY_ID,
      ssoUrl: OKTA_SSO_URL,
      certificates: [base64Of(oktaKey.certificatePem)],
    });
  });

  it("takes keys without a use attribute, skips encryption keys, and takes a certificate listed twice once", () => {
    const encryption = generateSigningKey("encryption");
    const keys =
      oktaKeyDescriptor(encryption.certificatePem, "encryption") +
      oktaKeyDescriptor(oktaKey.certificatePem, null) +
      oktaKeyDescriptor(oktaKey.certificatePem, "signing");
    const read = readIdpMetadata(oktaMetadata({ keys }));
    expect(read).toMatchObject({ certificates: [base64Of(oktaKey.certificatePem)] });
  });

  it("refuses metadata without an HTTP-Redirect SingleSignOnService, saying the bridge needs it", () => {
    expect(problemOf(oktaMetadata({ bindings: ["HTTP-POST"] }))).toMatch(
      /HTTP-Redirect binding, which the bridge needs/,
    );
  });

  it("refuses metadata without a signing key (only an encryption key)", () => {
    const keys = oktaKeyDescriptor(oktaKey.certificatePem, "encryption");
    expect(problemOf(oktaMetadata({ keys }))).toMatch(/no signing certificate/);
    expect(problemOf(oktaMetadata({ keys: "" }))).toMatch(/no signing certificate/);
  });

  it("takes the one IdP of an EntitiesDescriptor, and asks for one when it holds two", () => {
    const sp =
      `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example">` +
      `<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>`;
    expect(readIdpMetadata(entities(sp, oktaMetadata()))).toMatchObject({ entityId: OKTA_ENTITY_ID });
    expect(problemOf(entities(entraMetadata(), oktaMetadata()))).toMatch(
      /2 identity providers: paste the EntityDescriptor of the one to use/,
    );
  });

  it("refuses a DTD (entities), malformed XML, and documents that are not metadata", () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE md [<!ENTITY lol "lol">]>${oktaMetadata()
      .replace(/^<\?xml[^>]*\?>/, "")
      .replace("acme.okta.com", "&lol;.okta.com")}`;
    expect(problemOf(laughs)).toMatch(/must not have a DTD/);
    expect(problemOf(oktaMetadata().replace("</md:IDPSSODescriptor>", ""))).toMatch(/not well-formed XML/);
    expect(problemOf("<html><body>Sign in</body></html>")).toMatch(/expected an EntityDescriptor/);
    expect(problemOf(entraMetadata({ idpDescriptor: false }))).toMatch(/no SAML 2.0 identity provider/);
  });
});

describe("a registration from metadata", () => {
  const tenant_id = randomUUID();
  const redirect_uris = ["https://eu.nexus.test/oauth/sso/callback"];

  it("checks every certificate it read: an expired one is refused, naming the metadata", () => {
    const expired = expiredCertificatePem();
    const resolved = resolveIdp(
      {
        tenant_id,
        redirect_uris,
        idp_metadata: entraMetadata({ certificates: [entraCurrent.certificatePem, expired] }),
      },
      false,
    );
    expect(resolved).toEqual({
      issues: [
        {
          field: "idp_metadata",
          message: "Signing certificate 2 of the metadata: The certificate has expired",
        },
      ],
    });
  });

  it("refuses an entityID with a lone surrogate (xmldom reads it; jsonb would not store it)", () => {
    const resolved = resolveIdp(
      { tenant_id, redirect_uris, idp_metadata: oktaMetadata({ entityId: "http://www.okta.com/\ud800" }) },
      false,
    );
    expect(resolved).toEqual({
      issues: [{ field: "idp_metadata", message: "The entityID must be at most 1024 printable characters" }],
    });
  });

  it("refuses an http SingleSignOnService outside loopback", () => {
    const resolved = resolveIdp(
      { tenant_id, redirect_uris, idp_metadata: oktaMetadata({ ssoUrl: "http://acme.okta.com/sso" }) },
      false,
    );
    expect(resolved).toEqual({
      issues: [{ field: "idp_metadata", message: expect.stringMatching(/Must be an https URL/) }],
    });
  });

  describe("at the bridge's admin API", () => {
    let bridge: SamlBridgeServer;
    const token = `admin-${randomUUID()}`;
    beforeAll(async () => {
      bridge = await startSamlBridge({ adminToken: token, store: memoryStore() });
    });
    afterAll(() => bridge?.close());

    const put = (body: Record<string, unknown>, id = randomUUID()) =>
      fetch(`${bridge.url}/admin/connections/${id}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ tenant_id, redirect_uris, ...body }),
      });

    it("registers from Entra's metadata and answers what it read", async () => {
      const res = await put({ idp_metadata: entraMetadata() });
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.idp).toEqual({ entity_id: ENTRA_ENTITY_ID, sso_url: ENTRA_SSO_URL, certificate_count: 2 });
      expect(body.client_secret).toEqual(expect.any(String));
    });

    it("refuses metadata with the fields, and neither, naming idp_metadata", async () => {
      const both = await put({ idp_metadata: oktaMetadata(), idp_entity_id: OKTA_ENTITY_ID });
      expect(both.status).toBe(400);
      expect(await both.json()).toEqual({
        error: "invalid_request",
        issues: [
          { field: "idp_metadata", message: expect.stringMatching(/not both \(also given: idp_entity_id\)/) },
        ],
      });
      const neither = await put({});
      expect(neither.status).toBe(400);
      expect(JSON.stringify(await neither.json())).toContain('"field":"idp_metadata"');
      const some = await put({ idp_entity_id: OKTA_ENTITY_ID });
      expect(((await some.json()) as { issues: { field: string }[] }).issues.map((i) => i.field)).toEqual([
        "idp_sso_url",
        "idp_certificates",
      ]);
    });

    it("refuses metadata it cannot use with the reason, and takes 256 KiB of it", async () => {
      const refused = await put({ idp_metadata: oktaMetadata({ bindings: ["HTTP-POST"] }) });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await refused.json())).toContain("HTTP-Redirect");
      // Padding as a large aggregate would have (whitespace between elements), under the limit.
      const padded = oktaMetadata().replace(
        "<md:NameIDFormat>",
        `${" ".repeat(250 * 1024)}<md:NameIDFormat>`,
      );
      expect((await put({ idp_metadata: padded })).status).toBe(201);
      const over = oktaMetadata().replace("<md:NameIDFormat>", `${" ".repeat(257 * 1024)}<md:NameIDFormat>`);
      expect((await put({ idp_metadata: over })).status).toBe(400);
    });
  });
});
