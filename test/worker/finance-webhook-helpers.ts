import { inject } from "vitest";
import { until } from "../support/until";
import { countRows, financeTenant } from "./finance-helpers";
import { call, envelope, tokenFor } from "./helpers";

export const STANDIN = () => inject("paymentProvidersUrl");
export const RECEIVER = () => inject("webhookReceiverUrl");

export interface TestConnection {
  id: string;
  webhookPath: string;
  secretKey: string;
  webhookSecret?: string;
}

/** A tenant of its own and its owner's token. */
export async function ownerOfNewTenant() {
  const tenantId = await financeTenant();
  const userId = crypto.randomUUID();
  return { tenantId, userId, token: await tokenFor({ tenantId, userId, role: "Owner" }) };
}

const randomKey = (prefix: string) => `${prefix}${crypto.randomUUID().replaceAll("-", "")}`;

/**
 * A connection through the connections API. Stripe: a webhook endpoint registered at the
 * stand-in first (its `whsec_` is the connection's webhook secret); Flutterwave: the stand-in
 * told the secret hash; Paystack signs with the secret key itself.
 */
export async function connect(
  token: string,
  provider: "stripe" | "paystack" | "flutterwave",
): Promise<TestConnection> {
  const hook = `${RECEIVER()}/hooks/fin-${crypto.randomUUID()}`;
  let secretKey: string;
  let webhookSecret: string | undefined;
  if (provider === "stripe") {
    secretKey = randomKey("sk_test_");
    const res = await fetch(`${STANDIN()}/v1/webhook_endpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${secretKey}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ url: hook, "enabled_events[0]": "*" }),
    });
    webhookSecret = ((await res.json()) as { secret: string }).secret;
  } else if (provider === "paystack") {
    secretKey = randomKey("sk_test_");
    await putJson(`${STANDIN()}/__standin/paystack/webhook`, { secret_key: secretKey, url: hook });
  } else {
    secretKey = randomKey("FLWSECK_TEST-");
    webhookSecret = randomKey("hash-");
    await putJson(`${STANDIN()}/__standin/flutterwave/webhook`, {
      secret_key: secretKey,
      url: hook,
      secret_hash: webhookSecret,
    });
  }
  const res = await call("/api/v1/finance/connections", {
    method: "POST",
    token,
    json: { provider, secret_key: secretKey, ...(webhookSecret ? { webhook_secret: webhookSecret } : {}) },
  });
  const body = await envelope<{ id: string; webhook_url: string }>(res);
  if (res.status !== 201) throw new Error(`connection not created: ${res.status} ${JSON.stringify(body)}`);
  return {
    id: body.data.id,
    webhookPath: new URL(body.data.webhook_url).pathname,
    secretKey,
    ...(webhookSecret ? { webhookSecret } : {}),
  };
}

async function putJson(url: string, json: unknown) {
  const res = await fetch(url, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(json),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

export interface PaymentJson {
  id: string;
  status: string;
  checkout_url: string;
  provider_reference: string;
  amount: string;
  currency: string;
  amount_refunded: string;
}

export function initiate(
  token: string,
  json: Record<string, unknown>,
  key: string | null = crypto.randomUUID(),
) {
  return call("/api/v1/payments/initiate", {
    method: "POST",
    token,
    json: {
      amount: "1250.00",
      currency: "NGN",
      customer_email: "ada@example.ng",
      return_url: "https://shop.example.ng/thanks",
      ...json,
    },
    headers: key === null ? {} : { "Idempotency-Key": key },
  });
}

export async function initiated(token: string, json: Record<string, unknown>): Promise<PaymentJson> {
  const res = await initiate(token, json);
  const body = await envelope<PaymentJson>(res);
  if (res.status !== 201) throw new Error(`initiate: ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

/** The customer at the stand-in's hosted checkout, pressing Pay (or Fail). */
export async function checkout(url: string, outcome: "pay" | "fail" | "cancel" | "fail_async" = "pay") {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `outcome=${outcome}`,
    redirect: "manual",
  });
  await res.arrayBuffer();
  if (res.status >= 400) throw new Error(`checkout ${outcome}: ${res.status}`);
}

export interface StandinDelivery {
  id: string;
  event_id: string;
  type: string;
  body: string;
  headers: Record<string, string>;
}

/** The webhooks the stand-in sent (or recorded) about a reference. */
export async function deliveriesFor(reference: string, type?: string): Promise<StandinDelivery[]> {
  const query = new URLSearchParams({ reference, ...(type ? { type } : {}) });
  const res = await fetch(`${STANDIN()}/__standin/webhooks?${query}`);
  return ((await res.json()) as { data: StandinDelivery[] }).data;
}

/** Sends a provider webhook to the Worker exactly as the provider would (raw bytes, its headers). */
export function deliver(path: string, body: string, headers: Record<string, string>) {
  const sent = new Headers(headers);
  if (!sent.has("content-type")) sent.set("content-type", "application/json");
  return call(path, { method: "POST", token: null, headers: sent, body });
}

export async function paymentStatus(token: string, id: string): Promise<string> {
  const res = await call(`/api/v1/finance/payments/${id}`, { token });
  return (await envelope<PaymentJson>(res)).data.status;
}

export function untilStatus(token: string, id: string, status: string) {
  return until(
    `payment ${id} ${status}`,
    10_000,
    async () => ((await paymentStatus(token, id)) === status ? true : undefined),
    100,
  );
}

/** The tenant's events of one type through GET /api/v1/events. */
export async function eventsOf(token: string, type: string) {
  const res = await call(`/api/v1/events?event_type=${type}`, { token });
  return (await envelope<{ event_type: string; data: Record<string, unknown> }[]>(res)).data;
}

export const counts = async (tenantId: string) => ({
  payments: await countRows(tenantId, "payments"),
  events: await countRows(tenantId, "provider_events"),
  outbox: await countRows(tenantId, "outbox_events"),
});
