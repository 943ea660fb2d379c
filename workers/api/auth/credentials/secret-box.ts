import { decodeBase64, encodeBase64 } from "./base64";

/**
 * Encrypts small secrets kept in Postgres (TOTP seeds) with AES-256-GCM under the region's
 * `DATA_ENCRYPTION_KEY`, so a database dump alone does not let anyone mint MFA codes. The row's
 * id is the additional data: a ciphertext copied onto another user's row does not decrypt.
 * Format: `v1.<iv b64>.<ciphertext+tag b64>`; the version leaves room for key rotation.
 */
const VERSION = "v1";
const IV_BYTES = 12;

const keys = new Map<string, Promise<CryptoKey>>();

function importKey(rawBase64: string): Promise<CryptoKey> {
  let key = keys.get(rawBase64);
  if (!key) {
    const raw = decodeBase64(rawBase64.trim().replace(/=+$/, ""));
    if (raw?.length !== 32) throw new Error("DATA_ENCRYPTION_KEY must be 32 bytes, base64");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(rawBase64, key);
  }
  return key;
}

export async function sealSecret(keyBase64: string, plaintext: string, boundTo: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(boundTo) },
    await importKey(keyBase64),
    new TextEncoder().encode(plaintext),
  );
  return `${VERSION}.${encodeBase64(iv)}.${encodeBase64(new Uint8Array(sealed))}`;
}

/** Throws on anything that is not a ciphertext of this key for this row: corrupt data is loud. */
export async function openSecret(keyBase64: string, sealed: string, boundTo: string): Promise<string> {
  const [version, ivText, bodyText] = sealed.split(".");
  const iv = decodeBase64(ivText ?? "");
  const body = decodeBase64(bodyText ?? "");
  if (version !== VERSION || !iv || iv.length !== IV_BYTES || !body)
    throw new TypeError("Unrecognised sealed secret");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(boundTo) },
    await importKey(keyBase64),
    body,
  );
  return new TextDecoder().decode(plain);
}
