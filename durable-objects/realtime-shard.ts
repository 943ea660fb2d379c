import { DurableObject } from "cloudflare:workers";
import { regionDatabase } from "../db/client";
import { loadConfig } from "../workers/api/env";
import { hiddenWithout } from "../workers/api/events/visibility";
import { logError } from "../workers/api/lib/log-error";
import {
  type ChatFrame,
  CLOSE,
  ClientFrame,
  FRAMES_PER_SECOND,
  MAX_FRAME_BYTES,
  MAX_REPLAY,
  MAX_ROOMS_PER_SOCKET,
  matchesSubscription,
  type ServerFrame,
} from "../workers/api/realtime/protocol";
import type { PlatformEvent } from "../workers/api/schemas/event";
import { chatMessagesAfter } from "../workers/api/services/chat-history";
import { type ConnectionGrant, GRANT_HEADER, type TenantHub } from "./tenant-hub";
import { tenantHub } from "./tenant-hub-client";

/** What a socket carries through hibernation (serializeAttachment): ids, room names, patterns. */
interface SocketState {
  grant: ConnectionGrant;
  rooms: string[];
  subscriptions: string[];
}

/** A joining socket that is being replayed to: live messages wait here, then go out after the replay. */
interface Replay {
  buffered: string[];
}

/**
 * Holds WebSockets of one tenant (up to the hub's shard capacity) with the Hibernation API: an
 * idle shard is evicted from memory while its sockets stay open, and wakes for the next frame.
 * It checks each client frame (size, schema, rate, permission, room limit), asks the tenant's
 * TenantHub to order and fan out, and delivers what the hub sends to its own sockets.
 */
export class RealtimeShard extends DurableObject<Env> {
  /** room → sockets here in it; rebuilt from the attachments after a wake. */
  readonly #rooms = new Map<string, Set<WebSocket>>();
  readonly #replays = new Map<WebSocket, Map<string, Replay>>();
  /**
   * After a replay, the last seq it sent, per socket and room: a message the history read already
   * held can still be on its way here from the hub (stored before the read, fanned out after the
   * join ended), and must not go out twice. Dropped at the first live message past it (the hub
   * delivers a room's messages in seq order).
   */
  readonly #replayFloors = new Map<WebSocket, Map<string, number>>();
  readonly #buckets = new WeakMap<WebSocket, { tokens: number; at: number }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const ws of ctx.getWebSockets()) {
      const state = ws.deserializeAttachment() as SocketState | null;
      for (const room of state?.rooms ?? []) this.#index(room).add(ws);
    }
  }

  override async fetch(request: Request): Promise<Response> {
    const grant = JSON.parse(request.headers.get(GRANT_HEADER) ?? "null") as ConnectionGrant | null;
    if (!grant) return new Response("Not a redeemed ticket", { status: 400 });
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [grant.connectionId, `user:${grant.userId}`]);
    server.serializeAttachment({ grant, rooms: [], subscriptions: [] } satisfies SocketState);
    this.#send(server, {
      type: "welcome",
      connection_id: grant.connectionId,
      user_id: grant.userId,
      shard: grant.shard,
      limits: {
        max_frame_bytes: MAX_FRAME_BYTES,
        max_rooms: MAX_ROOMS_PER_SOCKET,
        frames_per_second: FRAMES_PER_SECOND,
        max_replay: MAX_REPLAY,
      },
    });
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const size = typeof message === "string" ? new TextEncoder().encode(message).length : message.byteLength;
    if (size > MAX_FRAME_BYTES) return ws.close(CLOSE.tooBig, `Frames are at most ${MAX_FRAME_BYTES} bytes`);
    if (!this.#take(ws)) return ws.close(CLOSE.tooFast, `More than ${FRAMES_PER_SECOND} frames a second`);
    const state = ws.deserializeAttachment() as SocketState;
    let frame: ClientFrame;
    try {
      const parsed = ClientFrame.safeParse(
        JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)),
      );
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return this.#send(ws, {
          type: "error",
          code: "VALIDATION_ERROR",
          message: `${issue?.path.join(".") || "frame"}: ${issue?.message ?? "invalid"}`,
        });
      }
      frame = parsed.data;
    } catch {
      return this.#send(ws, { type: "error", code: "BAD_REQUEST", message: "Frames are JSON text" });
    }
    try {
      await this.#handle(ws, state, frame);
    } catch (error) {
      logError("realtime frame failed", undefined, error, { type: frame.type });
      this.#send(ws, {
        type: "error",
        code: "SERVICE_UNAVAILABLE",
        message: "Could not process the frame; retry",
        ...("ref" in frame && frame.ref ? { ref: frame.ref } : {}),
      });
    }
  }

  async #handle(ws: WebSocket, state: SocketState, frame: ClientFrame): Promise<void> {
    const ref = "ref" in frame && frame.ref !== undefined ? { ref: frame.ref } : {};
    const hub = this.#hub(state.grant);
    switch (frame.type) {
      case "ping":
        return this.#send(ws, { type: "pong", ...ref });
      case "subscribe":
        if (!state.grant.permissions.includes("events.read")) {
          return this.#send(ws, {
            type: "error",
            code: "FORBIDDEN",
            message: "Your role may not follow events",
            ...ref,
          });
        }
        state.subscriptions = [...new Set(frame.event_types)];
        ws.serializeAttachment(state);
        return this.#send(ws, { type: "subscribed", event_types: state.subscriptions, ...ref });
      case "typing":
        if (!state.rooms.includes(frame.room)) return this.#notIn(ws, frame.room);
        return hub.typing(state.grant, frame.room);
      case "leave":
        if (!state.rooms.includes(frame.room)) return this.#notIn(ws, frame.room, ref);
        state.rooms = state.rooms.filter((r) => r !== frame.room);
        ws.serializeAttachment(state);
        this.#rooms.get(frame.room)?.delete(ws);
        await hub.leave(state.grant, frame.room);
        return this.#send(ws, { type: "left", room: frame.room, ...ref });
      case "message": {
        if (!state.grant.permissions.includes("realtime.write")) {
          return this.#send(ws, {
            type: "error",
            code: "FORBIDDEN",
            message: "Your role may not post messages",
            ...ref,
          });
        }
        if (!state.rooms.includes(frame.room)) return this.#notIn(ws, frame.room, ref);
        const posted = await hub.post(state.grant, frame.room, frame.text);
        return this.#send(ws, { type: "ack", room: frame.room, id: posted.id, seq: posted.seq, ...ref });
      }
      case "join":
        return this.#join(ws, state, frame.room, frame.since, ref);
    }
  }

  /**
   * Joining with `since` replays what the room said after it, then goes live, without a gap or a
   * duplicate: the socket is in the room (so live messages reach it) before the history is read,
   * live messages wait while the replay runs, and the buffered ones at or below the last replayed
   * seq are dropped.
   */
  async #join(
    ws: WebSocket,
    state: SocketState,
    room: string,
    since: number | undefined,
    ref: { ref?: string },
  ) {
    if (!state.rooms.includes(room)) {
      if (state.rooms.length >= MAX_ROOMS_PER_SOCKET) {
        return this.#send(ws, {
          type: "error",
          code: "BAD_REQUEST",
          message: `A socket is in at most ${MAX_ROOMS_PER_SOCKET} rooms`,
          ...ref,
        });
      }
      state.rooms = [...state.rooms, room];
      ws.serializeAttachment(state);
    }
    const replay: Replay = { buffered: [] };
    if (since !== undefined) this.#replaysOf(ws).set(room, replay);
    this.#index(room).add(ws);
    let replayed = 0;
    try {
      const { online, lastSeq } = await this.#hub(state.grant).join(state.grant, room);
      if (since !== undefined) {
        let last = since;
        for (const message of await this.#history(state.grant, room, since)) {
          ws.send(JSON.stringify(message));
          last = message.seq;
          replayed++;
        }
        for (const text of replay.buffered) {
          const seq = (JSON.parse(text) as { seq?: number }).seq;
          if (seq === undefined || seq > last) {
            ws.send(text);
            if (seq !== undefined) last = seq;
          }
        }
        if (last > since) this.#floorsOf(ws).set(room, last);
      }
      this.#send(ws, { type: "joined", room, online, last_seq: lastSeq, replayed, ...ref });
    } finally {
      this.#replays.get(ws)?.delete(room);
    }
  }

  async #history(grant: ConnectionGrant, room: string, since: number): Promise<ChatFrame[]> {
    const rows = await chatMessagesAfter(
      regionDatabase(loadConfig(this.env)),
      grant.tenantId,
      room,
      since,
      MAX_REPLAY,
    );
    return rows.map((row) => ({ type: "message", ...row }));
  }

  /** From the hub: one serialised frame to every socket here in `room`. */
  deliver(room: string, text: string): void {
    for (const ws of this.#rooms.get(room) ?? []) {
      const replay = this.#replays.get(ws)?.get(room);
      if (replay) {
        replay.buffered.push(text);
        continue;
      }
      const floors = this.#replayFloors.get(ws);
      const floor = floors?.get(room);
      if (floors && floor !== undefined) {
        const seq = (JSON.parse(text) as { seq?: number }).seq;
        if (seq !== undefined && seq <= floor) continue;
        floors.delete(room);
      }
      this.#trySend(ws, text);
    }
  }

  /** From the hub: domain events, to the sockets here subscribed to their types. */
  deliverEvents(events: readonly PlatformEvent[]): void {
    for (const ws of this.ctx.getWebSockets()) {
      const state = ws.deserializeAttachment() as SocketState | null;
      if (!state || state.subscriptions.length === 0) continue;
      // As the event log: what the socket's own grant may not read is not shown (hiddenWithout).
      const hidden = hiddenWithout(state.grant.permissions);
      for (const event of events) {
        if (hidden.some((prefix) => event.event_type.startsWith(prefix))) continue;
        if (matchesSubscription(event.event_type, state.subscriptions)) {
          this.#trySend(ws, JSON.stringify({ type: "event", event }));
        }
      }
    }
  }

  /** From the hub: close these connections (revoked access). */
  close(connectionIds: readonly string[], code: number, reason: string): void {
    for (const id of connectionIds) for (const ws of this.ctx.getWebSockets(id)) ws.close(code, reason);
  }

  /** The connections this shard holds now (the hub prunes the ones it lost). */
  connectionIds(): string[] {
    return this.ctx
      .getWebSockets()
      .map((ws) => (ws.deserializeAttachment() as SocketState | null)?.grant.connectionId)
      .filter((id): id is string => id !== undefined);
  }

  /**
   * A client's close frame is answered with the same code: without it the runtime leaves the
   * handshake open and the client sees 1006 when its own timeout gives up (about 10 s later).
   * 1005 (no code sent) and 1006 may not be sent back, so those are answered with 1000.
   */
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed from this side (a close we started, or an auto-reply).
    }
    await this.#gone(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.#gone(ws);
  }

  async #gone(ws: WebSocket): Promise<void> {
    const state = ws.deserializeAttachment() as SocketState | null;
    for (const sockets of this.#rooms.values()) sockets.delete(ws);
    this.#replays.delete(ws);
    this.#replayFloors.delete(ws);
    if (state) await this.#hub(state.grant).disconnected(state.grant);
  }

  #hub(grant: ConnectionGrant): DurableObjectStub<TenantHub> {
    const namespace = this.env.TENANT_HUB;
    if (!namespace) throw new Error("TENANT_HUB binding is missing");
    return tenantHub(
      namespace,
      { region: grant.region, localRuntime: loadConfig(this.env).localRuntime },
      grant.tenantId,
    );
  }

  #index(room: string): Set<WebSocket> {
    let sockets = this.#rooms.get(room);
    if (!sockets) {
      sockets = new Set();
      this.#rooms.set(room, sockets);
    }
    return sockets;
  }

  #floorsOf(ws: WebSocket): Map<string, number> {
    let floors = this.#replayFloors.get(ws);
    if (!floors) {
      floors = new Map();
      this.#replayFloors.set(ws, floors);
    }
    return floors;
  }

  #replaysOf(ws: WebSocket): Map<string, Replay> {
    let replays = this.#replays.get(ws);
    if (!replays) {
      replays = new Map();
      this.#replays.set(ws, replays);
    }
    return replays;
  }

  /** Token bucket per socket (in memory: a wake starts it full, which only ever errs generous once). */
  #take(ws: WebSocket): boolean {
    const now = Date.now();
    const bucket = this.#buckets.get(ws) ?? { tokens: FRAMES_PER_SECOND, at: now };
    bucket.tokens = Math.min(
      FRAMES_PER_SECOND,
      bucket.tokens + ((now - bucket.at) / 1000) * FRAMES_PER_SECOND,
    );
    bucket.at = now;
    this.#buckets.set(ws, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  #notIn(ws: WebSocket, room: string, ref: { ref?: string } = {}): void {
    this.#send(ws, { type: "error", code: "BAD_REQUEST", message: `Join ${room} first`, ...ref });
  }

  #send(ws: WebSocket, frame: ServerFrame): void {
    this.#trySend(ws, JSON.stringify(frame));
  }

  #trySend(ws: WebSocket, text: string): void {
    try {
      ws.send(text);
    } catch {
      // Closing or closed: its close handler cleans up.
    }
  }
}
