import type { ServiceContext } from "../context";
import { chunksAfter, ownSession } from "./chat-sessions";
import { SSE_KEEPALIVE, sseEvent } from "./stream-format";

/** How often a resumed stream looks for the running turn's next chunks in Postgres. */
export const REPLAY_POLL_MS = 100;
const PAGE = 500;
/** A resumed stream ends after this even if the turn still runs; the client resumes again. */
const MAX_REPLAY_MS = 10 * 60_000;
const KEEPALIVE_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The events of the caller's session after `after` (a Last-Event-ID), from Postgres: what was
 * stored, then, while a turn is still streaming, each chunk as it is stored, until its `done`.
 * Nothing is lost or sent twice: ids are the stored sequence numbers.
 */
export async function resumeStream(
  ctx: ServiceContext,
  sessionId: string,
  after: number,
): Promise<ReadableStream<Uint8Array>> {
  await ownSession(ctx, sessionId);
  let cursor = after;
  const startedAt = Date.now();
  let lastSent = Date.now();
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (cancelled) return;
        const { chunks, streaming } = await chunksAfter(ctx, sessionId, cursor, PAGE);
        if (chunks.length > 0) {
          lastSent = Date.now();
          for (const chunk of chunks) {
            controller.enqueue(sseEvent(chunk.seq, chunk.type, chunk.data));
            cursor = chunk.seq;
            // A turn's `done` ends the resumed stream, as it ends the original one.
            if (chunk.type === "done") {
              controller.close();
              return;
            }
          }
          return;
        }
        if (!streaming || Date.now() - startedAt > MAX_REPLAY_MS) {
          controller.close();
          return;
        }
        if (Date.now() - lastSent > KEEPALIVE_MS) {
          controller.enqueue(SSE_KEEPALIVE);
          lastSent = Date.now();
          return;
        }
        await sleep(REPLAY_POLL_MS);
      }
    },
    cancel() {
      cancelled = true;
    },
  });
}
