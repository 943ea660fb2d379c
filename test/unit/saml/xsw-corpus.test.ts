import { beforeEach, describe, expect, it } from "vitest";
import { verifySamlResponse } from "../../../regions/saml-bridge/saml-verify";
import { type BridgeStore, memoryStore } from "../../../regions/saml-bridge/store";
import { SamlRefusal } from "../../../regions/saml-bridge/xml-guards";
import { ALGORITHMS, newSamlId, signedResponse } from "../../../regions/saml-idp/assertion";
import {
  attackerKey,
  b64,
  connection,
  first,
  input,
  mutate,
  NS,
  pendingRequest,
  setNameId,
  sign,
  signatureOf,
  sp,
} from "./saml-fixtures";

// The signature-wrapping corpus (issue 18, item 6) against the bridge's verifier: node-saml with
// strict settings plus the bridge's own structural and post-signature checks. Every case starts
// from a document the IdP really signed and is changed the way the published attacks change it
// (SAML Raider's XSW1–8, the 2018 comment truncation, CVE-2025-29774's digest comment, …). A
// control test first shows the unchanged document passes, so each refusal is the mutation's.
let store: BridgeStore;
let requestId: string;
beforeEach(async () => {
  store = memoryStore();
  requestId = await pendingRequest(store);
});

const verify = (xml: string) => verifySamlResponse(b64(xml), connection, sp, store);

async function refusal(xml: string): Promise<string> {
  try {
    await verify(xml);
  } catch (error) {
    if (error instanceof SamlRefusal) return error.reason;
    throw error;
  }
  throw new Error("the response was accepted");
}

const EVIL = "globex-hank";

/** The attacker's assertion: the signed one copied, its Signature dropped, the subject changed. */
function forgedCopy(signedAssertion: Element): Element {
  const evil = signedAssertion.cloneNode(true) as Element;
  evil.removeChild(signatureOf(evil));
  setNameId(evil, EVIL);
  return evil;
}

/** The IdP's assertion copied without its Signature (to hide), the signed one changed to the attacker's. */
function hiddenOriginal(signedAssertion: Element): Element {
  const original = signedAssertion.cloneNode(true) as Element;
  original.removeChild(signatureOf(original));
  setNameId(signedAssertion, EVIL);
  return original;
}

describe("SAML responses the bridge accepts", () => {
  it("takes a response whose assertion the pinned IdP signed, and reads only what is signed", async () => {
    const identity = await verify(sign(requestId));
    expect(identity).toEqual({
      nameId: "globex-homer",
      nameIdFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
      inResponseTo: requestId,
      attributes: { email: ["homer@globex.example"], displayName: ["Homer"], groups: ["safety"] },
    });
  });

  it("takes one whose Response and assertion are both signed", async () => {
    const identity = await verify(sign(requestId, {}, { signResponse: true }));
    expect(identity.nameId).toBe("globex-homer");
  });
});

describe("signature wrapping (XSW1–8)", () => {
  // XSW1: a forged Response around the IdP's, which is tucked into the forged one's Signature.
  it("XSW1: refuses the signed Response hidden inside a forged Response's Signature", async () => {
    const signed = sign(requestId, {}, { signResponse: true });
    const xml = mutate(signed, (doc) => {
      const original = doc.documentElement.cloneNode(true) as Element;
      const root = doc.documentElement;
      root.setAttribute("ID", newSamlId());
      setNameId(first(root, NS.assertion, "Assertion"), EVIL);
      signatureOf(root).appendChild(original);
    });
    expect(await refusal(xml)).toMatch(/assertion_count|duplicate_id/);
  });

  // XSW2: the same, with the IdP's Response beside the Signature (a detached signature).
  it("XSW2: refuses the signed Response placed before the forged Response's Signature", async () => {
    const signed = sign(requestId, {}, { signResponse: true });
    const xml = mutate(signed, (doc) => {
      const original = doc.documentElement.cloneNode(true) as Element;
      const root = doc.documentElement;
      root.setAttribute("ID", newSamlId());
      setNameId(first(root, NS.assertion, "Assertion"), EVIL);
      root.insertBefore(original, signatureOf(root));
    });
    expect(await refusal(xml)).toMatch(/assertion_count|duplicate_id/);
  });

  // XSW3: a forged, unsigned assertion with the same ID before the signed one.
  it("XSW3: refuses a forged assertion inserted before the signed one", async () => {
    const xml = mutate(sign(requestId), (doc) => {
      const signedAssertion = first(doc, NS.assertion, "Assertion");
      const evil = forgedCopy(signedAssertion);
      doc.documentElement.insertBefore(evil, signedAssertion);
    });
    expect(await refusal(xml)).toMatch(/duplicate_id|assertion_count/);
  });

  // XSW4: the forged assertion wraps the signed one.
  it("XSW4: refuses a forged assertion that contains the signed one", async () => {
    const xml = mutate(sign(requestId), (doc) => {
      const signedAssertion = first(doc, NS.assertion, "Assertion");
      const evil = forgedCopy(signedAssertion);
      doc.documentElement.replaceChild(evil, signedAssertion);
      evil.appendChild(signedAssertion);
    });
    expect(await refusal(xml)).toMatch(/duplicate_id|assertion_count/);
  });

  // XSW5: the forged assertion carries the IdP's Signature; the signed original is appended at the end.
  it("XSW5: refuses a forged assertion holding the original's Signature, the original appended after", async () => {
    const xml = mutate(sign(requestId), (doc) => {
      const signedAssertion = first(doc, NS.assertion, "Assertion");
      const copy = signedAssertion.cloneNode(true) as Element;
      setNameId(signedAssertion, EVIL);
      copy.setAttribute("ID", newSamlId());
      doc.documentElement.appendChild(copy);
    });
    expect(await refusal(xml)).toMatch(/assertion_count/);
  });

  // XSW6: the forged assertion carries the Signature, with the signed original inside that Signature.
  it("XSW6: refuses the signed assertion tucked inside the forged assertion's Signature", async () => {
    const xml = mutate(sign(requestId), (doc) => {
      const signedAssertion = first(doc, NS.assertion, "Assertion");
      const original = hiddenOriginal(signedAssertion);
      signatureOf(signedAssertion).appendChild(original);
    });
    expect(await refusal(xml)).toMatch(/duplicate_id|assertion_count/);
  });

  // XSW7: the signed assertion moved into an Extensions element; a forged one where it was.
  it("XSW7: refuses the signed assertion moved into samlp:Extensions beside a forged one", async () => {
    const xml = mutate(sign(requestId), (doc) => {
      const signedAssertion = first(doc, NS.assertion, "Assertion");
      const evil = forgedCopy(signedAssertion);
      const extensions = doc.createElementNS(NS.protocol, "samlp:Extensions");
      doc.documentElement.replaceChild(evil, signedAssertion);
      extensions.appendChild(signedAssertion);
      doc.documentElement.insertBefore(extensions, evil);
    });
    expect(await refusal(xml)).toMatch(/duplicate_id|assertion_count/);
  });

  // XSW8: the forged assertion's Signature gets a ds:Object holding the original, unsigned.
  it("XSW8: refuses the original assertion inside a ds:Object of the forged one's Signature", async () => {
    const xml = mutate(sign(requestId), (doc) => {
      const signedAssertion = first(doc, NS.assertion, "Assertion");
      const original = hiddenOriginal(signedAssertion);
      const object = doc.createElementNS(NS.dsig, "ds:Object");
      object.appendChild(original);
      signatureOf(signedAssertion).appendChild(object);
    });
    expect(await refusal(xml)).toMatch(/duplicate_id|assertion_count|signature_object/);
  });
});

describe("comments, several assertions, unsigned parts", () => {
  // The 2018 truncation (CVE-2017-11427 family): exc-c14n drops comments, so the signature still
  // verifies while a reader of the first text node sees "globex-hank".
  it("refuses a comment inside the NameID", async () => {
    const signed = sign(requestId, { nameId: `${EVIL}.attacker.example` });
    const xml = signed.replace(`>${EVIL}.attacker.example<`, `>${EVIL}<!---->.attacker.example<`);
    expect(xml).toContain("<!---->");
    expect(await refusal(xml)).toBe("comment");
  });

  // CVE-2025-29774/29775: a comment inside DigestValue changed what xml-crypto compared.
  it("refuses a comment inside a DigestValue", async () => {
    const xml = sign(requestId).replace(/<ds:DigestValue>([^<]{4})/, "<ds:DigestValue>$1<!-- x -->");
    expect(xml).toContain("<!-- x -->");
    expect(await refusal(xml)).toBe("comment");
  });

  it("refuses two assertions, even when both are validly signed", async () => {
    const other = sign(requestId, { nameId: EVIL });
    const xml = mutate(sign(requestId), (doc) => {
      const second = first(mutateDoc(other), NS.assertion, "Assertion");
      doc.documentElement.appendChild(doc.importNode(second, true));
    });
    expect(await refusal(xml)).toMatch(/assertion_count|duplicate_id/);
  });

  it("refuses an unsigned assertion beside a signed Response", async () => {
    const xml = sign(requestId, {}, { signAssertion: false, signResponse: true });
    expect(await refusal(xml)).toBe("assertion_not_signed");
  });

  it("refuses an assertion changed after signing", async () => {
    const xml = mutate(sign(requestId), (doc) => setNameId(first(doc, NS.assertion, "Assertion"), EVIL));
    expect(await refusal(xml)).toMatch(/^node_saml: Invalid signature/);
  });

  it("refuses an assertion signed by another key, whatever certificate its KeyInfo carries", async () => {
    const xml = signedResponse(input(requestId, { nameId: EVIL }), attackerKey);
    expect(xml).toContain("<ds:X509Certificate>");
    expect(await refusal(xml)).toMatch(/^node_saml: Invalid signature/);
  });

  it("refuses SHA-1, comment-keeping canonicalization and a DTD", async () => {
    const sha1 = sign(
      requestId,
      {},
      { signatureAlgorithm: ALGORITHMS.rsaSha1, digestAlgorithm: ALGORITHMS.sha1 },
    );
    expect(await refusal(sha1)).toBe("signature_algorithm_not_allowed");
    const withComments = sign(requestId, {}, { canonicalization: ALGORITHMS.excC14nWithComments });
    expect(await refusal(withComments)).toBe("canonicalization_not_allowed");
    const dtd = `<!DOCTYPE r [<!ENTITY x "globex-hank">]>${sign(requestId)}`;
    expect(await refusal(dtd)).toBe("dtd");
  });
});

describe("replay, audience, recipient, time", () => {
  it("refuses a replayed assertion id even when its request is pending again", async () => {
    const xml = sign(requestId);
    await verify(xml);
    // node-saml consumed the request; put it back so that only the replay cache stands in the way.
    await store.put("authn", requestId, new Date().toISOString(), 600_000);
    expect(await refusal(xml)).toBe("replayed_assertion");
  });

  it("refuses a response to a request that is not ours, or to none (IdP-initiated)", async () => {
    expect(await refusal(sign(newSamlId()))).toMatch(/InResponseTo is not valid/);
    expect(await refusal(sign(requestId, { inResponseTo: undefined }))).toMatch(
      /in_response_to|InResponseTo is missing/,
    );
  });

  it("refuses the wrong audience", async () => {
    const xml = sign(requestId, { audience: "https://other-sp.example/saml" });
    expect(await refusal(xml)).toMatch(/audience mismatch/);
  });

  it("refuses the wrong recipient and the wrong destination", async () => {
    expect(await refusal(sign(requestId, { recipient: "https://evil.example/acs" }))).toMatch(
      /wrong_recipient_or_expired|subject confirmation/,
    );
    expect(await refusal(sign(requestId, { destination: "https://evil.example/acs" }))).toBe(
      "wrong_destination",
    );
  });

  it("refuses the wrong issuer", async () => {
    expect(await refusal(sign(requestId, { issuer: "https://idp.other.example" }))).toBe("wrong_issuer");
  });

  it("refuses an expired assertion and one not yet valid (beyond 3 minutes of clock skew)", async () => {
    const now = Date.now();
    const expired = sign(requestId, {
      now: new Date(now - 20 * 60_000),
      notBefore: new Date(now - 20 * 60_000),
      notOnOrAfter: new Date(now - 10 * 60_000),
    });
    expect(await refusal(expired)).toMatch(/expired|subject confirmation|NotOnOrAfter/i);
    // A refused response uses up its request: the next case answers a new one.
    const early = sign(await pendingRequest(store), {
      notBefore: new Date(now + 10 * 60_000),
      notOnOrAfter: new Date(now + 20 * 60_000),
    });
    expect(await refusal(early)).toMatch(/not yet valid|subject confirmation|NotBefore/i);
  });
});

function mutateDoc(xml: string): Document {
  let out: Document | undefined;
  mutate(xml, (doc) => {
    out = doc;
  });
  return out as Document;
}
