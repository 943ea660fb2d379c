import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/**
 * What a route open to anyone spreads into its `createRoute` config, like `guardedBy`: no
 * credential is read (`security: []` in the document), `x-public: true` is what the
 * authenticate and rate-limit middleware act on, and `x-permission: public` keeps the rule that
 * every route declares its access. Only for data that is the same for every caller and tenant
 * (what an open sign-up form reads): such a route has no actor, so no tenant and no database.
 */
export function publicRoute() {
  return {
    "x-public": true,
    "x-permission": "public",
    // An empty list, not an absent one: the operation overrides any document-wide requirement.
    security: [] as Record<string, string[]>[],
  } as const;
}

/**
 * The public routes by method and path as Hono matches them (`/api/v1/x/:id`), filled from the
 * OpenAPI registry once every route is registered (as IdempotencyRoutes is). A route that does
 * not declare `x-public: true` is not public: authentication is the default.
 */
export class PublicRoutes {
  private readonly routes = new Set<string>();

  add(route: { method: string; path: string; "x-public"?: unknown }): void {
    if (route["x-public"] !== true) return;
    // The same conversion @hono/zod-openapi applies when it registers the route.
    this.routes.add(`${route.method.toUpperCase()} ${route.path.replaceAll(/\/{(.+?)}/g, "/:$1")}`);
  }

  has(method: string, honoPath: string): boolean {
    return this.routes.has(`${method.toUpperCase()} ${honoPath}`);
  }

  /** Whether the route this request matched (not merely its URL) was declared public. */
  matches(c: Context): boolean {
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    return matchedRoutes(c).some((r) => r.method === method && this.has(method, r.path));
  }
}
