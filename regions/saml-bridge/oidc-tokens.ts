import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";

/**
 * The bridge's OpenID side: RS256 ID tokens the Worker verifies against the bridge's JWKS, as it
 * verifies Okta's. In a region the key comes from a Secret (every replica signs with it); locally
 * it is made at start.
 */
export interface TokenSigner {
  jwks: { keys: JWK[] };
  sign(
    claims: Record<string, unknown>,
    issuer: string,
    audience: string,
    ttlSeconds: number,
  ): Promise<string>;
}

export async function tokenSigner(privateJwk?: JWK): Promise<TokenSigner> {
  let jwk = privateJwk;
  if (!jwk) {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    jwk = { ...(await exportJWK(privateKey)), kid: `bridge-${randomBytes(6).toString("hex")}` };
  }
  if (!jwk.kid) throw new Error("the bridge's signing JWK needs a kid");
  const key = await importJWK({ ...jwk, alg: "RS256" }, "RS256");
  const { kty, n, e, kid } = jwk;
  return {
    jwks: { keys: [{ kty, n, e, kid, alg: "RS256", use: "sig" } as JWK] },
    sign: (claims, issuer, audience, ttlSeconds) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: jwk.kid as string, typ: "JWT" })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key),
  };
}

export const randomToken = (bytes = 32) => randomBytes(bytes).toString("base64url");

/** RFC 7636 S256. */
export const s256 = (verifier: string) => createHash("sha256").update(verifier, "ascii").digest("base64url");

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The SAML attributes most IdPs send, as OIDC claims: first name found wins. */
const EMAIL = ["email", "mail", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"];
const NAME = ["name", "displayName", "http://schemas.microsoft.com/identity/claims/displayname"];
const GROUPS = ["groups", "memberOf", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"];
const EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

export function claimsFromSaml(identity: {
  nameId: string;
  nameIdFormat: string | undefined;
  attributes: Record<string, string[]>;
}): Record<string, unknown> {
  const first = (names: string[]) => names.map((n) => identity.attributes[n]?.[0]).find((v) => v);
  const email = first(EMAIL) ?? (identity.nameIdFormat === EMAIL_FORMAT ? identity.nameId : undefined);
  const groups = GROUPS.flatMap((n) => identity.attributes[n] ?? []);
  return {
    // The NameID is the subject: ask the IdP for a persistent one (an e-mail NameID is mutable).
    sub: identity.nameId,
    ...(email ? { email } : {}),
    ...(first(NAME) ? { name: first(NAME) } : {}),
    groups,
  };
}
