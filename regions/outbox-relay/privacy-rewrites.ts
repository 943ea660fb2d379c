import { DeliverPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import type pg from "pg";
import { eventSubject } from "./subjects";

/**
 * Takes a person's erased events out of the region's stream (privacy_stream_purges rows with
 * `event_ids`, migration 0032; workers/api/services/privacy/stores/events.ts). The stream denies
 * deleting single messages and a person's events share their subjects with everyone else's, so
 * for each subject holding an erased event the relay re-publishes the subject's messages — the
 * erased events as the outbox now holds them (redacted), the others unchanged — and then purges
 * that subject up to its last old message. Re-publishing first means a crash in between leaves
 * duplicates (de-duplicated by id on the retry), never a loss; consumers see the re-published
 * messages again, marked `Nexus-Rewritten: <request id>`, with their event ids unchanged.
 */
export interface RewriteRow {
  id: string;
  request_id: string;
  tenant_id: string;
  event_ids: string[];
}

interface ErasedEvent {
  id: string;
  event_type: string;
  source: string | null;
  body: string;
  relayed: boolean;
}

/** Answers how many messages were rewritten, or undefined while an erased event is not relayed yet. */
export async function rewriteErasedEvents(
  pool: pg.Pool,
  jsm: JetStreamManager,
  o: { region: string; stream: string },
  row: RewriteRow,
): Promise<number | undefined> {
  const { rows: events } = await pool.query<ErasedEvent>(
    `select id, event_type, payload->>'source' as source, payload::text as body, relayed_at is not null as relayed
     from outbox_events where tenant_id = $1 and id = any($2::uuid[])`,
    [row.tenant_id, row.event_ids],
  );
  // An event still waiting for the relay goes out redacted; one being published now must land first.
  if (events.some((e) => !e.relayed)) return undefined;
  const redacted = new Map(events.map((e) => [e.id, e.body]));
  const subjects = new Set(events.map((e) => eventSubject(o.region, row.tenant_id, e.source, e.event_type)));
  const js = jsm.jetstream();
  const encoder = new TextEncoder();
  let rewritten = 0;
  for (const subject of subjects) {
    const last = await jsm.streams.getMessage(o.stream, { last_by_subj: subject }).catch(() => null);
    if (!last) continue;
    const consumer = await js.consumers.get(o.stream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.All,
    });
    const kept: { id: string; data: Uint8Array; traceparent?: string }[] = [];
    const copyId = `.rw.${row.request_id}`;
    // A retry after a crash finds this request's copies already there: they are not copied
    // again, and the purge stops below the first of them.
    let firstCopy: number | undefined;
    let holdsErased = false;
    for (let done = false; !done; ) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        // Read up to the subject's last message at the start; events published since stay as they are.
        if (m.seq >= last.seq) done = true;
        if (m.seq > last.seq) continue;
        const msgId = m.headers?.get("Nats-Msg-Id") ?? "";
        if (msgId.endsWith(copyId)) {
          firstCopy ??= m.seq;
          continue;
        }
        // The event's id, also when an earlier erasure re-published the message (`<id>.rw.<request>`).
        const id = msgId.split(".rw.")[0] ?? "";
        const body = redacted.get(id);
        if (body !== undefined) holdsErased = true;
        const traceparent = m.headers?.get("traceparent");
        kept.push({
          id,
          data: body === undefined ? m.data : encoder.encode(body),
          ...(traceparent ? { traceparent } : {}),
        });
      }
      if (got === 0) done = true;
    }
    await consumer.delete().catch(() => undefined);
    if (!holdsErased) continue;
    for (const message of kept) {
      const h = headers();
      h.set("Nexus-Rewritten", row.request_id);
      if (message.traceparent) h.set("traceparent", message.traceparent);
      // Its own de-duplication key: the original id is still in the stream's window, and a
      // retry's second copy of the same message is dropped as a duplicate.
      await js.publish(subject, message.data, { msgID: `${message.id}${copyId}`, headers: h });
    }
    // Everything on the subject before the copies goes; the copies, and events since, stay.
    await jsm.streams.purge(o.stream, { filter: subject, seq: firstCopy ?? last.seq + 1 });
    rewritten += kept.length;
  }
  return rewritten;
}
