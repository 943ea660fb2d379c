import { env } from "cloudflare:test";
import { expect, inject } from "vitest";
import { webhookDispatcher } from "../../durable-objects/webhook-dispatcher-client";
import { loadConfig } from "../../workers/api/env";
import type { WebhookDeliveryView } from "../../workers/api/services/webhook-deliveries";
import type { ReceivedWebhook } from "../support/webhook-receiver";
import { verifyStandard } from "../support/webhook-verify";
import { type Endpoint, freshTenant, hooks, register } from "./webhook-helpers";

export type { ReceivedWebhook };
export { verifyStandard };

const receiver = () => inject("webhookReceiverUrl");

/** A fresh tenant with one endpoint at the test receiver, under a name of its own. */
export async function receivingTenant(json: Record<string, unknown> = {}) {
  const tenant = await freshTenant();
  const name = crypto.randomUUID();
  const { body } = await register(tenant.token, {
    url: `${receiver()}/hooks/${name}`,
    event_types: ["contact.*"],
    ...json,
  });
  const endpoint = body.data as Endpoint & { secret: string };
  return { ...tenant, name, endpoint };
}

/** The next `times` deliveries to `name` answer 500. */
export async function failNext(name: string, times: number): Promise<void> {
  await fetch(`${receiver()}/control/${name}?fail=${times}`, { method: "POST" });
}

/** The next `times` deliveries to `name` get no answer at all (the sender's timeout decides). */
export async function hangNext(name: string, times: number): Promise<void> {
  await fetch(`${receiver()}/control/${name}?hang=${times}`, { method: "POST" });
}

export async function received(name: string): Promise<ReceivedWebhook[]> {
  return (await (await fetch(`${receiver()}/control/${name}`)).json()) as ReceivedWebhook[];
}

/** Waits until `name` has received at least `count` requests. */
export async function receivedAtLeast(name: string, count: number, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await received(name);
    if (got.length >= count) return got;
    if (Date.now() > until) throw new Error(`${name}: ${got.length} of ${count} deliveries arrived`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function deliveries(token: string, endpointId: string, query = "") {
  return hooks<WebhookDeliveryView[]>(`/${endpointId}/deliveries${query}`, { token });
}

/** Waits until the endpoint's only delivery is in `state`. */
export async function settled(token: string, endpointId: string, state: string, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await deliveries(token, endpointId);
    const found = body.data?.find((d) => d.state === state);
    if (found) return found;
    if (Date.now() > until) throw new Error(`no delivery reached ${state}: ${JSON.stringify(body.data)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function expectSameId(got: readonly ReceivedWebhook[], id: string) {
  expect(got.map((g) => g.headers["webhook-id"])).toEqual(got.map(() => id));
}

export function dispatcherOf(endpointId: string) {
  const ns = env.WEBHOOK_DISPATCHER;
  if (!ns) throw new Error("WEBHOOK_DISPATCHER is not bound");
  const config = loadConfig(env);
  return webhookDispatcher(ns, { region: config.region, localRuntime: config.localRuntime }, endpointId);
}
