import type { IncomingMessage, ServerResponse } from "node:http";

// Reading bounded request bodies and writing answers (JSON, HTML, redirects).

/** Thrown when a body is larger than the limit; the router answers 413 in the provider's shape. */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

/** Reads the whole body, refusing past `limit` bytes without buffering the excess. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers["content-length"] ?? 0) > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(`request body exceeds ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off("data", onData);
      req.resume();
      reject(new BodyTooLargeError(`request body exceeds ${limit} bytes`));
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks, Math.min(size, limit))));
    req.once("error", reject);
  });
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** How to serialise a JSON body: Stripe pretty-prints its answers, the others do not. */
  pretty?: boolean;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body, headers };
}

export function html(status: number, page: string): Reply {
  return { status, body: page, headers: { "content-type": "text/html; charset=utf-8" } };
}

/** 303 See Other: the browser follows with a GET, as after a real provider's payment page. */
export function seeOther(location: string): Reply {
  return { status: 303, headers: { location }, body: "" };
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const isText = typeof reply.body === "string";
  const payload = isText
    ? (reply.body as string)
    : reply.body === undefined
      ? ""
      : JSON.stringify(reply.body, null, reply.pretty ? 2 : undefined);
  const headers: Record<string, string | number> = {
    "cache-control": "no-store",
    ...(isText || reply.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }),
    ...reply.headers,
    "content-length": Buffer.byteLength(payload),
  };
  res.writeHead(reply.status, headers);
  res.end(payload);
}
