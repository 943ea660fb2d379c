import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../lib/errors";

export const MAX_BODY_BYTES = 1024 * 1024;

/** 413 for bodies over 1 MiB, counted on the stream so a missing Content-Length cannot dodge it. */
export const limitBody = () =>
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("PAYLOAD_TOO_LARGE", `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    },
  });

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Bodies under /api are JSON; anything else is refused before a handler reads it. */
export const requireJsonBody = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const method = c.req.method;
    if (method === "POST" || method === "PUT" || method === "PATCH") {
      const type = c.req.header("Content-Type");
      const length = c.req.header("Content-Length");
      const hasBody = type !== undefined || (length !== undefined && length !== "0");
      if (hasBody && !JSON_TYPE.test(type ?? "")) {
        throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "Request bodies must be application/json");
      }
    }
    await next();
  });
