import { cors as honoCors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";

/** CORS for the configured origins only; no wildcard, since credentials travel in headers. */
export const cors = () =>
  createMiddleware<AppEnv>((c, next) =>
    honoCors({
      origin: (origin) => (c.get("config").corsOrigins.includes(origin) ? origin : null),
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-API-Key", "X-Request-Id"],
      exposeHeaders: [
        "X-Request-Id",
        "Nexus-Region",
        "Location",
        "Retry-After",
        "RateLimit",
        "RateLimit-Policy",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
      ],
      maxAge: 600,
    })(c, next),
  );
