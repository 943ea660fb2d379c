import {
  createInbox,
  headers,
  type Msg,
  type NatsConnection,
  type Subscription,
} from "@nats-io/transport-node";

/** One message to store: its id becomes `Nats-Msg-Id`, JetStream's de-duplication key. */
export interface OutgoingMessage {
  id: string;
  subject: string;
  body: Uint8Array;
  traceparent?: string | null;
}

export interface PublishOutcome {
  /** Ids the stream stored (or had stored already: duplicates count, they are in the stream). */
  acked: string[];
  duplicates: number;
  /** Ids without a positive acknowledgement: the relay keeps them for a later round. */
  failed: string[];
  /** The first refusal or the timeout, for the log. */
  firstError?: string;
}

interface PendingBatch {
  ids: string[];
  /** Per index: undefined (waiting), true (stored), or an error text. */
  results: (true | string | undefined)[];
  duplicates: number;
  waiting: number;
  finish: () => void;
}

/**
 * Publishes a batch to JetStream without waiting for each acknowledgement in turn: every message
 * goes out at once with a reply subject under one inbox of ours, and the stream's PubAcks
 * (`{stream, seq, duplicate}` or `{error}`) arrive there in any order. This is the "async
 * publish" of the Go client; `jetstream().publish` is a request per message with its own timer,
 * which measured at under half the rate here (bench/events.ts). One subscription serves every
 * batch; a batch settles when each message is answered or its deadline passes.
 */
export class JetStreamBatchPublisher {
  readonly #nc: NatsConnection;
  readonly #inbox: string;
  readonly #sub: Subscription;
  readonly #batches = new Map<string, PendingBatch>();
  readonly #decoder = new TextDecoder();
  #nextBatch = 0;

  constructor(nc: NatsConnection, inboxPrefix?: string) {
    this.#nc = nc;
    this.#inbox = createInbox(inboxPrefix);
    this.#sub = nc.subscribe(`${this.#inbox}.*.*`, { callback: (_error, msg) => this.#onAck(msg) });
  }

  /** Resolves once every message is acknowledged or refused, or after `timeoutMs`. Never rejects. */
  publish(messages: readonly OutgoingMessage[], timeoutMs: number): Promise<PublishOutcome> {
    const key = String(this.#nextBatch++);
    return new Promise((resolve) => {
      const results: (true | string | undefined)[] = new Array(messages.length).fill(undefined);
      let timer: NodeJS.Timeout | undefined;
      const batch: PendingBatch = {
        ids: messages.map((m) => m.id),
        results,
        duplicates: 0,
        waiting: messages.length,
        finish: () => {
          clearTimeout(timer);
          this.#batches.delete(key);
          resolve(outcomeOf(batch));
        },
      };
      if (messages.length === 0) return resolve(outcomeOf(batch));
      this.#batches.set(key, batch);
      timer = setTimeout(batch.finish, timeoutMs);
      try {
        for (const [index, m] of messages.entries()) {
          const h = headers();
          h.set("Nats-Msg-Id", m.id);
          if (m.traceparent) h.set("traceparent", m.traceparent);
          this.#nc.publish(m.subject, m.body, { reply: `${this.#inbox}.${key}.${index}`, headers: h });
        }
      } catch (error) {
        // The connection is closed (not merely reconnecting, when publishes are buffered).
        for (const [index] of messages.entries()) results[index] ??= String(error);
        batch.finish();
      }
    });
  }

  #onAck(msg: Msg): void {
    // `<inbox>.<batch>.<index>`; the inbox itself has a token or more.
    const tokens = msg.subject.split(".");
    const indexText = tokens.pop();
    const key = tokens.pop();
    const batch = key === undefined ? undefined : this.#batches.get(key);
    const index = Number(indexText);
    if (!batch || !(index >= 0 && index < batch.results.length) || batch.results[index] !== undefined) return;
    batch.results[index] = this.#verdict(msg, batch);
    if (--batch.waiting === 0) batch.finish();
  }

  /** A PubAck, a JetStream error, or a status such as 503 (no stream took the subject). */
  #verdict(msg: Msg, batch: PendingBatch): true | string {
    if (msg.headers?.hasError) return `status ${msg.headers.code} ${msg.headers.description}`;
    try {
      const ack = JSON.parse(this.#decoder.decode(msg.data)) as {
        stream?: string;
        duplicate?: boolean;
        error?: { code?: number; description?: string };
      };
      if (ack.error) return `jetstream ${ack.error.code ?? "?"} ${ack.error.description ?? ""}`;
      if (typeof ack.stream !== "string") return "not a PubAck";
      if (ack.duplicate) batch.duplicates++;
      return true;
    } catch {
      return "unreadable PubAck";
    }
  }

  close(): void {
    this.#sub.unsubscribe();
    for (const batch of [...this.#batches.values()]) batch.finish();
  }
}

function outcomeOf(batch: PendingBatch): PublishOutcome {
  const acked: string[] = [];
  const failed: string[] = [];
  let firstError: string | undefined;
  for (const [index, result] of batch.results.entries()) {
    const id = batch.ids[index] as string;
    if (result === true) acked.push(id);
    else {
      failed.push(id);
      firstError ??= result ?? "no acknowledgement before the deadline";
    }
  }
  return { acked, duplicates: batch.duplicates, failed, ...(firstError ? { firstError } : {}) };
}
