import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/**
 * What a route open to anyone spreads into its `createRoute` config, like `guardedBy`: no
 * credential is read (`security: []` in the document), `x-public: true` is what the
 * authenticate and rate-limit middleware act on, and `x-permission: public` keeps the rule that
 * every route declares its access. Only for data that is the same for every caller and tenant
 * (what an open sign-up form reads): such a route has no actor, so no tenant and no database.
 */
export function publicRoute(options: { countsItsOwnRequests?: boolean } = {}) {
  return {
    "x-public": true,
    // A route that counts its callers itself, by something better than the address (the provider
    // webhook intake counts per connection): the rate-limit middleware leaves it alone.
    ...(options.countsItsOwnRequests ? { "x-rate-limited-by-handler": true as const } : {}),
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
  private readonly selfCounted = new Set<string>();

  add(route: {
    method: string;
    path: string;
    "x-public"?: unknown;
    "x-rate-limited-by-handler"?: unknown;
  }): void {
    if (route["x-public"] !== true) return;
    // The same conversion @hono/zod-openapi applies when it registers the route.
    const key = `${route.method.toUpperCase()} ${route.path.replaceAll(/\/{(.+?)}/g, "/:$1")}`;
    this.routes.add(key);
    if (route["x-rate-limited-by-handler"] === true) this.selfCounted.add(key);
  }

  /** Whether the public route this request matched counts its own requests (publicRoute's option). */
  countsItsOwn(c: Context): boolean {
    return matchedIn(c, this.selfCounted);
  }

  has(method: string, honoPath: string): boolean {
    return this.routes.has(`${method.toUpperCase()} ${honoPath}`);
  }

  /** Whether the route this request matched (not merely its URL) was declared public. */
  matches(c: Context): boolean {
    return matchedIn(c, this.routes);
  }
}

/** Whether a route this request matched (HEAD as GET) is among `keys` ("METHOD /hono/:path"). */
function matchedIn(c: Context, keys: ReadonlySet<string>): boolean {
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  return matchedRoutes(c).some((r) => r.method === method && keys.has(`${method} ${r.path}`));
}
