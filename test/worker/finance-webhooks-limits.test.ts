import { describe, expect, it } from "vitest";
import { PROVIDER_WEBHOOK_LIMIT, PUBLIC_REQUEST_LIMIT } from "../../workers/api/limits/per-address";
import {
  checkout,
  connect,
  deliver,
  deliveriesFor,
  initiated,
  ownerOfNewTenant,
  untilStatus,
} from "./finance-webhook-helpers";
import { call } from "./helpers";

// The provider webhook intake is counted per connection once a delivery is proven (a provider
// sends its whole storm from a few addresses), and per address while it is not.

const policy = (layer: string, limit: number, windowMs: number) =>
  `"${layer}";q=${limit};w=${windowMs / 1000}`;

async function paidDelivery() {
  const { token } = await ownerOfNewTenant();
  const connection = await connect(token, "paystack");
  const payment = await initiated(token, { amount: "250.00" });
  await checkout(payment.checkout_url, "pay");
  const [delivery] = await deliveriesFor(payment.provider_reference, "charge.success");
  if (!delivery) throw new Error("the stand-in recorded no charge.success");
  return { token, connection, payment, delivery };
}

describe("provider webhook limits", () => {
  it("a verified delivery counts against its connection, a refused one against the address", async () => {
    const { token, connection, payment, delivery } = await paidDelivery();
    const ip = "192.0.2.77";
    const ok = await deliver(connection.webhookPath, delivery.body, {
      ...delivery.headers,
      "CF-Connecting-IP": ip,
    });
    expect(ok.status).toBe(200);
    const { limit, windowMs } = PROVIDER_WEBHOOK_LIMIT;
    expect(ok.headers.get("RateLimit-Policy")).toBe(policy("connection", limit, windowMs));
    await untilStatus(token, payment.id, "succeeded");

    const forged = await deliver(connection.webhookPath, delivery.body, {
      "x-paystack-signature": "0".repeat(128),
      "CF-Connecting-IP": ip,
    });
    expect(forged.status).toBe(400);
    expect(forged.headers.get("RateLimit-Policy")).toBeNull();
    // The refusal was counted against the address: its public counter moved.
    const probe = await call("/api/v1/nexus/presets", { token: null, headers: { "CF-Connecting-IP": ip } });
    expect(Number(probe.headers.get("X-RateLimit-Remaining"))).toBe(PUBLIC_REQUEST_LIMIT.limit - 2);
  });

  it("an address that used up its public limit still delivers verified events, but not forgeries", async () => {
    const { token, connection, payment, delivery } = await paidDelivery();
    const ip = "192.0.2.78";
    // Fixed windows aligned to the epoch: start well inside one.
    const intoWindow = Date.now() % PUBLIC_REQUEST_LIMIT.windowMs;
    if (intoWindow > PUBLIC_REQUEST_LIMIT.windowMs - 15_000) {
      await new Promise((resolve) => setTimeout(resolve, PUBLIC_REQUEST_LIMIT.windowMs - intoWindow + 100));
    }
    const burst = await Promise.all(
      Array.from({ length: PUBLIC_REQUEST_LIMIT.limit }, () =>
        call("/api/v1/nexus/presets", { token: null, headers: { "CF-Connecting-IP": ip } }),
      ),
    );
    expect(burst.every((r) => r.status === 200)).toBe(true);
    const spent = await call("/api/v1/nexus/presets", { token: null, headers: { "CF-Connecting-IP": ip } });
    expect(spent.status).toBe(429);

    const ok = await deliver(connection.webhookPath, delivery.body, {
      ...delivery.headers,
      "CF-Connecting-IP": ip,
    });
    expect(ok.status).toBe(200);
    await untilStatus(token, payment.id, "succeeded");
    const forged = await deliver(connection.webhookPath, delivery.body, {
      "x-paystack-signature": "0".repeat(128),
      "CF-Connecting-IP": ip,
    });
    expect(forged.status).toBe(429);
    const unknown = await deliver(
      `/api/v1/payments/webhook/paystack/pcn_eu_${crypto.randomUUID().replaceAll("-", "")}`,
      delivery.body,
      { ...delivery.headers, "CF-Connecting-IP": ip },
    );
    expect(unknown.status).toBe(429);
  }, 60_000);
});
