import { parseStrict, SamlRefusal, textOf } from "./xml-guards";

/**
 * Reads what the bridge needs from an IdP's SAML 2.0 metadata, pasted by the tenant's
 * administrator (so the Worker never parses XML): the entity id, the HTTP-Redirect
 * SingleSignOnService and the signing certificates. The metadata's own signature is not what
 * makes it trusted (it arrives over the Worker's authenticated admin call, like the three fields
 * it stands for), so it is not checked; the certificates are pinned as if typed in.
 */
export const MAX_METADATA_BYTES = 256 * 1024;

const MD = "urn:oasis:names:tc:SAML:2.0:metadata";
const DSIG = "http://www.w3.org/2000/09/xmldsig#";
const SAML2_PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
const HTTP_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const ELEMENT = 1;

export interface MetadataIdp {
  entityId: string;
  ssoUrl: string;
  /** The X509Certificate texts (base64), in document order, each once. */
  certificates: string[];
}

const children = (parent: Element, ns: string, local: string) =>
  Array.from(parent.childNodes).filter(
    (n): n is Element =>
      n.nodeType === ELEMENT && (n as Element).namespaceURI === ns && (n as Element).localName === local,
  );

/** EntityDescriptors with a SAML 2.0 IDPSSODescriptor, however deep in EntitiesDescriptors. */
function identityProviders(element: Element): Element[] {
  if (element.namespaceURI !== MD) return [];
  if (element.localName === "EntityDescriptor") return idpDescriptors(element).length > 0 ? [element] : [];
  if (element.localName !== "EntitiesDescriptor") return [];
  return Array.from(element.childNodes)
    .filter((n): n is Element => n.nodeType === ELEMENT)
    .flatMap(identityProviders);
}

const idpDescriptors = (entity: Element) =>
  children(entity, MD, "IDPSSODescriptor").filter((d) =>
    (d.getAttribute("protocolSupportEnumeration") ?? "").split(/\s+/).includes(SAML2_PROTOCOL),
  );

/** Answers the IdP the metadata describes, or what is wrong with it in words for the administrator. */
export function readIdpMetadata(xml: string): MetadataIdp | { problem: string } {
  if (Buffer.byteLength(xml, "utf8") > MAX_METADATA_BYTES)
    return { problem: `The metadata is over ${MAX_METADATA_BYTES / 1024} KiB` };
  let doc: Document;
  try {
    doc = parseStrict(xml);
  } catch (error) {
    if (!(error instanceof SamlRefusal)) throw error;
    return {
      problem:
        error.reason === "dtd"
          ? "The metadata must not have a DTD (<!DOCTYPE> or <!ENTITY>)"
          : "The metadata is not well-formed XML",
    };
  }
  const root = doc.documentElement;
  if (root.namespaceURI !== MD || !["EntityDescriptor", "EntitiesDescriptor"].includes(root.localName))
    return { problem: "Not SAML 2.0 metadata: expected an EntityDescriptor" };
  const idps = identityProviders(root);
  if (idps.length === 0)
    return { problem: "The metadata describes no SAML 2.0 identity provider (IDPSSODescriptor)" };
  if (idps.length > 1)
    return {
      problem: `The metadata describes ${idps.length} identity providers: paste the EntityDescriptor of the one to use`,
    };
  const entity = idps[0] as Element;
  const entityId = (entity.getAttribute("entityID") ?? "").trim();
  if (!entityId) return { problem: "The EntityDescriptor has no entityID" };
  const descriptors = idpDescriptors(entity);
  if (descriptors.length > 1) return { problem: "The identity provider has more than one IDPSSODescriptor" };
  const descriptor = descriptors[0] as Element;

  const redirect = children(descriptor, MD, "SingleSignOnService").find(
    (s) => s.getAttribute("Binding") === HTTP_REDIRECT,
  );
  const ssoUrl = redirect?.getAttribute("Location")?.trim();
  if (!ssoUrl)
    return {
      problem:
        "The identity provider offers no SingleSignOnService with the HTTP-Redirect binding, which the bridge needs",
    };

  const certificates: string[] = [];
  for (const key of children(descriptor, MD, "KeyDescriptor")) {
    const use = key.getAttribute("use");
    // No use attribute: the key is for signing and encryption alike.
    if (use && use !== "signing") continue;
    for (const keyInfo of children(key, DSIG, "KeyInfo"))
      for (const data of children(keyInfo, DSIG, "X509Data"))
        for (const certificate of children(data, DSIG, "X509Certificate")) {
          let text: string;
          try {
            text = textOf(certificate, "certificate").replace(/\s+/g, "");
          } catch {
            return { problem: "An X509Certificate holds something other than base64 text" };
          }
          if (text && !certificates.includes(text)) certificates.push(text);
        }
  }
  if (certificates.length === 0)
    return { problem: 'The identity provider has no signing certificate (KeyDescriptor use="signing")' };
  return { entityId, ssoUrl, certificates };
}
