import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { publicRoute } from "../lib/public-routes";
import { errorResponses, jsonResponse, successOf } from "../schemas/common";
import { PresetIdParam, PresetSchema } from "../schemas/preset";
import { getPreset, listPresets } from "../services/presets";
import { successBody } from "./iam-common";

const NEXUS = { tags: ["nexus"], ...publicRoute() };

/** Presets change only with a deployment; five minutes of caching is what a sign-up form needs. */
const CACHE_CONTROL = "public, max-age=300";

const PUBLIC_NOTE =
  " Public: no credential is needed (or read); counted per client address instead of per tenant.";

/** The industry presets an open sign-up offers, with everything a tenant starts with. */
export function registerPresetRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  app.openapi(
    createRoute({
      ...NEXUS,
      method: "get",
      path: `${base}/presets`,
      summary: "List industry presets",
      description: `Every preset with its roles, pipeline, custom fields, regional defaults, events, rooms and plan.${PUBLIC_NOTE}`,
      responses: {
        200: jsonResponse(successOf(z.array(PresetSchema)), "The presets"),
        ...errorResponses(429, 503),
      },
    }),
    (c) => {
      c.header("Cache-Control", CACHE_CONTROL);
      return c.json(successBody(listPresets(), c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...NEXUS,
      method: "get",
      path: `${base}/presets/{id}`,
      summary: "Get an industry preset",
      description: `One preset by id; an unknown id is 404.${PUBLIC_NOTE}`,
      request: { params: PresetIdParam },
      responses: {
        200: jsonResponse(successOf(PresetSchema), "The preset"),
        ...errorResponses(400, 404, 429, 503),
      },
    }),
    (c) => {
      const preset = getPreset(c.req.valid("param").id);
      c.header("Cache-Control", CACHE_CONTROL);
      return c.json(successBody(preset, c.get("requestId")), 200);
    },
  );
}
