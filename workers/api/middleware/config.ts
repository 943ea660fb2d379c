import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { loadConfig } from "../env";

export const config = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const cfg = loadConfig(c.env);
    c.set("config", cfg);
    await next();
    // Which region answered: forwarded requests keep the home region's value.
    if (!c.res.headers.has("Nexus-Region")) c.header("Nexus-Region", cfg.region);
  });
