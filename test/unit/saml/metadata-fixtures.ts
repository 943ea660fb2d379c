import { randomBytes, randomUUID } from "node:crypto";
import forge from "node-forge";
import { generateSigningKey } from "../../../regions/saml-idp/signing-key";

/**
 * IdP metadata in the shapes Entra ID and Okta publish, around certificates made here (the
 * documents are shaped like the real ones; the keys, ids and signatures are invented).
 */
export const base64Of = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, "");

/** Wrapped at 64 columns, as some IdPs (and text editors) print the X509Certificate. */
const wrapped = (pem: string) => (base64Of(pem).match(/.{1,64}/g) ?? []).join("\n");

export const entraCurrent = generateSigningKey("Microsoft Azure Federated SSO Certificate");
export const entraNext = generateSigningKey("Microsoft Azure Federated SSO Certificate");
export const oktaKey = generateSigningKey("acme");

/** A certificate whose validity ended yesterday. */
export function expiredCertificatePem(): string {
  const keys = forge.pki.rsa.generateKeyPair(1024);
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = keys.publicKey;
  certificate.serialNumber = `0${randomBytes(8).toString("hex")}`;
  certificate.validity.notBefore = new Date(Date.now() - 400 * 24 * 3600_000);
  certificate.validity.notAfter = new Date(Date.now() - 24 * 3600_000);
  const name = [{ name: "commonName", value: "expired IdP" }];
  certificate.setSubject(name);
  certificate.setIssuer(name);
  certificate.sign(keys.privateKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(certificate);
}

export const ENTRA_TENANT = "4b1c6f2e-9a7d-4e5b-8c3f-1d2e3f4a5b6c";
export const ENTRA_ENTITY_ID = `https://sts.windows.net/${ENTRA_TENANT}/`;
export const ENTRA_SSO_URL = `https://login.microsoftonline.com/${ENTRA_TENANT}/saml2`;

const keyDescriptor = (pem: string, use: string | null = "signing") =>
  `<KeyDescriptor${use ? ` use="${use}"` : ""}><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>` +
  `<X509Certificate>${base64Of(pem)}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`;

/**
 * Entra ID's federation metadata (`…/federationmetadata/2007-06/federationmetadata.xml`): an
 * enveloped ds:Signature first, two WS-Federation RoleDescriptors (their own KeyDescriptors),
 * then the IDPSSODescriptor; during a rollover every descriptor lists both certificates.
 */
export function entraMetadata(
  options: { certificates?: string[]; roleCertificates?: string[]; idpDescriptor?: boolean } = {},
): string {
  const certificates = options.certificates ?? [entraCurrent.certificatePem, entraNext.certificatePem];
  const roleKeys = (options.roleCertificates ?? certificates).map((c) => keyDescriptor(c)).join("");
  const id = `_${randomUUID()}`;
  const claim = (uri: string, name: string, description: string) =>
    `<auth:ClaimType Uri="${uri}" xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706">` +
    `<auth:DisplayName>${name}</auth:DisplayName><auth:Description>${description}</auth:Description></auth:ClaimType>`;
  const endpoint = (tag: string, url: string) =>
    `<fed:${tag}><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing">` +
    `<wsa:Address>${url}</wsa:Address></wsa:EndpointReference></fed:${tag}>`;
  const wsfed = `https://login.microsoftonline.com/${ENTRA_TENANT}/wsfed`;
  return (
    `<?xml version="1.0" encoding="utf-8"?>` +
    `<EntityDescriptor ID="${id}" entityID="${ENTRA_ENTITY_ID}" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
    `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>` +
    `<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" />` +
    `<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" />` +
    `<Reference URI="#${id}"><Transforms>` +
    `<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature" />` +
    `<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#" /></Transforms>` +
    `<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256" />` +
    `<DigestValue>${randomBytes(32).toString("base64")}</DigestValue></Reference></SignedInfo>` +
    `<SignatureValue>${randomBytes(256).toString("base64")}</SignatureValue>` +
    `<KeyInfo><X509Data><X509Certificate>${base64Of(certificates[0] ?? "")}</X509Certificate></X509Data></KeyInfo>` +
    `</Signature>` +
    `<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" ` +
    `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` +
    roleKeys +
    `<fed:ClaimTypesOffered>` +
    claim(
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
      "Name",
      "The mutable display name of the user.",
    ) +
    claim(
      "http://schemas.microsoft.com/identity/claims/objectidentifier",
      "Object Identifier",
      "Primary identifier for the user in the directory. Immutable, globally unique, non-reusable.",
    ) +
    claim(
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
      "Email",
      "Email address of the user",
    ) +
    `</fed:ClaimTypesOffered>` +
    endpoint("SecurityTokenServiceEndpoint", wsfed) +
    endpoint("PassiveRequestorEndpoint", wsfed) +
    `</RoleDescriptor>` +
    `<RoleDescriptor xsi:type="fed:ApplicationServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" ` +
    `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">` +
    roleKeys +
    `<fed:TargetScopes><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing">` +
    `<wsa:Address>https://sts.windows.net/${ENTRA_TENANT}/</wsa:Address></wsa:EndpointReference></fed:TargetScopes>` +
    endpoint("ApplicationServiceEndpoint", wsfed) +
    endpoint("PassiveRequestorEndpoint", wsfed) +
    `</RoleDescriptor>` +
    (options.idpDescriptor === false
      ? ""
      : `<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
        certificates.map((c) => keyDescriptor(c)).join("") +
        `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ENTRA_SSO_URL}" />` +
        `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ENTRA_SSO_URL}" />` +
        `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ENTRA_SSO_URL}" />` +
        `</IDPSSODescriptor>`) +
    `</EntityDescriptor>`
  );
}

export const OKTA_APP = "exk1fcia6d6EMsf331d8";
export const OKTA_ENTITY_ID = `http://www.okta.com/${OKTA_APP}`;
export const OKTA_SSO_URL = `https://acme.okta.com/app/acme_nexus_1/${OKTA_APP}/sso/saml`;

/**
 * Okta's app metadata (`…/app/<app id>/sso/saml/metadata`): prefixed `md:`/`ds:`, one signing key,
 * POST and Redirect SingleSignOnServices. `bindings` picks which are offered; `keys` replaces the
 * KeyDescriptors.
 */
export function oktaMetadata(
  options: {
    entityId?: string;
    ssoUrl?: string;
    bindings?: ("HTTP-POST" | "HTTP-Redirect")[];
    keys?: string;
  } = {},
): string {
  const ssoUrl = options.ssoUrl ?? OKTA_SSO_URL;
  const keys =
    options.keys ??
    `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>` +
      `<ds:X509Certificate>${wrapped(oktaKey.certificatePem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${options.entityId ?? OKTA_ENTITY_ID}">` +
    `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    keys +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>` +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` +
    (options.bindings ?? ["HTTP-POST", "HTTP-Redirect"])
      .map(
        (b) =>
          `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${b}" Location="${ssoUrl}"/>`,
      )
      .join("") +
    `</md:IDPSSODescriptor></md:EntityDescriptor>\n`
  );
}

/** An Okta key descriptor of another use, or with none (ADFS often leaves it out). */
export const oktaKeyDescriptor = (pem: string, use: string | null) =>
  `<md:KeyDescriptor${use ? ` use="${use}"` : ""}><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">` +
  `<ds:X509Data><ds:X509Certificate>${base64Of(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;

/** Several entities in one document, as a federation's aggregate publishes them. */
export const entities = (...documents: string[]) =>
  `<?xml version="1.0"?><md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" Name="https://federation.example">` +
  documents.map((d) => d.replace(/^<\?xml[^>]*\?>\s*/, "")).join("") +
  `</md:EntitiesDescriptor>`;
