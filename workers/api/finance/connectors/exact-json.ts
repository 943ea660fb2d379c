/**
 * JSON with numbers kept as their exact decimal text, both ways (TC39 "JSON.parse source text
 * access", in V8 and so in workerd): Flutterwave takes and answers amounts as JSON numbers in major
 * units, and a round trip through a double would make `1250.10` a float before money.ts sees it.
 */

interface JsonSourceContext {
  source?: string;
}

interface JsonWithSourceText {
  rawJSON(text: string): unknown;
  parse(
    text: string,
    reviver: (key: string, value: unknown, context?: JsonSourceContext) => unknown,
  ): unknown;
}

const json = JSON as unknown as JsonWithSourceText;

/** A JSON number written exactly as `decimal` ("1250.00" stays `1250.00` on the wire). */
export function jsonNumber(decimal: string): unknown {
  if (!/^-?(0|[1-9]\d*)(\.\d+)?$/.test(decimal)) throw new TypeError(`Not a decimal: ${decimal}`);
  return json.rawJSON(decimal);
}

/** Parses JSON with every number replaced by its source text (`100.50` → "100.50"). */
export function parseJsonExact(text: string): unknown {
  return json.parse(text, (_key, value, context) => {
    if (typeof value !== "number") return value;
    // Without source access the shortest round-trip form is still exact for amounts below 2^53 cents.
    return context?.source ?? String(value);
  });
}

/** The same over bytes that must be UTF-8 (a webhook body): anything else throws. */
export function parseJsonExactBytes(bytes: Uint8Array): unknown {
  return parseJsonExact(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
}
