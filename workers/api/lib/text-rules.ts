/**
 * What text the API accepts, checked once at the edge for every body, query string and form
 * instead of in each schema: Postgres cannot store NUL in text, a lone surrogate cannot be
 * encoded as UTF-8, and a value JavaScript cannot hold exactly must not be stored rounded.
 */

/** Deeper than any schema of the API goes; bounded so no later recursion (zod, JSON.stringify, jsonb) can overflow. */
export const MAX_JSON_DEPTH = 32;

export interface TextProblem {
  /** Dotted path of the offending field (or query parameter), absent for the document itself. */
  field?: string;
  message: string;
}

export type Utf8Result = { ok: true; text: string } | { ok: false; message: string };

// `ignoreBOM: true` keeps a leading U+FEFF in the text, so it can be refused rather than silently dropped.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The body as text, or why it is not UTF-8 as the API takes it (invalid bytes, a byte order mark). */
export function decodeUtf8(bytes: Uint8Array): Utf8Result {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { ok: false, message: "The request body is not valid UTF-8" };
  }
  if (text.charCodeAt(0) === 0xfeff) {
    return { ok: false, message: "The request body must not start with a byte order mark" };
  }
  return { ok: true, text };
}

const NUL_OR_LONE_SURROGATE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as it is, if it cannot. */
export function stringProblem(value: string): string | undefined {
  const found = NUL_OR_LONE_SURROGATE.exec(value);
  if (!found) return undefined;
  return found[0] === "\0"
    ? "Text must not contain the NUL character (U+0000)"
    : "Text must not contain a lone surrogate (not valid Unicode)";
}

function numberProblem(value: number): string | undefined {
  if (!Number.isFinite(value)) return "Number is too large";
  // Every double beyond 2^53 is an integer, and not every integer there can be held exactly.
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    return `Number must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`;
  }
  return undefined;
}

const joinPath = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

/**
 * The first problem in a parsed JSON document: a string or key with NUL or a lone surrogate, a
 * `__proto__` key (a JavaScript object cannot keep it as data), a number that is not exact, or
 * nesting deeper than MAX_JSON_DEPTH. Iterative, so a hostile depth cannot exhaust the stack.
 */
export function jsonProblem(document: unknown): TextProblem | undefined {
  const pending: { value: unknown; path: string; depth: number }[] = [
    { value: document, path: "", depth: 0 },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path, depth } = next;
    const at = (message: string): TextProblem => (path ? { field: path, message } : { message });
    if (typeof value === "string") {
      const problem = stringProblem(value);
      if (problem) return at(problem);
    } else if (typeof value === "number") {
      const problem = numberProblem(value);
      if (problem) return at(problem);
    } else if (value !== null && typeof value === "object") {
      if (depth >= MAX_JSON_DEPTH) return at(`Nested deeper than ${MAX_JSON_DEPTH} levels`);
      if (Array.isArray(value)) {
        value.forEach((item, index) => {
          pending.push({ value: item, path: joinPath(path, index), depth: depth + 1 });
        });
      } else {
        for (const [key, item] of Object.entries(value)) {
          const keyProblem = key === "__proto__" ? "The key __proto__ is not allowed" : stringProblem(key);
          if (keyProblem)
            return {
              field: joinPath(path, key.replace(/[\0\uD800-\uDFFF]/g, "\uFFFD")),
              message: keyProblem,
            };
          pending.push({ value: item, path: joinPath(path, key), depth: depth + 1 });
        }
      }
    }
  }
  return undefined;
}

/** The first problem among named text values (query parameters, form fields), names included. */
export function fieldsProblem(entries: Iterable<[string, string]>): TextProblem | undefined {
  for (const [name, value] of entries) {
    const problem = stringProblem(name) ?? stringProblem(value);
    if (problem) return { field: name.replace(/[\0\uD800-\uDFFF]/g, "\uFFFD"), message: problem };
  }
  return undefined;
}
