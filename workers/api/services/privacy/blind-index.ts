import { encodeBase64 } from "../../auth/credentials/base64";
import { tenantBlindIndexKey } from "./tenant-keys";

/**
 * Blind indexes (docs/privacy-keys.md): an HMAC of a field's normalised value under the tenant's
 * index key, stored beside the field's ciphertext so the API can filter on equality without the
 * database ever holding the value. Per tenant, so equal values in two tenants do not match; the
 * field name is part of the input, so a phone index cannot answer another field's query.
 */
export async function blindIndex(
  rootKey: string,
  tenantId: string,
  field: string,
  normalised: string,
): Promise<string> {
  const mac = await crypto.subtle.sign(
    "HMAC",
    await tenantBlindIndexKey(rootKey, tenantId),
    new TextEncoder().encode(`${field}\u0000${normalised}`),
  );
  return encodeBase64(new Uint8Array(mac));
}

/**
 * A phone number as it is compared: digits only, with a leading `+` kept, so `+49 30 1234-5678`
 * and `+4930 12345678` are one number. Numbers written with and without the country code differ.
 */
export function normalisePhone(phone: string): string {
  const trimmed = phone.trim();
  return (trimmed.startsWith("+") ? "+" : "") + trimmed.replace(/[^0-9]/g, "");
}
