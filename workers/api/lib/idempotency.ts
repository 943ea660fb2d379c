import { ApiError } from "./errors";

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";
/** How long a recorded response is replayed (API.md). */
export const IDEMPOTENCY_TTL_HOURS = 24;

/**
 * What a POST route does with `Idempotency-Key`: `optional` records and replays when the client
 * sends one, `required` refuses a request without one (payment initiation), `refused` answers 400
 * to one (routes whose response carries a secret, which must not be stored for replay).
 */
export type IdempotencyMode = "optional" | "required" | "refused";

const KEY_PARAMETER = {
  name: IDEMPOTENCY_HEADER,
  in: "header",
  schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7E]+$" },
  description:
    "A client-chosen unique key (1–255 visible ASCII characters, e.g. a UUID) that makes this POST " +
    `safe to retry: the first response (status and body) is stored for ${IDEMPOTENCY_TTL_HOURS} h and replayed ` +
    `byte for byte with \`${REPLAYED_HEADER}: true\`. The same key with another method, path, query ` +
    "or body answers 422 `IDEMPOTENCY_KEY_REUSED`; while the first request is still running, 409 " +
    "`IDEMPOTENCY_KEY_IN_USE`. Keys are scoped to the tenant and the credential. The key is recorded " +
    "in the same transaction as the request's changes; refusals (400, 401, 403, 413, 415, 429) and " +
    "failures (5xx, or a database error) are not recorded, so the key can be retried.",
} as const;

/** The OpenAPI components the declarations below refer to (registered once by the app). */
export const IDEMPOTENCY_PARAMETERS = {
  IdempotencyKey: { ...KEY_PARAMETER, required: false },
  IdempotencyKeyRequired: { ...KEY_PARAMETER, required: true },
} as const;

/**
 * What a POST route spreads into its `createRoute` config, like `guardedBy`: the mode the
 * idempotency middleware enforces (`x-idempotency`) and the header in the document, from one
 * declaration. Such a route also lists 409 and 422 in its responses.
 */
export function acceptsIdempotencyKey(mode: "optional" | "required" = "optional") {
  const ref = mode === "required" ? "IdempotencyKeyRequired" : "IdempotencyKey";
  return {
    "x-idempotency": mode,
    parameters: [{ $ref: `#/components/parameters/${ref}` }] as { $ref: string }[],
  } as const;
}

/** For a route whose response carries a secret shown once: a key is refused with 400. */
export function refusesIdempotencyKey() {
  return { "x-idempotency": "refused" } as const;
}

/** The sentence such a route adds to its description. */
export const REFUSES_IDEMPOTENCY_KEY =
  " The response carries a secret shown once, which is never stored for replay: a request with " +
  `\`${IDEMPOTENCY_HEADER}\` is refused with 400 (\`VALIDATION_ERROR\`, field \`${IDEMPOTENCY_HEADER}\`).`;

/**
 * Each POST route's mode by its path as Hono matches it (`/api/v1/x/:id`), filled from the
 * OpenAPI registry once every route is registered. A POST route that declares nothing refuses
 * keys: silently ignoring one would let a client believe a retry is safe.
 */
export class IdempotencyRoutes {
  private readonly modes = new Map<string, IdempotencyMode>();

  add(route: { method: string; path: string; "x-idempotency"?: unknown }): void {
    if (route.method.toLowerCase() !== "post") return;
    const declared = route["x-idempotency"];
    const mode: IdempotencyMode =
      declared === "optional" || declared === "required" || declared === "refused" ? declared : "refused";
    // The same conversion @hono/zod-openapi applies when it registers the route.
    this.modes.set(route.path.replaceAll(/\/{(.+?)}/g, "/:$1"), mode);
  }

  modeOf(honoPath: string): IdempotencyMode | undefined {
    return this.modes.get(honoPath);
  }
}

const VISIBLE_ASCII = /^[\x21-\x7E]{1,255}$/;

/** The key as sent, or a 400 naming the header. */
export function validIdempotencyKey(value: string): string {
  if (VISIBLE_ASCII.test(value)) return value;
  throw new ApiError(
    "VALIDATION_ERROR",
    `${IDEMPOTENCY_HEADER} must be 1–255 visible ASCII characters (no spaces)`,
    { field: IDEMPOTENCY_HEADER },
  );
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 (hex) of method, path with query, and the body's bytes: what "the same request" means. */
export async function requestFingerprint(method: string, pathAndQuery: string, body: ArrayBuffer) {
  const head = encoder.encode(`${method.toUpperCase()} ${pathAndQuery}\n`);
  const whole = new Uint8Array(head.length + body.byteLength);
  whole.set(head, 0);
  whole.set(new Uint8Array(body), head.length);
  return hex(await crypto.subtle.digest("SHA-256", whole));
}

/**
 * A signed 64-bit advisory lock id (as a decimal string) for one key of one credential of one
 * tenant. A collision only makes two unrelated keys wait for each other (a 409), never mix them.
 */
export async function idempotencyLockId(tenantId: string, credential: string, key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(`${tenantId}\n${credential}\n${key}`));
  return new DataView(digest).getBigInt64(0).toString();
}

/** Text as a SQL expression made of hex digits only: safe to place in SQL text. */
export function hexTextLiteral(value: string): string {
  return `convert_from(decode('${hex(encoder.encode(value))}', 'hex'), 'UTF8')`;
}

/**
 * Responses that are the request's outcome and so are recorded: success and the handler's own
 * 4xx (404, 409, 422…). Refusals before or instead of running it are not, nor any 5xx.
 */
export function isRecordedStatus(status: number): boolean {
  return status < 500 && ![400, 401, 403, 405, 413, 415, 429].includes(status);
}
