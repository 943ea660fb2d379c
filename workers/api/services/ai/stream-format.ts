/**
 * The agent stream format, version 1 (`x-agent-stream-version: 1`): server-sent events whose
 * `id:` is the event's sequence number in its session (increasing across turns, never reused),
 * `event:` its type, `data:` one JSON object. Types, in the order a turn sends them:
 *
 * - `start` {session_id, turn_id, message_id, agent_id, agent_version, model, inference_region}
 * - `text-delta` {delta}
 * - `tool-call` {tool_call_id, name, input}
 * - `tool-result` {tool_call_id, name, output} or {tool_call_id, name, error: {code, message}}
 * - `step-finish` {type: "model", usage: {input_tokens, output_tokens, estimated}, finish_reason}
 * - `error` {code, message}
 * - `done` {status: completed | cancelled | failed, message_id, usage: {input_tokens, output_tokens}}
 *
 * Every event is stored in the home region's Postgres before it is sent, so a client that
 * reconnects with Last-Event-ID gets exactly the events after it.
 */
export const AGENT_STREAM_VERSION = "1";

export const STREAM_EVENT_TYPES = [
  "start",
  "text-delta",
  "tool-call",
  "tool-result",
  "step-finish",
  "error",
  "done",
] as const;
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

const encoder = new TextEncoder();

export function sseEvent(seq: number, type: string, data: unknown): Uint8Array {
  return encoder.encode(`id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A comment line: keeps proxies from closing an idle stream. */
export const SSE_KEEPALIVE = encoder.encode(": keepalive\n\n");

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache, no-transform",
  "x-agent-stream-version": AGENT_STREAM_VERSION,
} as const;
