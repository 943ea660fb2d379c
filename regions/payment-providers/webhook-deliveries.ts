import { stripeId } from "./ids";

// Sends signed webhooks and records every attempt. The first attempt is awaited (so the
// checkout page's redirect follows the webhook, which keeps tests deterministic); failed ones are
// retried in the background with short backoff, as the providers do at their own pace.
// Tests re-deliver a recorded event N times (sequentially or concurrently) to exercise the
// receiver's duplicate handling.

export type Provider = "stripe" | "paystack" | "flutterwave";

export interface WebhookMessage {
  provider: Provider;
  /** Stripe `evt_…`; Paystack (no event id on the wire) and Flutterwave: `<event>:<data.id>`. */
  eventId: string;
  eventType: string;
  /** The merchant reference it concerns (session id / client_reference_id, reference, tx_ref). */
  reference: string | null;
  /** Where it goes; null when the merchant registered no URL (recorded, not sent). */
  url: string | null;
  body: string;
  /** Headers for one attempt; called per attempt so Stripe's timestamp is fresh each time. */
  headers(body: string): Record<string, string>;
}

export interface Attempt {
  kind: "initial" | "retry" | "redelivery";
  at: string;
  /** HTTP status answered; 0 when the request failed (connection refused, timeout). */
  status: number;
  error?: string;
  duration_ms: number;
  headers: Record<string, string>;
}

export interface Delivery {
  id: string;
  provider: Provider;
  event_id: string;
  type: string;
  reference: string | null;
  url: string | null;
  created: string;
  body: string;
  /** The headers a receiver would get now (fresh Stripe timestamp), for replaying by hand. */
  headers: Record<string, string>;
  delivered: boolean;
  attempts: Attempt[];
}

interface Entry {
  delivery: Omit<Delivery, "headers">;
  message: WebhookMessage;
}

export interface DeliveryOptions {
  /** Delays before each retry; its length is the number of retries. Default 500, 1000, 2000 ms. */
  retryDelaysMs: readonly number[];
  /** One attempt's timeout. */
  timeoutMs: number;
  log: (line: Record<string, unknown>) => void;
}

export interface DeliveryFilter {
  provider?: string | null;
  type?: string | null;
  reference?: string | null;
  eventId?: string | null;
}

export interface WebhookDeliveries {
  send(message: WebhookMessage): Promise<Delivery>;
  list(filter: DeliveryFilter): Delivery[];
  get(id: string): Delivery | undefined;
  redeliver(id: string, times: number, concurrent: boolean): Promise<Attempt[]>;
  reset(): void;
  close(): Promise<void>;
}

export function createWebhookDeliveries(options: DeliveryOptions): WebhookDeliveries {
  const entries = new Map<string, Entry>();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<AbortController>();
  let closed = false;

  async function attempt(entry: Entry, kind: Attempt["kind"]): Promise<Attempt> {
    const { message } = entry;
    const headers = message.headers(message.body);
    const started = performance.now();
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error("timed out")), options.timeoutMs);
    let result: Pick<Attempt, "status" | "error">;
    try {
      const response = await fetch(message.url as string, {
        method: "POST",
        headers,
        body: message.body,
        redirect: "manual",
        signal: controller.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      result = { status: response.status };
    } catch (error) {
      const reason = controller.signal.aborted ? controller.signal.reason : error;
      const cause = (reason as { cause?: { code?: string } })?.cause?.code;
      result = { status: 0, error: cause ?? (reason as Error)?.message ?? String(reason) };
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
    const record: Attempt = {
      kind,
      at: new Date().toISOString(),
      ...result,
      duration_ms: Math.round(performance.now() - started),
      headers,
    };
    entry.delivery.attempts.push(record);
    if (isSuccess(record.status)) entry.delivery.delivered = true;
    else {
      options.log({
        level: "warn",
        event: "webhook_attempt_failed",
        provider: message.provider,
        type: message.eventType,
        url: message.url,
        status: record.status,
        error: record.error,
      });
    }
    return record;
  }

  function scheduleRetry(entry: Entry, index: number): void {
    const delay = options.retryDelaysMs[index];
    if (delay === undefined || closed || entry.delivery.delivered) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (closed || !entries.has(entry.delivery.id)) return;
      void attempt(entry, "retry").then((result) => {
        if (!isSuccess(result.status)) scheduleRetry(entry, index + 1);
      });
    }, delay);
    timers.add(timer);
  }

  function view(entry: Entry): Delivery {
    return { ...entry.delivery, headers: entry.message.headers(entry.message.body) };
  }

  return {
    async send(message) {
      const entry: Entry = {
        message,
        delivery: {
          id: stripeId("whd", 16),
          provider: message.provider,
          event_id: message.eventId,
          type: message.eventType,
          reference: message.reference,
          url: message.url,
          created: new Date().toISOString(),
          body: message.body,
          delivered: false,
          attempts: [],
        },
      };
      entries.set(entry.delivery.id, entry);
      if (message.url && !closed) {
        const first = await attempt(entry, "initial");
        if (!isSuccess(first.status)) scheduleRetry(entry, 0);
      }
      return view(entry);
    },
    list(filter) {
      return [...entries.values()]
        .filter(({ delivery }) => {
          if (filter.provider && delivery.provider !== filter.provider) return false;
          if (filter.type && delivery.type !== filter.type) return false;
          if (filter.reference && delivery.reference !== filter.reference) return false;
          if (filter.eventId && delivery.event_id !== filter.eventId) return false;
          return true;
        })
        .map(view);
    },
    get(id) {
      const entry = entries.get(id);
      return entry ? view(entry) : undefined;
    },
    async redeliver(id, times, concurrent) {
      const entry = entries.get(id);
      if (!entry?.message.url) return [];
      if (concurrent) {
        return Promise.all(Array.from({ length: times }, () => attempt(entry, "redelivery")));
      }
      const results: Attempt[] = [];
      for (let i = 0; i < times; i++) results.push(await attempt(entry, "redelivery"));
      return results;
    },
    reset() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      entries.clear();
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const controller of inFlight) controller.abort(new Error("stand-in closing"));
    },
  };
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
