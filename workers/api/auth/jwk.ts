import { z } from "zod";

/**
 * JWK members that are key material nobody but the signer may hold: RSA private exponent and CRT
 * values, extra primes (RFC 7518 §6.3.2), the EC private key `d` (§6.2.2) and a symmetric key `k`
 * (§6.4). Anything that publishes keys checks for these, whatever the key type claims to be.
 */
export const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** Smallest RSA modulus RS256 allows (RFC 7518 §3.3): 2048 bits, as base64url of 256 bytes. */
const MIN_RSA_MODULUS_BYTES = 256;

export interface Jwk {
  kty: string;
  kid?: string;
  [member: string]: unknown;
}

export function privateMembersOf(jwk: Record<string, unknown>): string[] {
  return PRIVATE_JWK_MEMBERS.filter((member) => member in jwk);
}

/** A copy safe to publish. Defence in depth: config parsing already refuses private members. */
export function withoutPrivateMembers(jwk: Jwk): Jwk {
  const copy: Jwk = { ...jwk };
  for (const member of PRIVATE_JWK_MEMBERS) delete copy[member];
  return copy;
}

const publicOnly = (jwk: Record<string, unknown>, ctx: z.RefinementCtx) => {
  const found = privateMembersOf(jwk);
  if (found.length > 0) {
    // Names only, never values: this message ends up in logs.
    ctx.addIssue({
      code: "custom",
      message: `holds private key material (${found.join(", ")}); publish public keys only`,
    });
  }
};

/** Any published key, as the Worker's JWKS var may hold it: a JWK (RFC 7517 requires `kty`), public. */
export const publishedJwkSchema = z.looseObject({ kty: z.string().min(1) }).superRefine(publicOnly);

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/, "must be base64url");

const rs256Members = {
  kty: z.literal("RSA"),
  kid: z.string().min(1).max(128),
  alg: z.literal("RS256"),
  use: z.literal("sig").optional(),
  n: base64url.refine(
    (n) => Math.floor((n.length * 3) / 4) >= MIN_RSA_MODULUS_BYTES,
    "RSA modulus must be at least 2048 bits",
  ),
  e: base64url,
};

/** A key a region may publish and sign with: RSA, RS256, named by `kid` (API.md "Authentication"). */
export const rs256PublicJwkSchema = z.looseObject(rs256Members).superRefine(publicOnly);
export type Rs256PublicJwk = z.infer<typeof rs256PublicJwkSchema>;

/** What `JWT_SIGNING_KEY` holds: the private half of a published key; its `kid` goes in every token. */
export const rs256PrivateJwkSchema = z.looseObject({
  ...rs256Members,
  d: base64url,
  p: base64url,
  q: base64url,
  dp: base64url,
  dq: base64url,
  qi: base64url,
});
export type Rs256PrivateJwk = z.infer<typeof rs256PrivateJwkSchema>;

/** The public half of a private JWK, as it is published. */
export function publicHalf(jwk: Rs256PrivateJwk): Rs256PublicJwk {
  return rs256PublicJwkSchema.parse(withoutPrivateMembers(jwk));
}
