import { timingSafeEqual } from "../auth/credentials/constant-time";
import { base64url, sha256 } from "./encoding";

/** RFC 7636 §4.1: 43–128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** A S256 challenge is the base64url of a SHA-256: exactly 43 characters. */
export const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** S256 only (OAuth 2.1 §4.1.1: `plain` is refused at the authorization endpoint). */
export async function verifyPkce(verifier: string, challenge: string): Promise<boolean> {
  if (!VERIFIER.test(verifier)) return false;
  const computed = new TextEncoder().encode(base64url(await sha256(verifier)));
  return timingSafeEqual(computed, new TextEncoder().encode(challenge));
}
