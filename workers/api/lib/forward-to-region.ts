import type { Context } from "hono";
import type { RegionId } from "../../../regions/registry";
import type { AppEnv } from "../app-env";
import {
  FORWARDED_CLIENT_HEADER,
  FORWARDED_FROM_HEADER,
  forwardedClientAssertion,
} from "../auth/forwarded-client";
import { tracedFetch } from "../observability/traced-fetch";
import { clientIp } from "./client-ip";
import { ApiError } from "./errors";

// Connection-level and platform headers that must not be replayed to another origin.
const DROPPED_HEADERS = [
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "cf-connecting-ip",
  "cf-ray",
  "cf-worker",
  "x-forwarded-host",
];

/**
 * Sends this request to the same path in region `home` and passes its response back: the one
 * way a request reaches a tenant's data from another region. The client's address travels as
 * this region's signed statement; a request that was itself forwarded is refused (508), so two
 * regions that disagree about a home can never bounce a request between them.
 *
 * `body` replaces the request's own when a handler has already read it (activation reads the
 * country to find the home); otherwise the body is streamed through.
 *
 * The home region has `regionForwardTimeoutMs` to start its response (the status and headers; a
 * WebSocket upgrade's 101 alike), the request body's upload included; past it the client gets 503
 * with Retry-After and the forward is aborted. Only the start is bounded: once the headers are in,
 * the deadline is cleared, so a response body that streams for long (server-sent events) or a
 * socket that stays open is never cut by it.
 */
export async function forwardToRegion(c: Context<AppEnv>, home: RegionId, body?: string): Promise<Response> {
  const config = c.get("config");
  if (c.req.header(FORWARDED_FROM_HEADER)) {
    throw new ApiError("LOOP_DETECTED", "Request was already forwarded between regions");
  }

  const incoming = new URL(c.req.url);
  const target = new URL(incoming.pathname + incoming.search, config.regionUrls[home]);
  const headers = new Headers(c.req.raw.headers);
  const upgrade = c.req.header("Upgrade")?.toLowerCase() === "websocket";
  // A WebSocket upgrade keeps its Upgrade header: the home region opens the socket.
  for (const name of DROPPED_HEADERS) if (!(upgrade && name === "upgrade")) headers.delete(name);
  headers.set(FORWARDED_FROM_HEADER, config.region);
  // Whatever the client sent under this name is dropped; only this region's own statement goes.
  headers.delete(FORWARDED_CLIENT_HEADER);
  const assertion = await forwardedClientAssertion(config, home, clientIp(c.req.raw.headers));
  if (assertion) headers.set(FORWARDED_CLIENT_HEADER, assertion);
  headers.set("X-Request-Id", c.get("requestId"));
  if (body !== undefined) headers.delete("content-length");
  // The client's trace context is never passed on as ours; tracedFetch sets this region's span.
  headers.delete("traceparent");
  headers.delete("tracestate");

  const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
  const deadline = new AbortController();
  const timeoutMs = config.regionForwardTimeoutMs;
  const timer = setTimeout(() => deadline.abort(new ForwardTimeout(timeoutMs)), timeoutMs);
  let response: Response;
  try {
    response = await tracedFetch(
      { name: `forward to ${home}`, attributes: { "nexus.home_region": home }, propagate: true },
      target,
      {
        method: c.req.method,
        headers,
        body: hasBody ? (body ?? c.req.raw.body) : null,
        redirect: "manual",
        signal: deadline.signal,
      },
    );
  } catch (cause) {
    if (deadline.signal.aborted) {
      // The home region may have applied a write it did not answer in time: a retry should carry
      // an Idempotency-Key, as after any 503 of a write.
      throw ApiError.unavailable(`Home region ${home} did not answer within ${timeoutMs} ms`, 5, cause);
    }
    throw ApiError.unavailable(`Home region ${home} is unreachable`, 5, cause);
  } finally {
    clearTimeout(timer);
  }
  // The socket the home region opened, passed through as it is.
  if (response.webSocket) return response;
  // fetch() already decoded the body, so its encoding headers no longer describe it; the
  // runtime re-encodes for this client. Rewrapped because fetch responses are immutable.
  const responseHeaders = new Headers(response.headers);
  responseHeaders.delete("content-encoding");
  responseHeaders.delete("content-length");
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: responseHeaders,
  });
}

/** The reason a forward was aborted: the home region did not start its answer in time. */
class ForwardTimeout extends Error {
  override name = "TimeoutError";
  constructor(timeoutMs: number) {
    super(`no response from the home region within ${timeoutMs} ms`);
  }
}
