import type { IncomingHttpHeaders } from "node:http";
import type { Reply } from "./http-io";

// A small route table: `/v1/checkout/sessions/:id` patterns, matched in order.

export interface RequestContext {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  params: Record<string, string>;
  body: Buffer;
}

export type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;
/** A provider route, given the API key the caller authenticated with. */
export type KeyedHandler = (ctx: RequestContext, key: string) => Reply | Promise<Reply>;

export interface Route<H = Handler> {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: H;
}

export function route<H = Handler>(method: string, path: string, handler: H): Route<H> {
  const names: string[] = [];
  const source = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:(\w+)/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { method, pattern: new RegExp(`^${source}/?$`), names, handler };
}

/** The first route whose method and path match, with its decoded path parameters. */
export function match<H>(
  routes: readonly Route<H>[],
  method: string,
  path: string,
): { route: Route<H>; params: Record<string, string> } | undefined {
  for (const candidate of routes) {
    if (candidate.method !== method && !(candidate.method === "GET" && method === "HEAD")) continue;
    const found = candidate.pattern.exec(path);
    if (!found) continue;
    try {
      const params = Object.fromEntries(
        candidate.names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? "")]),
      );
      return { route: candidate, params };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** The bearer token, or the user part of Basic auth (how Stripe also accepts a key: `sk_…:`). */
export function presentedKey(ctx: RequestContext): string | undefined {
  const authorization = header(ctx, "authorization")?.trim();
  if (!authorization) return undefined;
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon === -1 ? decoded : decoded.slice(0, colon);
  }
  return "";
}

/** Appends query parameters to a merchant URL, keeping the ones it already has. */
export function withQuery(url: string, params: Record<string, string>): string {
  const target = new URL(url);
  for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
  return target.toString();
}
