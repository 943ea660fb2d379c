import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { GRANT_HEADER } from "../../../durable-objects/tenant-hub";
import { type ConnectionGrant, realtimeShard, tenantHub } from "../../../durable-objects/tenant-hub-client";
import type { AppEnv } from "../app-env";
import { grantedPermissions, guardedBy } from "../auth/permissions";
import { ApiError } from "../lib/errors";
import { forwardToRegion } from "../lib/forward-to-region";
import { REFUSES_IDEMPOTENCY_KEY, refusesIdempotencyKey } from "../lib/idempotency";
import { publicRoute } from "../lib/public-routes";
import { serviceContext } from "../lib/service-context";
import {
  FRAMES_PER_SECOND,
  MAX_FRAME_BYTES,
  MAX_REPLAY,
  MAX_ROOMS_PER_SOCKET,
  MAX_TEXT_CHARS,
} from "../realtime/protocol";
import { formatTicket, parseTicket } from "../realtime/ticket";
import { errorResponses, jsonResponse, listOf, successOf } from "../schemas/common";
import {
  ChatHistoryQuery,
  ChatMessage,
  RealtimeConnectQuery,
  RealtimeTicket,
  RoomParam,
} from "../schemas/realtime";
import { listChatMessages } from "../services/chat-history";
import { pageBody, successBody } from "./iam-common";

const REALTIME = { tags: ["realtime"] };

export const REALTIME_TAG = {
  name: "realtime",
  description:
    "Per-tenant WebSocket rooms: chat with history, typing, presence, and live domain events. Get a " +
    "single-use ticket (30 s) with POST /api/v1/realtime/tickets, then open `GET /api/v1/realtime?ticket=…` " +
    "as a WebSocket (no bearer token in URLs). Browsers must send an `Origin` from CORS_ORIGINS. One socket " +
    "joins several rooms. Client frames (JSON text): `{type:'join', room, since?}` (since: the last seq seen; " +
    "the messages after it are replayed before live ones, without gaps or duplicates), `{type:'leave', room}`, " +
    "`{type:'message', room, text, ref?}` (answered by `{type:'ack', ref, id, seq}` once stored in the home " +
    "region), `{type:'typing', room}`, `{type:'subscribe', event_types:['contact.', 'lead.converted']}` (replaces " +
    "the set; prefixes end in a dot), `{type:'ping'}`. Server frames: welcome, joined (online user ids, last_seq, " +
    "replayed), left, ack, message (room, id, seq, user_id, text, sent_at; seq orders a room), typing, presence " +
    "(joins, leaves), subscribed, event (the platform event), pong, error (code, message, ref). Limits: frames " +
    `${MAX_FRAME_BYTES} bytes (else close 1009), ${FRAMES_PER_SECOND} frames a second per socket (else close ` +
    `4008), ${MAX_ROOMS_PER_SOCKET} rooms per socket, ${MAX_TEXT_CHARS} characters a message, ${MAX_REPLAY} ` +
    "messages replayed on join (page further back with the messages route). A client's close is answered " +
    "at once with its code and reason. A removed member or a revoked " +
    "token loses its sockets (close 4001) within REALTIME_RECHECK_SECONDS (15 s). Connections are spread " +
    "over RealtimeShard objects (REALTIME_SHARD_CAPACITY sockets each) behind the tenant's TenantHub.",
};

/** The Origin allowlist (CORS_ORIGINS) for browsers; clients that send no Origin are not browsers. */
const allowedOrigin = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header("Origin");
  if (origin && !c.get("config").corsOrigins.includes(origin)) {
    throw new ApiError("FORBIDDEN", `Origin ${origin} may not open realtime connections`);
  }
  await next();
});

export function registerRealtimeRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  app.openapi(
    createRoute({
      ...REALTIME,
      security: [{ bearerAuth: [] }],
      ...guardedBy("realtime.read"),
      ...refusesIdempotencyKey(),
      method: "post",
      path: `${base}/tickets`,
      summary: "Get a WebSocket ticket",
      description:
        "A single-use ticket, valid 30 s, bound to the signed-in user and tenant, for GET /api/v1/realtime. " +
        "Signed-in users only (not API keys or client credentials); posting messages needs `realtime.write`." +
        REFUSES_IDEMPOTENCY_KEY,
      responses: {
        201: jsonResponse(successOf(RealtimeTicket), "The ticket and the URL to connect to"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const actor = c.get("actor");
      const claims = c.get("claims");
      if (actor?.credential !== "access_token" || !claims) {
        throw new ApiError("FORBIDDEN", "Realtime connections are for signed-in users (an access token)");
      }
      const config = c.get("config");
      const namespace = c.env.TENANT_HUB;
      if (!namespace) throw new Error("TENANT_HUB binding is missing");
      const hub = tenantHub(
        namespace,
        { region: config.region, localRuntime: config.localRuntime },
        actor.tenantId,
      );
      let issued: { secret: string; expiresAt: number };
      try {
        issued = await hub.issueTicket({
          tenantId: actor.tenantId,
          region: config.region,
          userId: actor.userId,
          permissions: grantedPermissions(actor),
          jti: claims.jti,
          sessionId: claims.sessionId,
        });
      } catch (cause) {
        throw ApiError.unavailable("Realtime is unavailable", 2, cause);
      }
      const ticket = formatTicket(config.region, actor.tenantId, issued.secret);
      const url = new URL(`${base}?ticket=${ticket}`, config.regionUrls[config.region]);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      c.header("Cache-Control", "no-store");
      return c.json(
        successBody(
          {
            ticket,
            expires_at: new Date(issued.expiresAt).toISOString(),
            expires_in: Math.round((issued.expiresAt - Date.now()) / 1000),
            url: url.toString(),
          },
          c.get("requestId"),
        ),
        201,
      );
    },
  );

  // Declared in the document like every route, served by a plain handler: an upgrade answers a
  // 101 with the socket, which is no JSON response.
  app.openAPIRegistry.registerPath({
    ...REALTIME,
    ...publicRoute(),
    method: "get",
    path: base,
    summary: "Open a realtime WebSocket",
    description:
      "WebSocket upgrade (`Upgrade: websocket`) with a ticket; the protocol is in the `realtime` tag. No " +
      "bearer token: the ticket is the credential (single use; 401 when invalid, used or expired). A ticket " +
      "of the other region's tenant is forwarded there. Counted per client address like the public routes.",
    request: { query: RealtimeConnectQuery },
    responses: {
      101: { description: "Switching protocols: the socket is open" },
      ...errorResponses(400, 401, 403, 429, 503, 508),
    },
  });
  app.get(base, allowedOrigin, async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError("BAD_REQUEST", "Expected a WebSocket upgrade (Upgrade: websocket)");
    }
    const parsed = parseTicket(c.req.query("ticket") ?? "");
    if (!parsed) throw ApiError.unauthenticated("Invalid realtime ticket");
    const config = c.get("config");
    if (parsed.region !== config.region) return forwardToRegion(c, parsed.region);
    const { TENANT_HUB: hubs, REALTIME_SHARD: shards } = c.env;
    if (!hubs || !shards) throw new Error("TENANT_HUB or REALTIME_SHARD binding is missing");
    const placement = { region: config.region, localRuntime: config.localRuntime };
    const hub = tenantHub(hubs, placement, parsed.tenantId);
    let grant: ConnectionGrant | null;
    try {
      grant = await hub.redeem(parsed.secret);
    } catch (cause) {
      throw ApiError.unavailable("Realtime is unavailable", 2, cause);
    }
    if (!grant) throw ApiError.unauthenticated("Invalid, used or expired realtime ticket");
    // The Worker hands the upgrade to the shard itself: the socket's frames then run client ↔
    // Worker ↔ shard, not through the hub as well. No permessage-deflate: frames are small, and
    // compressing each copy of a fanned-out message per socket costs more CPU than it saves.
    const headers = new Headers(c.req.raw.headers);
    headers.delete("Sec-WebSocket-Extensions");
    headers.set(GRANT_HEADER, JSON.stringify(grant));
    let response: Response;
    try {
      response = await realtimeShard(shards, placement, parsed.tenantId, grant.shard).fetch(
        new Request(c.req.url, { method: "GET", headers }),
      );
    } catch (cause) {
      await hub.connectionFailed(grant.connectionId);
      throw ApiError.unavailable("Realtime is unavailable", 2, cause);
    }
    if (response.status !== 101) await hub.connectionFailed(grant.connectionId);
    return response;
  });

  app.openapi(
    createRoute({
      ...REALTIME,
      security: [{ bearerAuth: [] }],
      ...guardedBy("realtime.read"),
      method: "get",
      path: `${base}/rooms/{room}/messages`,
      summary: "A room's chat history",
      description:
        "Newest first (by seq), keyset pagination with `cursor` and `limit`; `since_seq` keeps only what came " +
        "after a seq. Stored in the tenant's home region only.",
      request: { params: RoomParam, query: ChatHistoryQuery },
      responses: {
        200: jsonResponse(listOf(ChatMessage), "A page of messages"),
        ...errorResponses(400, 401, 403, 429, 503),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listChatMessages(serviceContext(c), c.req.valid("param").room, {
        limit: q.limit,
        cursor: q.cursor,
        sinceSeq: q.since_seq,
      });
      return c.json(pageBody(page, q.limit, c.get("requestId")), 200);
    },
  );
}
