import { randomBytes } from "node:crypto";
import { SignedXml } from "xml-crypto";
import type { SigningKey } from "./signing-key";

/**
 * A SAML 2.0 Response as an IdP sends it to the SP's assertion consumer service (Web Browser SSO
 * profile, HTTP-POST binding), signed with xml-crypto the way Entra, Okta and ADFS sign: an
 * enveloped RSA-SHA256 signature over exclusive-c14n, placed right after the element's Issuer.
 * The local IdP stand-in uses it, and so do the tests that mutate what it signs.
 */
export const NS = {
  protocol: "urn:oasis:names:tc:SAML:2.0:protocol",
  assertion: "urn:oasis:names:tc:SAML:2.0:assertion",
  dsig: "http://www.w3.org/2000/09/xmldsig#",
} as const;

export const ALGORITHMS = {
  rsaSha256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  rsaSha1: "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
  sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
  sha1: "http://www.w3.org/2000/09/xmldsig#sha1",
  excC14n: "http://www.w3.org/2001/10/xml-exc-c14n#",
  excC14nWithComments: "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
  enveloped: "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
} as const;

export interface ResponseInput {
  /** The IdP's entity id (the Issuer of the Response and the Assertion). */
  issuer: string;
  /** The SP's assertion consumer service URL: the Response's Destination. */
  destination: string;
  /** SubjectConfirmationData Recipient; the ACS URL unless a test says otherwise. */
  recipient?: string;
  /** The SP's entity id: the Audience. */
  audience: string;
  inResponseTo?: string | undefined;
  nameId: string;
  nameIdFormat?: string;
  attributes: Record<string, string | readonly string[]>;
  /** Defaults: now, valid from 1 minute ago for 5 minutes. */
  now?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  responseId?: string;
  assertionId?: string;
}

export const newSamlId = () => `_${randomBytes(20).toString("hex")}`;

const escapeXml = (value: string) =>
  value.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );

const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

export function responseXml(input: ResponseInput): string {
  const now = input.now ?? new Date();
  const notBefore = input.notBefore ?? new Date(now.getTime() - 60_000);
  const notOnOrAfter = input.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
  const responseId = input.responseId ?? newSamlId();
  const assertionId = input.assertionId ?? newSamlId();
  const inResponseTo = input.inResponseTo ? ` InResponseTo="${escapeXml(input.inResponseTo)}"` : "";
  const attributes = Object.entries(input.attributes)
    .map(([name, value]) => {
      const values = (typeof value === "string" ? [value] : value)
        .map((v) => `<saml:AttributeValue>${escapeXml(v)}</saml:AttributeValue>`)
        .join("");
      return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${values}</saml:Attribute>`;
    })
    .join("");
  const format = input.nameIdFormat ?? "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  return (
    `<samlp:Response xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${responseId}" Version="2.0" ` +
    `IssueInstant="${iso(now)}" Destination="${escapeXml(input.destination)}"${inResponseTo}>` +
    `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${escapeXml(input.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${format}">${escapeXml(input.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${escapeXml(input.recipient ?? input.destination)}"${inResponseTo}/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}">` +
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(input.audience)}</saml:Audience></saml:AudienceRestriction>` +
    `</saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${assertionId}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>` +
    `</saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : "") +
    `</saml:Assertion></samlp:Response>`
  );
}

export interface SignOptions {
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
  canonicalization?: string;
}

/** Signs the element `local` ("Assertion" or "Response"): the signature goes after its Issuer. */
export function signElement(
  xml: string,
  local: "Assertion" | "Response",
  key: SigningKey,
  options: SignOptions = {},
): string {
  const c14n = options.canonicalization ?? ALGORITHMS.excC14n;
  const signer = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    signatureAlgorithm: options.signatureAlgorithm ?? ALGORITHMS.rsaSha256,
    canonicalizationAlgorithm: c14n,
  });
  const target = `/*[local-name()='Response']${local === "Assertion" ? "/*[local-name()='Assertion']" : ""}`;
  signer.addReference({
    xpath: target,
    digestAlgorithm: options.digestAlgorithm ?? ALGORITHMS.sha256,
    transforms: [ALGORITHMS.enveloped, c14n],
  });
  signer.computeSignature(xml, {
    prefix: "ds",
    location: { reference: `${target}/*[local-name()='Issuer']`, action: "after" },
  });
  return signer.getSignedXml();
}

export interface SignedResponseOptions extends SignOptions {
  signAssertion?: boolean;
  signResponse?: boolean;
}

/** What the stand-in sends: the assertion signed (always, unless a test says not), the Response too if asked. */
export function signedResponse(input: ResponseInput, key: SigningKey, options: SignedResponseOptions = {}) {
  let xml = responseXml(input);
  if (options.signAssertion ?? true) xml = signElement(xml, "Assertion", key, options);
  if (options.signResponse) xml = signElement(xml, "Response", key, options);
  return xml;
}

export const base64 = (xml: string) => Buffer.from(xml, "utf8").toString("base64");
