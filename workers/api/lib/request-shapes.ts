import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/** What a route's request may carry: a JSON body, a form body, or none. */
export type BodyKind = "json" | "form" | "none";

export interface RequestShape {
  body: BodyKind;
  /** The query parameters the route declares; any other is refused. */
  query: ReadonlySet<string>;
}

interface DeclaredRoute {
  method: string;
  path: string;
  request?: { query?: unknown; body?: { content?: Record<string, unknown> } };
}

function bodyKind(content: Record<string, unknown> | undefined): BodyKind {
  const types = Object.keys(content ?? {});
  if (types.some((t) => /^application\/(?:[\w.-]+\+)?json$/i.test(t))) return "json";
  if (types.length > 0) return "form";
  return "none";
}

function queryKeys(query: unknown): string[] {
  const shape = (query as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * Each route's declared request by method and path as Hono matches it (`/api/v1/x/:id`), filled
 * from the OpenAPI registry once every route is registered (as PublicRoutes is): the body and
 * query rules of the edge follow what the document says, for routes added later too.
 */
export class RequestShapes {
  private readonly shapes = new Map<string, RequestShape>();

  add(route: DeclaredRoute): void {
    // The same conversion @hono/zod-openapi applies when it registers the route.
    const path = route.path.replaceAll(/\/{(.+?)}/g, "/:$1");
    this.shapes.set(`${route.method.toUpperCase()} ${path}`, {
      body: bodyKind(route.request?.body?.content),
      query: new Set(queryKeys(route.request?.query)),
    });
  }

  /** The shape of the route this request matched; undefined when none did (404 or 405 answers). */
  of(c: Context): RequestShape | undefined {
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    for (const route of matchedRoutes(c)) {
      if (route.method !== method) continue;
      const shape = this.shapes.get(`${method} ${route.path}`);
      if (shape) return shape;
    }
    return undefined;
  }
}
