import { ApiError } from "../../lib/errors";

/** After which hit a page starts: its fused score (exact numeric text) and id, and the request it belongs to. */
export interface SearchCursor {
  s: string;
  id: string;
  /** A hash of the request (q, mode, ratio, filter, facets): a cursor serves only its own search. */
  h: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const toBase64Url = (text: string) => {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
};

export function encodeSearchCursor(cursor: SearchCursor): string {
  return toBase64Url(JSON.stringify(cursor));
}

export function decodeSearchCursor(raw: string, requestHash: string): SearchCursor {
  const invalid = (message = "Invalid cursor") =>
    new ApiError("VALIDATION_ERROR", message, { field: "cursor" });
  let parsed: unknown;
  try {
    const binary = atob(raw.replaceAll("-", "+").replaceAll("_", "/"));
    parsed = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw invalid();
  }
  const c = parsed as Partial<SearchCursor> | null;
  if (
    !c ||
    typeof c.s !== "string" ||
    !/^\d+(\.\d+)?$/.test(c.s) ||
    typeof c.id !== "string" ||
    !UUID.test(c.id) ||
    typeof c.h !== "string"
  ) {
    throw invalid();
  }
  if (c.h !== requestHash) {
    throw invalid(
      "This cursor belongs to another search: send the same q, mode, semantic_ratio, filter and facets",
    );
  }
  return { s: c.s, id: c.id, h: c.h };
}

/** FNV-1a over the request's defining parts: not security, only telling searches apart. */
export function requestHash(parts: unknown): string {
  const text = JSON.stringify(parts);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}
