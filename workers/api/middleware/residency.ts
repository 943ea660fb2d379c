import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { forwardToRegion } from "../lib/forward-to-region";

/**
 * A request is served only from its tenant's home region: a credential naming another region is
 * forwarded there (body streamed through, response passed back), so no data is ever read from
 * or written to the wrong database.
 */
export const residency = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const home = c.get("homeRegion");
    if (!home || home === c.get("config").region) return next();
    return forwardToRegion(c, home);
  });
