import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket from "ws";
import { z } from "zod";
import { registerAtStandin } from "../../../regions/local/demo-finance";
import type { RegionId } from "../../../regions/registry";
import { cliSignIn } from "../cli-sign-in";

/**
 * The residency canary's writes: a new tenant activated through the *other* region's entry (so
 * the request crosses it, as a misrouted sign-up would), then data carrying one unique marker
 * written through every feature as a client would use it — contacts, leads, a payment
 * connection and an invoice paid at the provider stand-in, a chat message over the realtime
 * socket, a webhook endpoint that receives the tenant's events, a resource (embedded after
 * commit), an agent chat turn (the model gateway), and the event log.
 */

export interface CanaryTenant {
  region: RegionId;
  tenantId: string;
  marker: string;
  /** What each feature wrote, in order: one line each for the progress output. */
  written: string[];
}

export interface WriteOptions {
  region: RegionId;
  regionUrls: Record<RegionId, string>;
  paymentProvidersUrl: string;
  marker: string;
  log: (line: string) => void;
}

const PROVIDER: Record<RegionId, { provider: "stripe" | "paystack"; currency: string; country: string }> = {
  eu: { provider: "stripe", currency: "EUR", country: "DE" },
  lagos: { provider: "paystack", currency: "NGN", country: "NG" },
};

const Envelope = z.object({ data: z.unknown() });

class Api {
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

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const Accepted = z.object({ tenant_id: z.uuid(), status_url: z.url(), region: z.string() });
const ActivationStatus = z.object({ state: z.string() });

/** A new tenant of `region`, signed up through the other region's entry. */
async function activate(options: WriteOptions, entry: string, password: string, email: string) {
  const { marker } = options;
  const response = await fetch(`${entry}/api/v1/activate`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      // A documentation address (RFC 5737) per run: activation is rate limited per address.
      "CF-Connecting-IP": `198.51.100.${1 + ((randomBytes(1)[0] ?? 0) % 250)}`,
    },
    body: JSON.stringify({
      business_name: `Canary ${marker}`,
      country: PROVIDER[options.region].country,
      preset: "clinic",
      owner: { name: `Owner ${marker}`, email, password },
    }),
  });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`activation: ${response.status} ${text.slice(0, 300)}`);
  const accepted = Accepted.parse(Envelope.parse(JSON.parse(text)).data);
  if (accepted.region !== options.region)
    throw new Error(`activation placed the tenant in ${accepted.region}, not ${options.region}`);
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
async function startReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
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
async function chat(api: Api, room: string, text: string): Promise<void> {
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

/** The invoice paid through the region's provider at the stand-in, as a customer would. */
async function payInvoice(api: Api, options: WriteOptions, receiverUrl: string): Promise<void> {
  const { marker, region } = options;
  const { provider, currency } = PROVIDER[region];
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
      label: `Canary ${marker}`,
    },
  );
  const signing = await registerAtStandin(
    options.paymentProvidersUrl,
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
    customer: { name: `Customer ${marker}`, email: `customer-${marker}@example.com` },
    lines: [{ description: `Consultation ${marker}`, quantity: 1, unit_price: "100.00", tax_rate: "0" }],
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
}

/** An agent chat turn (server-sent events), read to its end. */
async function agentChat(api: Api, message: string): Promise<void> {
  const text = await api.call(
    "POST",
    "/api/v1/agents/chat",
    { agent_id: "sys_sales_assistant", message },
    { Accept: "text/event-stream" },
  );
  if (!text.includes("event: done")) throw new Error(`agent chat did not finish: ${text.slice(-300)}`);
}

/**
 * Activates the canary tenant and writes the marker through every feature; resolves once the
 * asynchronous parts (webhook delivery, payment confirmation, embedding) have happened.
 */
export async function writeCanaryData(options: WriteOptions): Promise<CanaryTenant> {
  const { marker, region, log } = options;
  const other = region === "eu" ? "lagos" : "eu";
  const written: string[] = [];
  const step = async (label: string, run: () => Promise<void>) => {
    const started = Date.now();
    await run();
    written.push(label);
    log(`  ✓ ${region}: ${label} (${Date.now() - started} ms)`);
  };

  const password = `canary ${randomBytes(12).toString("base64url")}`;
  const email = `owner-${marker}@example.com`;
  let tenantId = "";
  await step(`tenant activated through the ${other} entry`, async () => {
    tenantId = await activate(options, options.regionUrls[other], password, email);
  });
  const home = options.regionUrls[region];
  const tokens = await cliSignIn({ issuer: home, email, password });
  const api = new Api(home, tokens.access_token);
  const receiver = await startReceiver();
  try {
    await step("webhook endpoint registered", async () => {
      await api.call("POST", "/api/v1/webhooks/endpoints", {
        url: `${receiver.url}/hooks/${marker}`,
        description: `Canary ${marker}`,
        event_types: [],
      });
    });
    await step("contact (with phone and date of birth)", async () => {
      await api.call("POST", "/api/v1/crm/contacts", {
        first_name: "Canary",
        last_name: marker,
        email: `${marker}@example.com`,
        phone: "+234 801 234 5678",
        custom_fields: { date_of_birth: "1990-04-01", insurance_provider: `Insurer ${marker}` },
      });
    });
    await step("lead", async () => {
      await api.call("POST", "/api/v1/crm/leads", {
        first_name: "Canary",
        last_name: marker,
        email: `lead-${marker}@example.com`,
        company: `Company ${marker}`,
        custom_fields: { referral_source: `Referral ${marker}` },
      });
    });
    await step(`invoice paid through ${PROVIDER[region].provider} (stand-in)`, () =>
      payInvoice(api, options, receiver.url),
    );
    await step("chat message over the realtime socket", () => chat(api, "front-desk", `Hello ${marker}`));
    let resourceId = "";
    await step("resource", async () => {
      resourceId = (
        await api.data("POST", "/api/v1/resources", z.object({ id: z.uuid() }), {
          name: `Canary ${marker}`,
          content: `Residency canary note ${marker}`,
          metadata: { type: "canary", tags: [marker] },
        })
      ).id;
    });
    await step("agent chat turn", () => agentChat(api, `Please remember ${marker}`));
    await step("events in the event log and at the webhook endpoint", async () => {
      await until("the marker in the event log", 15_000, async () => {
        const text = await api.call("GET", "/api/v1/events?limit=100");
        return text.includes(marker) ? true : undefined;
      });
      await until("a delivery with the marker at the tenant's endpoint", 30_000, async () =>
        receiver.bodies.some((body) => body.includes(marker)) ? true : undefined,
      );
    });
    await step("resource embedded (or given up on) after commit", async () => {
      await until("the resource's embedding to settle", 30_000, async () => {
        const got = await api.data(
          "GET",
          `/api/v1/resources/${resourceId}`,
          z.object({ embedding: z.object({ status: z.string() }).nullable().optional() }),
        );
        return got.embedding?.status === "pending" ? undefined : true;
      });
    });
  } finally {
    await receiver.close();
  }
  return { region, tenantId, marker, written };
}
