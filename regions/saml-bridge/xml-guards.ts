import { DOMParser } from "@xmldom/xmldom";

/**
 * Structural rules a Response must meet before any signature is looked at, stricter than
 * node-saml on its own. Each one closes a known bypass (ruby-saml CVE-2024-45409 and
 * CVE-2025-25291/2, samlify CVE-2025-47949, xml-crypto CVE-2025-29774/5, Fragile Lock): the
 * common root is that the node verified is not the node consumed, so anything that lets two
 * readings of one document differ is refused outright. Legitimate IdPs (Entra, Okta, ADFS,
 * Google) send none of it.
 */
export class SamlRefusal extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "SamlRefusal";
  }
}

const NS = {
  protocol: "urn:oasis:names:tc:SAML:2.0:protocol",
  assertion: "urn:oasis:names:tc:SAML:2.0:assertion",
  dsig: "http://www.w3.org/2000/09/xmldsig#",
} as const;

const ALLOWED = {
  canonicalization: new Set(["http://www.w3.org/2001/10/xml-exc-c14n#"]),
  transforms: new Set([
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
  ]),
  signature: new Set([
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
  ]),
  digest: new Set(["http://www.w3.org/2001/04/xmlenc#sha256", "http://www.w3.org/2001/04/xmlenc#sha512"]),
};

export const MAX_RESPONSE_BYTES = 256 * 1024;

const ELEMENT = 1;
const PROCESSING_INSTRUCTION = 7;
const COMMENT = 8;

/** A strict parse: any error or warning is a refusal (xmldom otherwise repairs what it can). */
export function parseStrict(xml: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new SamlRefusal("dtd");
  let problem: string | undefined;
  const note = (level: string) => (message: string) => {
    problem ??= `${level}: ${message}`;
  };
  const doc = new DOMParser({
    errorHandler: { warning: note("warning"), error: note("error"), fatalError: note("fatal") },
  }).parseFromString(xml, "text/xml");
  if (problem || !doc?.documentElement) throw new SamlRefusal("malformed_xml");
  return doc as unknown as Document;
}

function walk(node: Node, visit: (node: Node) => void) {
  visit(node);
  for (let child = node.firstChild; child; child = child.nextSibling) walk(child, visit);
}

const elementChildren = (node: Element, ns: string, local: string) =>
  Array.from(node.childNodes).filter(
    (n): n is Element =>
      n.nodeType === ELEMENT && (n as Element).namespaceURI === ns && (n as Element).localName === local,
  );

const one = (parent: Element, ns: string, local: string, reason: string) => {
  const found = elementChildren(parent, ns, local);
  if (found.length !== 1) throw new SamlRefusal(reason);
  return found[0] as Element;
};

function checkSignature(signature: Element) {
  const parent = signature.parentNode as Element | null;
  const parentId = parent?.getAttribute("ID");
  if (!parent || !parentId) throw new SamlRefusal("signature_misplaced");
  const signedInfo = one(signature, NS.dsig, "SignedInfo", "signature_shape");
  const c14n =
    one(signedInfo, NS.dsig, "CanonicalizationMethod", "signature_shape").getAttribute("Algorithm") ?? "";
  if (!ALLOWED.canonicalization.has(c14n)) throw new SamlRefusal("canonicalization_not_allowed");
  const method =
    one(signedInfo, NS.dsig, "SignatureMethod", "signature_shape").getAttribute("Algorithm") ?? "";
  if (!ALLOWED.signature.has(method)) throw new SamlRefusal("signature_algorithm_not_allowed");
  const reference = one(signedInfo, NS.dsig, "Reference", "signature_references");
  // The reference names the element the signature sits in: an enveloped signature, nothing else.
  if (reference.getAttribute("URI") !== `#${parentId}`)
    throw new SamlRefusal("signature_reference_not_parent");
  const transforms = elementChildren(reference, NS.dsig, "Transforms");
  for (const t of transforms.flatMap((x) => elementChildren(x, NS.dsig, "Transform"))) {
    if (!ALLOWED.transforms.has(t.getAttribute("Algorithm") ?? "") || t.firstChild)
      throw new SamlRefusal("transform_not_allowed");
  }
  const digest = one(reference, NS.dsig, "DigestMethod", "signature_shape").getAttribute("Algorithm") ?? "";
  if (!ALLOWED.digest.has(digest)) throw new SamlRefusal("digest_algorithm_not_allowed");
  one(signature, NS.dsig, "SignatureValue", "signature_shape");
  if (elementChildren(signature, NS.dsig, "Object").length > 0) throw new SamlRefusal("signature_object");
}

/**
 * Checks the raw Response: one protocol Response at the root, exactly one Assertion in the
 * whole document and it a direct child of the root, no EncryptedAssertion (this bridge has no
 * decryption key), no comments or processing instructions anywhere (exc-c14n drops comments, so
 * a comment splits what is signed from what a reader sees), unique IDs, and each Signature a
 * direct child of the Response or the Assertion, enveloping its parent with the allowed
 * algorithms only. Answers the parsed document.
 */
export function checkResponseShape(xml: string): Document {
  if (Buffer.byteLength(xml, "utf8") > MAX_RESPONSE_BYTES) throw new SamlRefusal("too_large");
  const doc = parseStrict(xml);
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== "Response")
    throw new SamlRefusal("not_a_response");

  const ids = new Set<string>();
  walk(doc, (node) => {
    if (node.nodeType === COMMENT) throw new SamlRefusal("comment");
    if (node.nodeType === PROCESSING_INSTRUCTION && node !== doc.firstChild)
      throw new SamlRefusal("processing_instruction");
    if (node.nodeType !== ELEMENT) return;
    const element = node as Element;
    for (const name of ["ID", "Id", "id"]) {
      const value = element.getAttribute(name);
      if (!value) continue;
      if (ids.has(value)) throw new SamlRefusal("duplicate_id");
      ids.add(value);
    }
  });

  const all = (ns: string, local: string) => Array.from(doc.getElementsByTagNameNS(ns, local)) as Element[];
  if (all(NS.assertion, "EncryptedAssertion").length > 0) throw new SamlRefusal("encrypted_assertion");
  const assertions = all(NS.assertion, "Assertion");
  if (assertions.length !== 1) throw new SamlRefusal("assertion_count");
  if (assertions[0]?.parentNode !== root) throw new SamlRefusal("assertion_not_child_of_response");

  const signatures = all(NS.dsig, "Signature");
  for (const signature of signatures) {
    const parent = signature.parentNode;
    if (parent !== root && parent !== assertions[0]) throw new SamlRefusal("signature_misplaced");
    checkSignature(signature);
  }
  if (elementChildren(assertions[0] as Element, NS.dsig, "Signature").length !== 1)
    throw new SamlRefusal("assertion_not_signed");
  return doc;
}

/** Only what exc-c14n keeps: an element's text, refused if anything but text is mixed in. */
export function textOf(element: Element | undefined, reason: string): string {
  if (!element) throw new SamlRefusal(reason);
  let text = "";
  for (let child = element.firstChild; child; child = child.nextSibling) {
    if (child.nodeType !== 3 && child.nodeType !== 4) throw new SamlRefusal(reason);
    text += child.nodeValue ?? "";
  }
  return text.trim();
}

export { NS as SAML_NS };
