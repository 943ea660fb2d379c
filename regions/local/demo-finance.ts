import { z } from "zod";
import type { PaymentProvider } from "../../db/schema/finance-enums";
import { DEMO_PASSWORD, DEMO_TENANTS } from "../../db/seed/demo";
import { cliSignIn } from "../../scripts/lib/cli-sign-in";
import { REGION_IDS, type RegionId } from "../registry";

/**
 * What `npm run dev` sets up for the demo tenants' money, done the way a tenant would: signed in
 * as the demo owner it creates the payment connections through the connections API (so the
 * secrets are sealed exactly as for any tenant), gives each connection's `webhook_url` to the
 * provider stand-in as a tenant gives it to the provider's dashboard, and points a webhook
 * endpoint of each demo tenant at the local webhook inbox. Idempotent: a connection or endpoint
 * found by its label or URL is reused, never duplicated. The stand-in keeps nothing across
 * restarts, so the webhook registrations (and Stripe's new `whsec_…`) are redone on every start.
 */

/** Test keys of the demo accounts at the stand-in (each key is its own account there). */
export const DEMO_CONNECTIONS: Readonly<
  Record<RegionId, readonly { provider: PaymentProvider; secretKey: string; webhookSecret?: string }[]>
> = {
  eu: [{ provider: "stripe", secretKey: "sk_test_NexusDemoEuStripe0001" }],
  lagos: [
    { provider: "paystack", secretKey: "sk_test_NexusDemoLagosPaystack0001" },
    {
      provider: "flutterwave",
      secretKey: "FLWSECK_TEST-NexusDemoLagos0001-X",
      // Flutterwave's secret hash is chosen by the merchant in its dashboard.
      webhookSecret: "nexus-demo-flutterwave-hash",
    },
  ],
};

/** How the demo connections are found again on the next start. */
export const demoConnectionLabel = (provider: PaymentProvider) => `Demo ${provider} (local stand-in)`;
export const DEMO_INBOX_DESCRIPTION = "Local webhook inbox (npm run dev)";
/** What the inbox endpoint subscribes to: the finance events a newcomer follows. */
const INBOX_EVENT_TYPES = ["invoice.*", "payment.*"];

const connectionSchema = z.object({
  id: z.string(),
  provider: z.string(),
  label: z.string().nullable(),
  webhook_url: z.string(),
});
const listSchema = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), meta: z.object({ cursor: z.string().nullable(), has_more: z.boolean() }) });
const endpointSchema = z.object({ id: z.string(), url: z.string() });

export interface DemoConnection {
  region: RegionId;
  provider: PaymentProvider;
  id: string;
  webhookUrl: string;
  created: boolean;
}

export interface DemoFinanceOptions {
  regionUrls: Record<RegionId, string>;
  /** The stand-in's base URL (Stripe at its root, `/__standin` controls). */
  paymentProvidersUrl: string;
  /** Where each demo tenant's webhook endpoint should send. */
  inboxUrlFor: (region: RegionId) => string;
}

export interface DemoFinance {
  connections: DemoConnection[];
  inbox: { region: RegionId; endpointId: string }[];
}

async function call<T>(
  method: string,
  url: string,
  headers: Record<string, string>,
  schema: z.ZodType<T>,
  body?: unknown,
): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return schema.parse(text ? JSON.parse(text) : {});
}

/** Every item of a cursor-paginated list route. */
async function listAll<T>(url: string, headers: Record<string, string>, item: z.ZodType<T>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null | undefined = null;
  do {
    const page = `${url}?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const result: { data: T[]; meta: { cursor: string | null; has_more: boolean } } = await call(
      "GET",
      page,
      headers,
      listSchema(item),
    );
    items.push(...result.data);
    cursor = result.meta.has_more ? result.meta.cursor : null;
  } while (cursor);
  return items;
}

/**
 * A Stripe webhook endpoint for `url` at the stand-in, as the dashboard (or `stripe listen`)
 * makes one; an older one for the same URL is deleted first. Answers its signing secret.
 */
async function registerStripeEndpoint(base: string, secretKey: string, url: string): Promise<string> {
  const auth = { Authorization: `Bearer ${secretKey}` };
  const existing = await call(
    "GET",
    `${base}/v1/webhook_endpoints?limit=100`,
    auth,
    z.object({ data: z.array(endpointSchema) }),
  );
  for (const endpoint of existing.data.filter((e) => e.url === url)) {
    await call("DELETE", `${base}/v1/webhook_endpoints/${endpoint.id}`, auth, z.unknown());
  }
  const response = await fetch(`${base}/v1/webhook_endpoints`, {
    method: "POST",
    headers: { ...auth, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ url, "enabled_events[]": "*", description: "Nexus Edge demo" }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`stand-in webhook_endpoints: ${response.status} ${text.slice(0, 300)}`);
  return z.object({ secret: z.string().startsWith("whsec_") }).parse(JSON.parse(text)).secret;
}

/**
 * Tells the stand-in where a key's webhooks go (the provider dashboard's setting). Answers Stripe's
 * new signing secret, which the connection must then be given; the others have none to give.
 */
export async function registerAtStandin(
  base: string,
  connection: { provider: PaymentProvider; secretKey: string; webhookSecret?: string },
  webhookUrl: string,
): Promise<string | undefined> {
  switch (connection.provider) {
    case "stripe":
      return registerStripeEndpoint(base, connection.secretKey, webhookUrl);
    case "paystack":
      await call("PUT", `${base}/__standin/paystack/webhook`, {}, z.unknown(), {
        secret_key: connection.secretKey,
        url: webhookUrl,
      });
      return undefined;
    case "flutterwave":
      await call("PUT", `${base}/__standin/flutterwave/webhook`, {}, z.unknown(), {
        secret_key: connection.secretKey,
        url: webhookUrl,
        secret_hash: connection.webhookSecret,
      });
      return undefined;
  }
}

async function setUpRegion(region: RegionId, options: DemoFinanceOptions): Promise<DemoFinance> {
  const api = options.regionUrls[region];
  const tenant = DEMO_TENANTS[region];
  const { access_token } = await cliSignIn({
    issuer: api,
    email: tenant.ownerEmail,
    password: DEMO_PASSWORD,
  });
  const auth = { Authorization: `Bearer ${access_token}` };
  const connectionsUrl = `${api}/api/v1/finance/connections`;
  const existing = await listAll(connectionsUrl, auth, connectionSchema);

  const connections: DemoConnection[] = [];
  for (const wanted of DEMO_CONNECTIONS[region]) {
    const label = demoConnectionLabel(wanted.provider);
    let connection = existing.find((c) => c.provider === wanted.provider && c.label === label);
    const created = !connection;
    if (!connection) {
      // Stripe's signing secret exists only once the endpoint does, and the endpoint needs the
      // connection's URL: a placeholder first, the real secret right after (as a tenant would).
      const webhookSecret = wanted.provider === "stripe" ? `whsec_${"0".repeat(32)}` : wanted.webhookSecret;
      connection = (
        await call("POST", connectionsUrl, auth, z.object({ data: connectionSchema }), {
          provider: wanted.provider,
          secret_key: wanted.secretKey,
          ...(webhookSecret ? { webhook_secret: webhookSecret } : {}),
          label,
        })
      ).data;
    }
    const signingSecret = await registerAtStandin(
      options.paymentProvidersUrl,
      wanted,
      connection.webhook_url,
    );
    if (signingSecret) {
      // The stand-in made a new endpoint (it starts empty): its secret replaces the old one at once.
      await call("PATCH", `${connectionsUrl}/${connection.id}`, auth, z.unknown(), {
        webhook_secret: signingSecret,
        grace_period_seconds: 0,
      });
    }
    connections.push({
      region,
      provider: wanted.provider,
      id: connection.id,
      webhookUrl: connection.webhook_url,
      created,
    });
  }

  const endpointsUrl = `${api}/api/v1/webhooks/endpoints`;
  const inboxUrl = options.inboxUrlFor(region);
  const endpoints = await listAll(endpointsUrl, auth, endpointSchema);
  let endpoint = endpoints.find((e) => e.url === inboxUrl);
  if (!endpoint) {
    endpoint = (
      await call("POST", endpointsUrl, auth, z.object({ data: endpointSchema }), {
        url: inboxUrl,
        description: DEMO_INBOX_DESCRIPTION,
        event_types: INBOX_EVENT_TYPES,
      })
    ).data;
  }
  return { connections, inbox: [{ region, endpointId: endpoint.id }] };
}

/** Both demo tenants' connections, stand-in registrations and inbox endpoints. */
export async function setUpDemoFinance(options: DemoFinanceOptions): Promise<DemoFinance> {
  const results = await Promise.all(REGION_IDS.map((region) => setUpRegion(region, options)));
  return {
    connections: results.flatMap((r) => r.connections),
    inbox: results.flatMap((r) => r.inbox),
  };
}

/** The one line `npm run dev` prints about them. */
export function describeDemoFinance(finance: DemoFinance): string {
  return REGION_IDS.map(
    (region) =>
      `${region} (${DEMO_TENANTS[region].name}): ${finance.connections
        .filter((c) => c.region === region)
        .map((c) => `${c.provider} ${c.id}${c.created ? " (new)" : ""}`)
        .join(", ")}`,
  ).join("; ");
}
