import { sql } from "drizzle-orm";
import { inject } from "vitest";
import { type CallInit, call, tokenFor } from "./helpers";
import { asTenant } from "./oauth-helpers";
import { limitedTenant, only } from "./rate-limit-helpers";

export interface StreamEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads server-sent events from a response body; stops after `max` events (a client dropping
 * the connection: the reader is cancelled) or at the end of the stream.
 */
export async function readEvents(res: Response, max = Number.POSITIVE_INFINITY): Promise<StreamEvent[]> {
  if (!res.body) throw new Error("no body");
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: StreamEvent[] = [];
  let buffer = "";
  try {
    while (events.length < max) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0 && events.length < max) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = new Map<string, string>();
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
        }
        if (fields.has("data")) {
          events.push({
            id: Number(fields.get("id")),
            event: fields.get("event") ?? "message",
            data: JSON.parse(fields.get("data") ?? "{}") as Record<string, unknown>,
          });
        }
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

export const textOf = (events: StreamEvent[]) =>
  events
    .filter((e) => e.event === "text-delta")
    .map((e) => e.data.delta)
    .join("");

/** A tenant of its own (EU unless said), with an owner's token. */
export async function aiTenant(
  options: {
    tier?: "starter" | "professional" | "enterprise";
    region?: "eu" | "lagos";
    industry?: string;
  } = {},
) {
  const tenantId = await limitedTenant(only({}), options.tier ?? "enterprise");
  if (options.region === "lagos" || options.industry) {
    await asTenant(
      tenantId,
      sql`update tenants set region = ${options.region ?? "eu"}, industry = ${options.industry ?? null},
            country = ${options.region === "lagos" ? "NG" : "DE"}, default_currency = ${options.region === "lagos" ? "NGN" : "EUR"}
          where id = ${tenantId}`,
    );
  }
  const userId = crypto.randomUUID();
  const token = await tokenFor({ tenantId, userId, region: options.region ?? "eu" });
  return { tenantId, userId, token };
}

export const chat = (token: string, body: Record<string, unknown>, init: CallInit = {}) =>
  call("/api/v1/agents/chat", {
    method: "POST",
    token,
    json: body,
    ...init,
    headers: { Accept: "text/event-stream", ...(init.headers as Record<string, string> | undefined) },
  });

export interface StandInRecord {
  deployment: string;
  model: string;
  prompt: string;
}

/** What the model stand-in recorded: which deployment each prompt reached, and dropped streams. */
export async function standIn(): Promise<{ requests: StandInRecord[]; aborted: number; completed: number }> {
  const res = await fetch(`${inject("modelStandInUrl")}/__standin/requests`);
  return (await res.json()) as { requests: StandInRecord[]; aborted: number; completed: number };
}

export const until = async <T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
