import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../lib/errors";
import type { RequestShapes } from "../lib/request-shapes";
import { decodeUtf8, fieldsProblem, jsonProblem, type TextProblem } from "../lib/text-rules";

export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const FORM_TYPE = /^(?:application\/x-www-form-urlencoded|multipart\/form-data)\s*(?:;|$)/i;

const tooLarge = () => new ApiError("PAYLOAD_TOO_LARGE", `Request body exceeds ${MAX_BODY_BYTES} bytes`);
const refused = (problem: TextProblem) => ApiError.validation([problem]);

/**
 * The body's bytes, read once and counted on the stream (a missing or false Content-Length cannot
 * dodge the 1 MiB limit); undefined when the request has no body.
 */
async function readLimited(request: Request): Promise<Uint8Array | undefined> {
  if (!request.body) return undefined;
  const declared = Number(request.headers.get("Content-Length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/**
 * Hands the checked bytes on: Hono's body cache answers c.req.arrayBuffer()/text()/json()/
 * parseBody() from them, and a fresh raw request carries them for a forward to another region.
 */
function keep(c: Context<AppEnv>, bytes: Uint8Array, text: string): void {
  const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
  cache.arrayBuffer = Promise.resolve(bytes.buffer);
  cache.text = Promise.resolve(text);
  if (c.req.method !== "GET" && c.req.method !== "HEAD") c.req.raw = new Request(c.req.raw, { body: bytes });
}

/** Reads and checks the text of a body: UTF-8 without BOM, then the text rules of its type. */
async function checkedBody(c: Context<AppEnv>, bytes: Uint8Array, type: string): Promise<void> {
  const decoded = decodeUtf8(bytes);
  if (!decoded.ok) throw new ApiError("BAD_REQUEST", decoded.message);
  keep(c, bytes, decoded.text);
  if (JSON_TYPE.test(type)) {
    let document: unknown;
    try {
      document = JSON.parse(decoded.text);
    } catch {
      throw new ApiError("BAD_REQUEST", "Malformed JSON in request body");
    }
    const problem = jsonProblem(document);
    if (problem) throw refused(problem);
  } else if (FORM_TYPE.test(type)) {
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      throw new ApiError("BAD_REQUEST", "Malformed form body");
    }
    const fields = Object.entries(form).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value])
        .filter((v): v is string => typeof v === "string")
        .map((v): [string, string] => [name, v]),
    );
    const problem = fieldsProblem(fields);
    if (problem) throw refused(problem);
  }
}

/** An empty body is kept as it is (the raw stream is spent), a non-empty one checked. */
function checkedOrEmpty(c: Context<AppEnv>, bytes: Uint8Array, type: string): Promise<void> {
  if (bytes.byteLength > 0) return checkedBody(c, bytes, type);
  keep(c, bytes, "");
  return Promise.resolve();
}

function queryProblem(c: Context<AppEnv>): TextProblem | undefined {
  return fieldsProblem(
    Object.entries(c.req.queries()).flatMap(([name, values]) =>
      values.map((v): [string, string] => [name, v]),
    ),
  );
}

/**
 * The body rules of /api, by what the matched route declares (RequestShapes): at most 1 MiB;
 * a JSON route takes only application/json (415, with or without Content-Type or length); a route
 * that takes no body refuses one (400); and the text is UTF-8 without BOM, with no NUL, lone
 * surrogate, `__proto__` key, inexact number or nesting past 32 levels (400). Unmatched requests
 * pass untouched to the 404/405 answer.
 */
export const apiBodyRules = (shapes: RequestShapes) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const shape = shapes.of(c);
    if (!shape) return next();
    const bytes = await readLimited(c.req.raw);
    const type = c.req.header("Content-Type");
    const hasBody = bytes !== undefined && bytes.byteLength > 0;
    if (shape.body === "none") {
      if (hasBody) {
        throw new ApiError("BAD_REQUEST", `${c.req.method} ${c.req.path} takes no request body`);
      }
    } else if (
      (type !== undefined || hasBody) &&
      !(shape.body === "json" ? JSON_TYPE : FORM_TYPE).test(type ?? "")
    ) {
      throw new ApiError(
        "UNSUPPORTED_MEDIA_TYPE",
        shape.body === "json" ? "Request bodies must be application/json" : "Request bodies must be a form",
      );
    }
    if (bytes) await checkedOrEmpty(c, bytes, type ?? "");
    const problem = queryProblem(c);
    if (problem) throw refused(problem);
    await next();
  });

/**
 * The same limit and text rules for the OAuth endpoints' forms and query strings. A 400 there
 * is answered by the endpoint's own format (`respond`), never the API envelope.
 */
export const oauthBodyRules = (
  respond: (c: Context<AppEnv>, message: string) => Response | Promise<Response>,
) =>
  createMiddleware<AppEnv>(async (c, next) => {
    try {
      const bytes = await readLimited(c.req.raw);
      if (bytes) await checkedOrEmpty(c, bytes, c.req.header("Content-Type") ?? "");
      const problem = queryProblem(c);
      if (problem) throw refused(problem);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        const detail = error.details[0];
        return respond(c, detail?.field ? `${detail.field}: ${detail.message}` : error.message);
      }
      throw error;
    }
    await next();
  });
