import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import type { BridgeConnection } from "../../../regions/saml-bridge/connections";
import type { ServiceProvider } from "../../../regions/saml-bridge/saml-verify";
import type { BridgeStore } from "../../../regions/saml-bridge/store";
import {
  newSamlId,
  type ResponseInput,
  type SignedResponseOptions,
  signedResponse,
} from "../../../regions/saml-idp/assertion";
import { generateSigningKey } from "../../../regions/saml-idp/signing-key";

/** An IdP, the bridge's view of a connection to it, and documents it signs, for the corpus tests. */
export const idpKey = generateSigningKey("corpus IdP");
export const attackerKey = generateSigningKey("corpus IdP");

export const connection: BridgeConnection = {
  id: "00000000-0000-4000-8000-00000000c0de",
  tenantId: "00000000-0000-4000-8000-0000000000aa",
  idpEntityId: "https://idp.globex.example/metadata",
  idpSsoUrl: "https://idp.globex.example/sso",
  idpCertificates: [idpKey.certificatePem],
  clientId: "00000000-0000-4000-8000-00000000c0de",
  clientSecretHash: "",
  redirectUris: ["https://eu.nexus.test/oauth/sso/callback"],
};

export const sp: ServiceProvider = {
  entityId: `https://saml.eu.nexus.test/c/${connection.id}/saml`,
  acsUrl: `https://saml.eu.nexus.test/c/${connection.id}/saml/acs`,
};

/** A request of ours in flight, as the authorize endpoint records it (node-saml's InResponseTo cache). */
export async function pendingRequest(store: BridgeStore): Promise<string> {
  const id = newSamlId();
  await store.put("authn", id, new Date().toISOString(), 600_000);
  return id;
}

export function input(requestId: string, overrides: Partial<ResponseInput> = {}): ResponseInput {
  return {
    issuer: connection.idpEntityId,
    destination: sp.acsUrl,
    audience: sp.entityId,
    inResponseTo: requestId,
    nameId: "globex-homer",
    attributes: { email: "homer@globex.example", displayName: "Homer", groups: ["safety"] },
    ...overrides,
  };
}

export const sign = (
  requestId: string,
  overrides: Partial<ResponseInput> = {},
  options: SignedResponseOptions = {},
) => signedResponse(input(requestId, overrides), idpKey, options);

export const b64 = (xml: string) => Buffer.from(xml, "utf8").toString("base64");

/** Edits a signed document as an attacker would: after signing, through a DOM. */
export function mutate(xml: string, edit: (doc: Document) => void): string {
  const doc = new DOMParser().parseFromString(xml, "text/xml") as unknown as Document;
  edit(doc);
  return new XMLSerializer().serializeToString(doc as never);
}

export const NS = {
  protocol: "urn:oasis:names:tc:SAML:2.0:protocol",
  assertion: "urn:oasis:names:tc:SAML:2.0:assertion",
  dsig: "http://www.w3.org/2000/09/xmldsig#",
};

export const first = (doc: Document | Element, ns: string, local: string) => {
  const found = doc.getElementsByTagNameNS(ns, local)[0];
  if (!found) throw new Error(`no ${local}`);
  return found;
};

/** Direct child Signature of an element. */
export const signatureOf = (element: Element) => {
  const found = Array.from(element.childNodes).find(
    (n) => (n as Element).localName === "Signature" && (n as Element).namespaceURI === NS.dsig,
  );
  if (!found) throw new Error("no signature");
  return found as Element;
};

export const setNameId = (assertion: Element, value: string) => {
  const nameId = first(assertion, NS.assertion, "NameID");
  while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
  nameId.appendChild(nameId.ownerDocument.createTextNode(value));
};
