import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";

// Accept a caller's id only when it is safe to echo into logs and headers.
const VALID_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export const requestId = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const incoming = c.req.header("X-Request-Id");
    const id = incoming && VALID_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", id);
    await next();
    // An idempotent replay answers with the first request's id, the one its body carries.
    if (!c.res.headers.has("X-Request-Id")) c.header("X-Request-Id", id);
  });
