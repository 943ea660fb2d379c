import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { RegionId } from "../../../regions/registry";
import { cliSignIn } from "../cli-sign-in";
import { Api, activate, agentChat, chat, PROVIDER, payInvoice, startReceiver, until } from "./feature-client";

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
    tenantId = await activate({
      region,
      entry: options.regionUrls[other],
      businessName: `Canary ${marker}`,
      ownerName: `Owner ${marker}`,
      email,
      password,
    });
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
    await step(`invoice paid through ${PROVIDER[region].provider} (stand-in)`, async () => {
      await payInvoice(
        api,
        {
          region,
          paymentProvidersUrl: options.paymentProvidersUrl,
          label: `Canary ${marker}`,
          invoice: {
            customer: { name: `Customer ${marker}`, email: `customer-${marker}@example.com` },
            lines: [
              { description: `Consultation ${marker}`, quantity: 1, unit_price: "100.00", tax_rate: "0" },
            ],
          },
        },
        receiver.url,
      );
    });
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
