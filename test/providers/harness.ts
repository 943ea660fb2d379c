import { randomBytes } from "node:crypto";
import { type PaymentProvidersServer, startPaymentProviders } from "../../regions/payment-providers/server";
import type { Delivery } from "../../regions/payment-providers/webhook-deliveries";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../support/webhook-receiver";

// The stand-in on a free port (retries at 100/200/400 ms so a failing receiver recovers quickly)
// and a local webhook receiver; each test uses its own receiver name and its own API keys.

export interface Harness {
  standin: PaymentProvidersServer;
  receiver: WebhookReceiver;
  hookUrl(name: string): string;
  received(name: string): Promise<ReceivedWebhook[]>;
  failNext(name: string, count: number): Promise<void>;
  deliveries(query: Record<string, string>): Promise<Delivery[]>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const standin = await startPaymentProviders({ retryDelaysMs: [100, 200, 400], webhookTimeoutMs: 2_000 });
  const receiver = await startWebhookReceiver();
  return {
    standin,
    receiver,
    hookUrl: (name) => `${receiver.url}/hooks/${name}`,
    received: async (name) =>
      (await (await fetch(`${receiver.url}/control/${name}`)).json()) as ReceivedWebhook[],
    failNext: async (name, count) => {
      await fetch(`${receiver.url}/control/${name}?fail=${count}`, { method: "POST" });
    },
    deliveries: async (query) => {
      const response = await fetch(`${standin.url}/__standin/webhooks?${new URLSearchParams(query)}`);
      return ((await response.json()) as { data: Delivery[] }).data;
    },
    close: async () => {
      await standin.close();
      await receiver.close();
    },
  };
}

/** A fresh test key in the provider's format: every key is its own account on the stand-in. */
export function testKey(prefix: "sk_test_" | "FLWSECK_TEST-"): string {
  const key = `${prefix}${randomBytes(16).toString("hex")}`;
  return prefix === "FLWSECK_TEST-" ? `${key}-X` : key;
}

/** Submits the hosted checkout form as a browser would (no redirect following). */
export function submitCheckout(
  pageUrl: string,
  outcome: "pay" | "fail" | "cancel" | "fail_async",
): Promise<Response> {
  return fetch(pageUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ outcome }).toString(),
    redirect: "manual",
  });
}
