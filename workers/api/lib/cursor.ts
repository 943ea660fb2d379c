import { ApiError } from "./errors";

/**
 * Opaque keyset cursors: base64url of the sort key of the last row returned. Keyset (not offset)
 * paging keeps pages stable while rows are inserted and costs one index range scan per page.
 */
export interface CursorKey {
  /** ISO timestamp of the last row's sort column. */
  t: string;
  /** Its id, the tie-breaker. */
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(key: CursorKey): string {
  const bytes = new TextEncoder().encode(JSON.stringify(key));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): CursorKey {
  const invalid = () => new ApiError("VALIDATION_ERROR", "Invalid cursor", { field: "cursor" });
  if (cursor.length > 256) throw invalid();
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const parsed: unknown = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))),
    );
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "t" in parsed &&
      "id" in parsed &&
      typeof parsed.t === "string" &&
      typeof parsed.id === "string" &&
      UUID.test(parsed.id) &&
      !Number.isNaN(Date.parse(parsed.t))
    ) {
      return { t: parsed.t, id: parsed.id };
    }
  } catch {
    // fall through: any decoding failure is the client's malformed cursor
  }
  throw invalid();
}
