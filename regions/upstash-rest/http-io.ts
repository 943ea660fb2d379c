import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./errors";

// Reading bounded bodies and writing JSON answers. Every answer, success or failure, is JSON:
// @upstash/redis JSON-parses non-2xx bodies too and reports anything else as a parse error.

/**
 * Reads the whole body, refusing (413) past `limit` bytes without buffering the excess. The rest of
 * an oversized body is read and discarded rather than the socket destroyed, so the client still
 * receives the JSON 413 instead of a connection reset.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) return Promise.reject(new HttpError(413, tooLarge(limit)));
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
      req.off("end", onEnd);
      req.resume();
      reject(new HttpError(413, tooLarge(limit)));
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on("data", onData);
    req.on("end", onEnd);
    req.once("error", reject);
  });
}

function tooLarge(limit: number): string {
  return `ERR request body exceeds the ${limit} byte limit`;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
  });
  res.end(payload);
}
