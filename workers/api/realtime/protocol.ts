import { z } from "@hono/zod-openapi";
import { unknownEventFilter } from "../events/catalogue";

/**
 * The realtime WebSocket protocol: JSON text frames, one message each, `type` first. What a client
 * may send is checked with these schemas; what the server sends is typed below and documented in
 * the OpenAPI description of GET /api/v1/realtime.
 */

/** Frames above this are refused and the socket closed (1009). */
export const MAX_FRAME_BYTES = 16 * 1024;
/** A chat message's text, in characters. */
export const MAX_TEXT_CHARS = 4000;
/** Rooms one socket may be in at once. */
export const MAX_ROOMS_PER_SOCKET = 20;
/** Event types (or prefixes) one socket may subscribe to. */
export const MAX_SUBSCRIPTIONS = 50;
/** Per connection: a burst of this many frames, refilled at the same number per second. */
export const FRAMES_PER_SECOND = 20;
/** History a resuming client gets at most on join; older gaps are for GET …/messages. */
export const MAX_REPLAY = 500;

const ROOM = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const Room = z.string().regex(ROOM, "Room names are 1–64 lower-case letters, digits and hyphens");

/** `contact.created` (exact) or `contact.` (every contact event). */
const EVENT_PATTERN = /^[a-z][a-z0-9_]*\.([a-z][a-z0-9_]*)?$/;
const EventPattern = z
  .string()
  .regex(EVENT_PATTERN, "An event type (contact.created) or prefix (contact.)")
  .check((ctx) => {
    const problem = EVENT_PATTERN.test(ctx.value) ? unknownEventFilter(ctx.value, ".") : undefined;
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  });

/** A client's own id for a frame, echoed in the ack or error that answers it. */
const Ref = z.string().min(1).max(64).optional();

export const ClientFrame = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("join"),
    room: Room,
    /** The last `seq` this client saw in the room: the messages after it are replayed first. */
    since: z.number().int().min(0).optional(),
    ref: Ref,
  }),
  z.strictObject({ type: z.literal("leave"), room: Room, ref: Ref }),
  z.strictObject({
    type: z.literal("message"),
    room: Room,
    text: z.string().trim().min(1).max(MAX_TEXT_CHARS),
    ref: Ref,
  }),
  z.strictObject({ type: z.literal("typing"), room: Room }),
  z.strictObject({
    type: z.literal("subscribe"),
    /** Replaces the socket's subscriptions; [] ends them. */
    event_types: z.array(EventPattern).max(MAX_SUBSCRIPTIONS),
    ref: Ref,
  }),
  z.strictObject({ type: z.literal("ping"), ref: Ref }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export interface ChatFrame {
  type: "message";
  room: string;
  id: string;
  seq: number;
  user_id: string;
  text: string;
  sent_at: string;
}

export type ServerFrame =
  | { type: "welcome"; connection_id: string; user_id: string; shard: number; limits: Record<string, number> }
  | { type: "joined"; room: string; ref?: string; online: string[]; last_seq: number; replayed: number }
  | { type: "left"; room: string; ref?: string }
  | { type: "ack"; ref?: string; room: string; id: string; seq: number }
  | ChatFrame
  | { type: "typing"; room: string; user_id: string }
  | { type: "presence"; room: string; joins: string[]; leaves: string[] }
  | { type: "subscribed"; ref?: string; event_types: string[] }
  | { type: "event"; event: unknown }
  | { type: "pong"; ref?: string }
  | { type: "error"; code: string; message: string; ref?: string };

/** Whether an event type matches a subscription (exact, or a `noun.` prefix). */
export function matchesSubscription(eventType: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith(".") ? eventType.startsWith(p) : eventType === p));
}

/** WebSocket close codes the server uses (4000–4999 are the application's). */
export const CLOSE = {
  tooBig: 1009,
  revoked: 4001,
  badFrame: 4002,
  tooFast: 4008,
} as const;
