import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TENANTS } from "../../db/seed/demo";
import { launchChromium } from "../support/chromium";
import { e2eStack, rowsIn, stackToken } from "../support/e2e-stack";
import { until } from "../support/until";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../support/webhook-receiver";
import { verifyStandard } from "../support/webhook-verify";

// The README's "Try it locally" walk-through, as a newcomer runs it against `npm run dev` (the
// e2e stack is that command): the demo tenants' connections that `npm run dev` made at the
// provider stand-in, an invoice created, finalized and paid in Chromium on the stand-in's
// checkout page, the invoice `paid`, its events in the event log and at the tenant's own webhook
// endpoint, the PDF. EU pays through Stripe, Lagos through Paystack (its region default) and
// through Flutterwave named by the pay request (rows only in Lagos).

const stack = e2eStack();
let browser: Browser;
let receiver: WebhookReceiver;
const received = new Map<string, ReceivedWebhook[]>();
/** The shop's "thank you" page the checkout sends the customer back to. */
let shop: Server;
let shopUrl: string;

beforeAll(async () => {
  browser = await launchChromium();
  receiver = await startWebhookReceiver((name, got) => {
    received.set(name, [...(received.get(name) ?? []), got]);
  });
  shop = createServer((_req, res) => {
    res
      .writeHead(200, { "Content-Type": "text/html" })
      .end("<!doctype html><title>Thanks</title><h1>Thanks</h1>");
  });
  await new Promise<void>((resolve) => shop.listen(0, "127.0.0.1", resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  shop?.closeAllConnections();
  await new Promise((resolve) => shop?.close(resolve));
});

interface Case {
  region: "eu" | "lagos";
  provider: "stripe" | "paystack" | "flutterwave";
  /** The pay request names the connection (otherwise the region's default provider is used). */
  namesConnection?: boolean;
  currency: string;
  line: { description: string; quantity: number; unit_price: string; tax_rate: string };
  total: string;
}

const CASES: Case[] = [
  {
    region: "eu",
    provider: "stripe",
    currency: "EUR",
    line: { description: "Consulting, November", quantity: 10, unit_price: "120.00", tax_rate: "19" },
    total: "1428.00",
  },
  {
    region: "lagos",
    provider: "paystack",
    currency: "NGN",
    line: { description: "Ankara fabric, 6 yards", quantity: 4, unit_price: "12500.00", tax_rate: "7.5" },
    total: "53750.00",
  },
  {
    region: "lagos",
    provider: "flutterwave",
    namesConnection: true,
    currency: "NGN",
    line: { description: "Adire scarf", quantity: 3, unit_price: "8000.00", tax_rate: "7.5" },
    total: "25800.00",
  },
];

type Json = Record<string, unknown> & { data: Record<string, unknown> };

describe("finance walk-through (README: Try it locally, on npm run dev)", () => {
  it("npm run dev printed the demo tenants' connections at the stand-in", () => {
    expect(stack.output).toMatch(
      /Demo payment connections: eu \(Demo GmbH\): stripe pcn_eu_[0-9a-f]{32}( \(new\))?; lagos \(Demo Ventures Ltd\): paystack pcn_ng_[0-9a-f]{32}( \(new\))?, flutterwave pcn_ng_[0-9a-f]{32}/,
    );
    expect(stack.output).toMatch(/Webhook inbox: http:\/\/127\.0\.0\.1:\d+/);
  });

  for (const c of CASES) {
    it(`${c.region}: invoice → finalize → pay in Chromium (${c.provider}) → paid, invoice.paid at the tenant's endpoint, PDF`, async () => {
      const api = stack[c.region];
      const token = await stackToken(c.region);
      const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
      const call = async (
        method: string,
        path: string,
        body?: unknown,
        extra: Record<string, string> = {},
      ) => {
        const response = await fetch(`${api}${path}`, {
          method,
          headers: { ...headers, ...extra },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, json: (text ? JSON.parse(text) : {}) as Json, text };
      };

      // The demo connection npm run dev made is the tenant's, and its webhook URL is in its region.
      const connections = await call("GET", "/api/v1/finance/connections");
      const connection = (
        connections.json.data as unknown as {
          id: string;
          provider: string;
          label: string;
          webhook_url: string;
        }[]
      ).find((x) => x.provider === c.provider && x.label === `Demo ${c.provider} (local stand-in)`);
      expect(connection?.webhook_url.startsWith(`${api}/api/v1/payments/webhook/${c.provider}/`)).toBe(true);

      // The tenant's own server: a loopback receiver, registered through the webhooks API.
      const hook = `${c.region}-${crypto.randomUUID()}`;
      const endpoint = await call("POST", "/api/v1/webhooks/endpoints", {
        url: `${receiver.url}/hooks/${hook}`,
        event_types: ["invoice.paid"],
      });
      expect(endpoint.status, endpoint.text).toBe(201);
      const { id: endpointId, secret } = endpoint.json.data as { id: string; secret: string };

      try {
        const created = await call("POST", "/api/v1/invoices", {
          currency: c.currency,
          due_date: "2030-01-31",
          customer: { name: "Ọ̀ṣọ́ Adébáyọ̀", email: `customer-${c.region}@example.com` },
          lines: [c.line],
        });
        expect(created.status, created.text).toBe(201);
        expect(created.json.data).toMatchObject({ status: "draft", number: null, total: c.total });
        const invoiceId = created.json.data.id as string;

        const finalized = await call("POST", `/api/v1/invoices/${invoiceId}/finalize`);
        expect(finalized.status, finalized.text).toBe(200);
        expect(finalized.json.data).toMatchObject({ status: "open", amount_due: c.total });
        expect(finalized.json.data.number).toMatch(/\d/);

        const returnUrl = `${shopUrl}/thanks/${c.region}`;
        const paid = await call(
          "POST",
          `/api/v1/invoices/${invoiceId}/pay`,
          { return_url: returnUrl, ...(c.namesConnection ? { connection_id: connection?.id } : {}) },
          { "Idempotency-Key": crypto.randomUUID() },
        );
        expect(paid.status, paid.text).toBe(201);
        const payment = paid.json.data as {
          id: string;
          status: string;
          checkout_url: string;
          provider: string;
        };
        expect(payment).toMatchObject({ status: "requires_action", provider: c.provider });

        // The customer: opens the checkout page, clicks Pay, lands back at the shop.
        const page = await browser.newPage();
        try {
          await page.goto(payment.checkout_url);
          await page.getByRole("button", { name: "Pay", exact: true }).click();
          await page.waitForURL((url) => url.href.startsWith(returnUrl), { timeout: 15_000 });
          expect(await page.locator("h1").textContent()).toBe("Thanks");
        } finally {
          await page.close();
        }

        const settled = await until("the invoice paid", 20_000, async () => {
          const got = await call("GET", `/api/v1/invoices/${invoiceId}`);
          return got.json.data.status === "paid" ? got.json.data : undefined;
        });
        expect(settled).toMatchObject({ amount_paid: c.total, amount_due: "0.00" });
        const paymentNow = await call("GET", `/api/v1/finance/payments/${payment.id}`);
        expect(paymentNow.json.data.status).toBe("succeeded");

        // Both events are in the event log, once each.
        const events = await until(
          "invoice.paid and payment.succeeded in the event log",
          10_000,
          async () => {
            const got = await call("GET", "/api/v1/events?limit=100");
            const list = got.json.data as unknown as { event_type: string; data: { id: string } }[];
            const ofInvoice = list.filter((e) => e.event_type === "invoice.paid" && e.data.id === invoiceId);
            const ofPayment = list.filter(
              (e) => e.event_type === "payment.succeeded" && e.data.id === payment.id,
            );
            return ofInvoice.length && ofPayment.length ? { ofInvoice, ofPayment } : undefined;
          },
        );
        expect(events.ofInvoice).toHaveLength(1);
        expect(events.ofPayment).toHaveLength(1);

        // The tenant's endpoint got invoice.paid, signed with its secret.
        const delivered = await until("invoice.paid at the tenant's webhook endpoint", 20_000, async () =>
          received
            .get(hook)
            ?.map(
              (got) =>
                verifyStandard(secret, got) as {
                  event_type: string;
                  tenant_id: string;
                  data: { id: string };
                },
            )
            .find((e) => e.event_type === "invoice.paid" && e.data.id === invoiceId),
        );
        expect(delivered.tenant_id).toBe(DEMO_TENANTS[c.region].tenantId);

        // And the inbox npm run dev points the demo tenant's own endpoint at saw it too.
        const inbox = /Webhook inbox: (http:\/\/127\.0\.0\.1:\d+)/.exec(stack.output)?.[1];
        await until("invoice.paid in the dev stack's webhook inbox", 20_000, async () => {
          const got = (await (await fetch(`${inbox}/${c.region}?event_type=invoice.paid`)).json()) as {
            data: { body: { data: { id: string } } }[];
          };
          return got.data.find((d) => d.body.data.id === invoiceId);
        });

        const pdf = await fetch(`${api}/api/v1/invoices/${invoiceId}/pdf`, { headers });
        expect(pdf.status).toBe(200);
        expect(pdf.headers.get("content-type")).toBe("application/pdf");
        expect(
          Buffer.from(await pdf.arrayBuffer())
            .subarray(0, 5)
            .toString("latin1"),
        ).toBe("%PDF-");

        // Residency: the invoice and its payment are rows of the tenant's home region only.
        const other = c.region === "eu" ? "lagos" : "eu";
        for (const [table, id] of [
          ["invoices", invoiceId],
          ["payments", payment.id],
        ] as const) {
          const query = `select id from ${table} where id = $1`;
          expect(await rowsIn(c.region, query, [id])).toHaveLength(1);
          expect(await rowsIn(other, query, [id])).toEqual([]);
        }
      } finally {
        await call("DELETE", `/api/v1/webhooks/endpoints/${endpointId}`);
      }
    });
  }
});
