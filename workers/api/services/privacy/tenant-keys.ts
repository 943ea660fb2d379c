import { decodeBase64 } from "../../auth/credentials/base64";

/**
 * The tenant-level keys of the privacy key hierarchy (docs/privacy-keys.md), derived with HKDF
 * from the region's DATA_ENCRYPTION_KEY and the tenant id, never stored: the key-encryption key
 * that wraps each subject's data key, and the HMAC key of blind indexes. Deriving rather than
 * storing them means a database dump holds no key that opens anything, and a tenant's keys cannot
 * open another tenant's rows.
 */

/** Bumped when the derivation changes; stored beside each wrapped key (subject_keys.kek_version). */
export const KEK_VERSION = 1;

const SALT = new TextEncoder().encode("nexus-edge privacy keys");
/** Derived keys per isolate: a derivation costs two HKDF rounds, a request may need it many times. */
const derived = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED = 2000;

function importRoot(rootKeyBase64: string): Promise<CryptoKey> {
  const raw = decodeBase64(rootKeyBase64.trim().replace(/=+$/, ""));
  if (raw?.length !== 32) throw new Error("DATA_ENCRYPTION_KEY must be 32 bytes, base64");
  return crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
}

function cached(id: string, derive: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key = derived.get(id);
  if (!key) {
    if (derived.size >= MAX_CACHED) derived.clear();
    key = derive();
    // A failed derivation (bad secret) is not remembered: the next call reports it again.
    key.catch(() => derived.delete(id));
    derived.set(id, key);
  }
  return key;
}

async function derive(
  rootKeyBase64: string,
  info: string,
  algorithm: Parameters<SubtleCrypto["deriveKey"]>[2],
  usages: Parameters<SubtleCrypto["deriveKey"]>[4],
): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: SALT, info: new TextEncoder().encode(info) },
    await importRoot(rootKeyBase64),
    algorithm,
    false,
    usages,
  );
}

/** The tenant's key-encryption key (AES-256-GCM): wraps and unwraps its subjects' data keys. */
export function tenantKeyEncryptionKey(rootKeyBase64: string, tenantId: string): Promise<CryptoKey> {
  const info = `kek v${KEK_VERSION} ${tenantId}`;
  return cached(`${rootKeyBase64}|${info}`, () =>
    derive(rootKeyBase64, info, { name: "AES-GCM", length: 256 }, ["encrypt", "decrypt"]),
  );
}

/** The tenant's blind-index key (HMAC-SHA-256): equal inputs give equal indexes, per tenant only. */
export function tenantBlindIndexKey(rootKeyBase64: string, tenantId: string): Promise<CryptoKey> {
  const info = `blind-index v1 ${tenantId}`;
  return cached(`${rootKeyBase64}|${info}`, () =>
    derive(rootKeyBase64, info, { name: "HMAC", hash: "SHA-256", length: 256 }, ["sign"]),
  );
}
