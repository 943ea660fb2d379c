import { uuidFromHex } from "../lib/uuid-hex";
import { base64url, fromBase64url, sha256Hex } from "./encoding";

/**
 * Codes and refresh tokens are opaque to clients but carry their tenant's id in their first 16
 * bytes, so the server can set the tenant for row-level security before looking them up; the
 * other 32 bytes are random. Only a SHA-256 of the whole string is stored.
 */
export type OpaqueKind = "code" | "refresh";
const PREFIX: Record<OpaqueKind, string> = { code: "nxac_", refresh: "nxrt_" };

/** base64url of the tenant's 16 bytes followed by 32 random bytes (256 bits): 64 characters. */
export function tenantTaggedSecret(tenantId: string): string {
  const bytes = new Uint8Array(48);
  const hex = tenantId.replaceAll("-", "");
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  crypto.getRandomValues(bytes.subarray(16));
  return base64url(bytes);
}

/** The tenant of a tenantTaggedSecret, or null when the text is not one. */
export function tenantOfTaggedSecret(text: string): string | null {
  const bytes = fromBase64url(text);
  if (bytes?.length !== 48) return null;
  const hex = [...bytes.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return uuidFromHex(hex);
}

export function mintOpaqueToken(kind: OpaqueKind, tenantId: string): string {
  return PREFIX[kind] + tenantTaggedSecret(tenantId);
}

/** The tenant a token names, or null when the string is not a token of this kind. */
export function tenantOfOpaqueToken(kind: OpaqueKind, token: string): string | null {
  if (token.length > 128 || !token.startsWith(PREFIX[kind])) return null;
  return tenantOfTaggedSecret(token.slice(PREFIX[kind].length));
}

export const hashOpaqueToken = sha256Hex;
