import { startWebhookReceiver } from "../../test/support/webhook-receiver";
import { percentile } from "./percentile";
import { progress } from "./progress";

export interface WebhookTimings {
  count: number;
  /** The contact POST's response (its commit) → the first delivery attempt's arrival at the receiver. */
  firstAttemptMs: { p50: number; p95: number; max: number };
  /** The contact POST itself, request sent → response (validation against the tenant's settings, the write). */
  contactPostMs: { p50: number; p95: number; max: number };
}

const DELIVERY_TIMEOUT_MS = 30_000;

/**
 * Registers an endpoint at a receiver in this process for the bench tenant, then creates
 * `count` contacts one after another (after `warmup` unmeasured ones), each waiting for its
 * `contact.created` delivery before the next: what is measured is the publish path (waitUntil
 * after the commit → WebhookSink insert → dispatcher poke → alarm → signed fetch), not queueing.
 */
export async function measureWebhookLatency(options: {
  baseUrl: string;
  token: string;
  count: number;
  warmup: number;
}): Promise<WebhookTimings> {
  const arrivals = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const receiver = await startWebhookReceiver((_name, got) => {
    const contactId = (JSON.parse(got.body) as { data?: { id?: string } }).data?.id;
    if (!contactId || arrivals.has(contactId)) return;
    arrivals.set(contactId, got.at);
    waiting.get(contactId)?.();
  });
  const headers = { Authorization: `Bearer ${options.token}`, "Content-Type": "application/json" };
  try {
    const registered = await fetch(`${options.baseUrl}/api/v1/webhooks/endpoints`, {
      method: "POST",
      headers,
      body: JSON.stringify({ url: `${receiver.url}/hooks/bench`, event_types: ["contact.created"] }),
    });
    if (registered.status !== 201)
      throw new Error(`endpoint: ${registered.status} ${await registered.text()}`);
    const endpointId = ((await registered.json()) as { data: { id: string } }).data.id;
    const samples: number[] = [];
    const posts: number[] = [];
    try {
      for (let n = 0; n < options.warmup + options.count; n++) {
        const sent = Date.now();
        const res = await fetch(`${options.baseUrl}/api/v1/crm/contacts`, {
          method: "POST",
          headers,
          body: JSON.stringify({
            first_name: "Bench",
            last_name: `Hook ${n}`,
            email: `hook-${Date.now()}-${n}@bench.example`,
          }),
        });
        const committed = Date.now();
        if (res.status !== 201) throw new Error(`contact ${n}: ${res.status} ${await res.text()}`);
        const id = ((await res.json()) as { data: { id: string } }).data.id;
        await new Promise<void>((resolve, reject) => {
          if (arrivals.has(id)) return resolve();
          const timer = setTimeout(
            () => reject(new Error(`contact ${n}: no delivery in 30 s`)),
            DELIVERY_TIMEOUT_MS,
          );
          waiting.set(id, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (n >= options.warmup) {
          samples.push((arrivals.get(id) ?? Number.NaN) - committed);
          posts.push(committed - sent);
        }
      }
    } finally {
      await fetch(`${options.baseUrl}/api/v1/webhooks/endpoints/${endpointId}`, {
        method: "DELETE",
        headers,
      });
    }
    progress(`webhooks: ${samples.length} deliveries measured`);
    return { count: samples.length, firstAttemptMs: spread(samples), contactPostMs: spread(posts) };
  } finally {
    await receiver.close();
  }
}

function spread(samples: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: percentile(sorted, 100) };
}

export function renderWebhooks(w: WebhookTimings): string {
  return (
    `webhooks (${w.count} contact creates, one after another): commit (POST response) → first delivery attempt at the receiver p50 ${w.firstAttemptMs.p50} ms, p95 ${w.firstAttemptMs.p95} ms, max ${w.firstAttemptMs.max} ms\n` +
    `contact POST (request → 201) p50 ${w.contactPostMs.p50} ms, p95 ${w.contactPostMs.p95} ms, max ${w.contactPostMs.max} ms`
  );
}
