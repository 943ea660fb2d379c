import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { z } from "zod";
import { registerAtStandin } from "../../../regions/local/demo-finance";
import type { RegionId } from "../../../regions/registry";

/**
 * The features of a running stack as a client uses them, for the residency canary
 * (marker-writes.ts) and the erasure check (test/e2e/privacy-erasure-scan.test.ts): a tenant
 * activated through an entry, the API with a bearer token, a chat message over the realtime
 * socket, an invoice paid at the provider stand-in, an agent chat turn, and a loopback receiver
 * for a webhook endpoint. Whatever text they write is the caller's.
 */

export const PROVIDER: Record<
  RegionId,
  { provider: "stripe" | "paystack"; currency: string; country: string }
> = {
  eu: { provider: "stripe", currency: "EUR", country: "DE" },
  lagos: { provider: "paystack", currency: "NGN", country: "NG" },
};

const Envelope = z.object({ data: z.unknown() });

export class Api {
  constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text;
  }

  async data<T>(
    method: string,
    path: string,
    schema: z.ZodType<T>,
    body?: unknown,
    headers?: Record<string, string>,
  ) {
    const text = await this.call(method, path, body, headers);
    return schema.parse(Envelope.parse(JSON.parse(text)).data);
  }
}

export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

const Accepted = z.object({ tenant_id: z.uuid(), status_url: z.url(), region: z.string() });
const ActivationStatus = z.object({ state: z.string() });

export interface Activation {
  region: RegionId;
  /** The entry the sign-up goes through (the other region's, as a misrouted sign-up would). */
  entry: string;
  businessName: string;
  ownerName: string;
  email: string;
  password: string;
}

/** A new tenant of `region`, signed up through `entry`: resolves with its id once activated. */
export async function activate(a: Activation): Promise<string> {
  const response = await fetch(`${a.entry}/api/v1/activate`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      // A documentation address (RFC 5737) per run: activation is rate limited per address.
      "CF-Connecting-IP": `198.51.100.${1 + ((randomBytes(1)[0] ?? 0) % 250)}`,
    },
    body: JSON.stringify({
      business_name: a.businessName,
      country: PROVIDER[a.region].country,
      preset: "clinic",
      owner: { name: a.ownerName, email: a.email, password: a.password },
    }),
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`activation: ${response.status} ${text.slice(0, 300)}`);
  const accepted = Accepted.parse(Envelope.parse(JSON.parse(text)).data);
  if (accepted.region !== a.region)
    throw new Error(`activation placed the tenant in ${accepted.region}, not ${a.region}`);
  await until("the activation", 60_000, async () => {
    const status = ActivationStatus.parse(
      Envelope.parse(await (await fetch(accepted.status_url)).json()).data,
    );
    if (status.state === "failed") throw new Error("activation failed");
    return status.state === "completed" ? status : undefined;
  });
  return accepted.tenant_id;
}

/** A loopback receiver for the tenant's webhook endpoint: what it was sent, as text. */
export async function startReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One chat message over the realtime socket, acknowledged once stored. */
export async function chat(api: Api, room: string, text: string): Promise<void> {
  const ticket = await api.data("POST", "/api/v1/realtime/tickets", z.object({ url: z.string() }));
  const socket = new WebSocket(ticket.url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no ack for the chat message")), 15_000);
      socket.on("error", reject);
      socket.on("open", () => socket.send(JSON.stringify({ type: "join", room })));
      socket.on("message", (raw) => {
        const frame = JSON.parse(String(raw)) as { type: string; ref?: string };
        if (frame.type === "joined")
          socket.send(JSON.stringify({ type: "message", room, text, ref: "canary" }));
        if (frame.type === "ack" && frame.ref === "canary") {
          clearTimeout(timer);
          resolve();
        }
        if (frame.type === "error") reject(new Error(`realtime: ${String(raw)}`));
      });
    });
  } finally {
    socket.close(1000);
  }
}

export interface InvoiceToPay {
  region: RegionId;
  paymentProvidersUrl: string;
  /** The payment connection's label. */
  label: string;
  /** The invoice as POST /api/v1/invoices takes it, without its currency and due date. */
  invoice: { customer: unknown; lines: unknown[]; notes?: string };
}

/** The invoice paid through the region's provider at the stand-in, as a customer would. */
export async function payInvoice(api: Api, o: InvoiceToPay, receiverUrl: string): Promise<string> {
  const { provider, currency } = PROVIDER[o.region];
  // Every key is its own account at the stand-in: this run's, nobody else's.
  const secretKey = `sk_test_Canary${randomBytes(8).toString("hex")}`;
  const connection = await api.data(
    "POST",
    "/api/v1/finance/connections",
    z.object({ id: z.string(), webhook_url: z.string() }),
    {
      provider,
      secret_key: secretKey,
      ...(provider === "stripe" ? { webhook_secret: `whsec_${"0".repeat(32)}` } : {}),
      label: o.label,
    },
  );
  const signing = await registerAtStandin(
    o.paymentProvidersUrl,
    { provider, secretKey },
    connection.webhook_url,
  );
  if (signing) {
    await api.call("PATCH", `/api/v1/finance/connections/${connection.id}`, {
      webhook_secret: signing,
      grace_period_seconds: 0,
    });
  }
  const invoice = await api.data("POST", "/api/v1/invoices", z.object({ id: z.uuid() }), {
    currency,
    due_date: "2030-01-31",
    ...o.invoice,
  });
  await api.call("POST", `/api/v1/invoices/${invoice.id}/finalize`);
  const payment = await api.data(
    "POST",
    `/api/v1/invoices/${invoice.id}/pay`,
    z.object({ checkout_url: z.url() }),
    { return_url: `${receiverUrl}/thanks` },
    { "Idempotency-Key": crypto.randomUUID() },
  );
  // The checkout page's Pay button: its form posted back to the same URL.
  const paid = await fetch(payment.checkout_url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ outcome: "pay" }),
    redirect: "manual",
  });
  if (paid.status >= 400) throw new Error(`checkout: ${paid.status} ${(await paid.text()).slice(0, 200)}`);
  await until("the invoice paid", 30_000, async () => {
    const got = await api.data("GET", `/api/v1/invoices/${invoice.id}`, z.object({ status: z.string() }));
    return got.status === "paid" ? got : undefined;
  });
  return invoice.id;
}

/** An agent chat turn (server-sent events), read to its end. */
export async function agentChat(api: Api, message: string): Promise<void> {
  const text = await api.call(
    "POST",
    "/api/v1/agents/chat",
    { agent_id: "sys_sales_assistant", message },
    { Accept: "text/event-stream" },
  );
  if (!text.includes("event: done")) throw new Error(`agent chat did not finish: ${text.slice(-300)}`);
}
