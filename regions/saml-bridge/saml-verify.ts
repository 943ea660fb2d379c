import { type CacheProvider, SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import type { BridgeConnection } from "./connections";
import type { BridgeStore } from "./store";
import { checkResponseShape, parseStrict, SAML_NS, SamlRefusal, textOf } from "./xml-guards";

/**
 * Verifies a Response posted to a connection's ACS, in three layers: the structural rules of
 * xml-guards.ts on the raw document; @node-saml/node-saml (xml-crypto underneath) with strict
 * settings for the signature against the pinned certificates only, the audience, the validity
 * window and InResponseTo; then, on the signed bytes node-saml hands back and nothing else,
 * the checks node-saml leaves to its caller: the Issuer, a bearer confirmation for our ACS, the
 * request it answers, and the assertion id never seen before.
 */
export const CLOCK_SKEW_MS = 3 * 60_000;
export const REQUEST_TTL_MS = 10 * 60_000;
const MAX_ASSERTION_AGE_MS = 10 * 60_000;
const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

export interface ServiceProvider {
  entityId: string;
  acsUrl: string;
}

export interface SamlIdentity {
  nameId: string;
  nameIdFormat: string | undefined;
  inResponseTo: string;
  attributes: Record<string, string[]>;
}

/** node-saml's InResponseTo cache, over the bridge store (so any replica can take the answer). */
export function requestCache(store: BridgeStore): CacheProvider {
  return {
    saveAsync: async (key, value) => {
      await store.put("authn", key, value, REQUEST_TTL_MS);
      return { value, createdAt: Date.now() };
    },
    getAsync: async (key) => (await store.get<string>("authn", key)) ?? null,
    removeAsync: async (key) => {
      if (key) await store.delete("authn", key);
      return key;
    },
  };
}

export function samlFor(
  connection: BridgeConnection,
  sp: ServiceProvider,
  store: BridgeStore,
  requestId?: string,
) {
  return new SAML({
    issuer: sp.entityId,
    audience: sp.entityId,
    callbackUrl: sp.acsUrl,
    entryPoint: connection.idpSsoUrl,
    idpCert: connection.idpCertificates,
    idpIssuer: connection.idpEntityId,
    wantAssertionsSigned: true,
    // The Response's own signature is optional (Entra signs only the assertion by default); when
    // present it must verify too, or node-saml falls back to the assertion's alone.
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    maxAssertionAgeMs: MAX_ASSERTION_AGE_MS,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: REQUEST_TTL_MS,
    cacheProvider: requestCache(store),
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    ...(requestId ? { generateUniqueId: () => requestId } : {}),
  });
}

const children = (parent: Element, ns: string, local: string) =>
  Array.from(parent.childNodes).filter(
    (n): n is Element =>
      n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local,
  );

function attributesOf(assertion: Element): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const statement of children(assertion, SAML_NS.assertion, "AttributeStatement")) {
    for (const attribute of children(statement, SAML_NS.assertion, "Attribute")) {
      const name = attribute.getAttribute("Name");
      if (!name) continue;
      const values = children(attribute, SAML_NS.assertion, "AttributeValue").map((v) =>
        textOf(v, "attribute_value"),
      );
      out[name] = [...(out[name] ?? []), ...values];
    }
  }
  return out;
}

export async function verifySamlResponse(
  samlResponse: string,
  connection: BridgeConnection,
  sp: ServiceProvider,
  store: BridgeStore,
): Promise<SamlIdentity> {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) throw new SamlRefusal("not_base64");
  const raw = Buffer.from(samlResponse, "base64").toString("utf8");
  const doc = checkResponseShape(raw);
  const destination = doc.documentElement.getAttribute("Destination");
  if (destination !== sp.acsUrl) throw new SamlRefusal("wrong_destination");
  const responseIssuer = children(doc.documentElement, SAML_NS.assertion, "Issuer")[0];
  if (responseIssuer && textOf(responseIssuer, "issuer") !== connection.idpEntityId)
    throw new SamlRefusal("wrong_issuer");

  let signedAssertionXml: string;
  try {
    const { profile } = await samlFor(connection, sp, store).validatePostResponseAsync({
      SAMLResponse: samlResponse,
    });
    if (!profile) throw new SamlRefusal("no_assertion");
    signedAssertionXml = profile.getAssertionXml?.() ?? "";
  } catch (error) {
    if (error instanceof SamlRefusal) throw error;
    throw new SamlRefusal(`node_saml: ${(error as Error).message}`);
  }

  // From here on, only the bytes the signature covers.
  const assertion = parseStrict(signedAssertionXml).documentElement;
  if (assertion.namespaceURI !== SAML_NS.assertion || assertion.localName !== "Assertion")
    throw new SamlRefusal("signed_node_not_assertion");
  if (textOf(children(assertion, SAML_NS.assertion, "Issuer")[0], "issuer") !== connection.idpEntityId)
    throw new SamlRefusal("wrong_issuer");
  const subject = children(assertion, SAML_NS.assertion, "Subject");
  if (subject.length !== 1) throw new SamlRefusal("subject");
  const nameIdElement = children(subject[0] as Element, SAML_NS.assertion, "NameID")[0];
  const nameId = textOf(nameIdElement, "name_id");
  if (!nameId) throw new SamlRefusal("name_id");

  const now = Date.now();
  const inWindow = (data: Element) => {
    const notOnOrAfter = Date.parse(data.getAttribute("NotOnOrAfter") ?? "");
    const notBefore = data.getAttribute("NotBefore");
    return (
      Number.isFinite(notOnOrAfter) &&
      now < notOnOrAfter + CLOCK_SKEW_MS &&
      (!notBefore || now >= Date.parse(notBefore) - CLOCK_SKEW_MS)
    );
  };
  const confirmations = children(subject[0] as Element, SAML_NS.assertion, "SubjectConfirmation")
    .filter((c) => c.getAttribute("Method") === BEARER)
    .flatMap((c) => children(c, SAML_NS.assertion, "SubjectConfirmationData"));
  if (confirmations.length === 0) throw new SamlRefusal("no_bearer_confirmation");
  const valid = confirmations.filter((d) => d.getAttribute("Recipient") === sp.acsUrl && inWindow(d));
  if (valid.length === 0) throw new SamlRefusal("wrong_recipient_or_expired");
  const inResponseTo = valid[0]?.getAttribute("InResponseTo") ?? "";
  // SP-initiated only: an assertion that answers no request of ours is IdP-initiated, refused.
  if (!inResponseTo || inResponseTo !== doc.documentElement.getAttribute("InResponseTo"))
    throw new SamlRefusal("in_response_to");

  const assertionId = assertion.getAttribute("ID") ?? "";
  const conditions = children(assertion, SAML_NS.assertion, "Conditions")[0];
  const until = Date.parse(conditions?.getAttribute("NotOnOrAfter") ?? "") || now + MAX_ASSERTION_AGE_MS;
  const fresh = await store.claimOnce(
    "assertion",
    `${connection.id}:${assertionId}`,
    Math.max(until - now, 0) + CLOCK_SKEW_MS,
  );
  if (!fresh) throw new SamlRefusal("replayed_assertion");

  return {
    nameId,
    nameIdFormat: nameIdElement?.getAttribute("Format") ?? undefined,
    inResponseTo,
    attributes: attributesOf(assertion),
  };
}
