import { z } from "@hono/zod-openapi";
import { Room } from "../realtime/protocol";
import { ListQuery, queryInteger } from "./common";

export const RealtimeTicket = z
  .object({
    ticket: z.string().openapi({ description: "Single use, valid for expires_in seconds." }),
    expires_at: z.string(),
    expires_in: z.number().int(),
    url: z.string().openapi({ description: "Where to open the WebSocket: wss://…/api/v1/realtime?ticket=…" }),
  })
  .openapi("RealtimeTicket");

export const RealtimeConnectQuery = z.object({
  ticket: z
    .string()
    .max(200)
    .openapi({ param: { name: "ticket", in: "query" }, description: "From POST /api/v1/realtime/tickets." }),
});

export const RoomParam = z.object({
  room: Room.openapi({ param: { name: "room", in: "path" }, example: "front-desk" }),
});

export const ChatHistoryQuery = ListQuery.omit({ include_total: true }).extend({
  since_seq: queryInteger({ min: 0 })
    .optional()
    .openapi({
      param: { name: "since_seq", in: "query" },
      description:
        "Only messages after this seq (what a client that missed more than a join replays fills in).",
    }),
});

export const ChatMessage = z
  .object({
    id: z.uuid(),
    room: z.string(),
    seq: z
      .number()
      .int()
      .openapi({ description: "The room's order: 1, 2, 3… (a failed write may leave a gap)." }),
    user_id: z.uuid(),
    text: z.string(),
    sent_at: z.string(),
  })
  .openapi("ChatMessage");
