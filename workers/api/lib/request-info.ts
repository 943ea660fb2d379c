import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { RequestInfo } from "../services/identity/request-info";
import { clientIp } from "./client-ip";

/** What the audit log keeps about a request: address, user agent (truncated), request id. */
export function requestInfo(c: Context<AppEnv>): RequestInfo {
  return {
    ip: clientIp(c.req.raw.headers),
    userAgent: c.req.header("User-Agent")?.slice(0, 256) ?? null,
    requestId: c.get("requestId"),
  };
}
