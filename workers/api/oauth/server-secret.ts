import { timingSafeEqual } from "../auth/credentials/constant-time";
import type { Rs256PrivateJwk } from "../auth/jwk";
import { base64url, fromBase64url } from "./encoding";

const keys = new WeakMap<Rs256PrivateJwk, Promise<CryptoKey>>();

/**
 * An HMAC key for the sign-in pages' short-lived values (CSRF tokens, the MFA step's ticket),
 * derived with HKDF from the region's signing key so no second secret has to be provisioned.
 * After a key rotation such values issued before it fail once and the page is shown again.
 */
function pageKey(signingKey: Rs256PrivateJwk): Promise<CryptoKey> {
  let key = keys.get(signingKey);
  if (!key) {
    key = (async () => {
      const material = fromBase64url(signingKey.d);
      if (!material) throw new Error("signing key has no private exponent");
      const ikm = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveKey"]);
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(0),
          info: new TextEncoder().encode("nexus oauth pages v1"),
        },
        ikm,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    keys.set(signingKey, key);
  }
  return key;
}

async function mac(signingKey: Rs256PrivateJwk, text: string): Promise<string> {
  const signature = await crypto.subtle.sign(
    "HMAC",
    await pageKey(signingKey),
    new TextEncoder().encode(text),
  );
  return base64url(new Uint8Array(signature));
}

/** `payload.mac`, where payload is base64url JSON with an `exp` (epoch seconds). */
export async function sealValue(
  signingKey: Rs256PrivateJwk,
  purpose: string,
  value: object,
  ttlSeconds: number,
) {
  const payload = base64url(
    new TextEncoder().encode(
      JSON.stringify({ ...value, p: purpose, exp: Math.floor(Date.now() / 1000) + ttlSeconds }),
    ),
  );
  return `${payload}.${await mac(signingKey, payload)}`;
}

export async function openValue(
  signingKey: Rs256PrivateJwk,
  purpose: string,
  sealed: string | undefined,
): Promise<Record<string, unknown> | null> {
  if (!sealed || sealed.length > 2048) return null;
  const [payload, signature, extra] = sealed.split(".");
  if (!payload || !signature || extra !== undefined) return null;
  const expected = new TextEncoder().encode(await mac(signingKey, payload));
  if (!timingSafeEqual(expected, new TextEncoder().encode(signature))) return null;
  const bytes = fromBase64url(payload);
  if (!bytes) return null;
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (value.p !== purpose || typeof value.exp !== "number" || value.exp < Date.now() / 1000) return null;
    return value;
  } catch {
    return null;
  }
}
