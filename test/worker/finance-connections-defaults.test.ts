import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../workers/api/env";
import { ApiError } from "../../workers/api/lib/errors";
import type { ServiceContext } from "../../workers/api/services/context";
import { connectionForPayment } from "../../workers/api/services/finance/connection-for-payment";
import { connect, connectionBody, connections, storedConnection } from "./finance-connection-helpers";
import { asTenant, db } from "./oauth-helpers";
import { freshTenant } from "./webhook-helpers";

// connectionForPayment: which of a tenant's connections a payment goes through (the registry's
// order for its currency, or the connection it names), with the connector ready to call.

const config = loadConfig(env);

function contextOf(tenantId: string, userId: string): ServiceContext {
  return {
    db: db(),
    actor: { userId, credential: "access_token", tenantId, role: "Owner", scopes: [] },
    region: "eu",
    requestId: crypto.randomUUID(),
  };
}

async function tenantWith(...providers: ("stripe" | "paystack" | "flutterwave")[]) {
  const tenant = await freshTenant();
  const ids: Record<string, string> = {};
  for (const provider of providers)
    ids[provider] = (await connect(tenant.token, connectionBody(provider))).body.data.id;
  return { ...tenant, ids, ctx: contextOf(tenant.tenantId, tenant.userId) };
}

const rowIdOf = async (tenantId: string, publicId: string) =>
  (await storedConnection(tenantId, publicId))?.id as string;

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("connectionForPayment: region defaults", () => {
  it("NGN → Paystack, else Flutterwave; EUR and other currencies → Stripe", async () => {
    const { ctx, ids, tenantId, token } = await tenantWith("stripe", "paystack", "flutterwave");
    const ngn = await connectionForPayment(ctx, config, "NGN");
    expect(ngn).toMatchObject({
      provider: "paystack",
      connectionId: await rowIdOf(tenantId, ids.paystack as string),
    });
    expect((await connectionForPayment(ctx, config, "GHS")).provider).toBe("paystack");
    expect((await connectionForPayment(ctx, config, "EUR")).provider).toBe("stripe");
    expect((await connectionForPayment(ctx, config, "USD")).provider).toBe("stripe");

    await connections(`/${ids.paystack}`, { method: "PATCH", token, json: { enabled: false } });
    expect((await connectionForPayment(ctx, config, "NGN")).provider).toBe("flutterwave");
    await connections(`/${ids.flutterwave}`, { method: "DELETE", token });
    const none = await refusal(connectionForPayment(ctx, config, "NGN"));
    expect(none.status).toBe(400);
    expect(none.details[0]).toMatchObject({ field: "currency" });
    expect(none.message).toContain("NGN");
    expect(none.message).toContain("Paystack or Flutterwave");
  });

  it("of two connections of the provider, the newest enabled one", async () => {
    const { ctx, tenantId, token } = await tenantWith("flutterwave");
    const newer = (await connect(token, connectionBody("flutterwave"))).body.data.id;
    expect((await connectionForPayment(ctx, config, "NGN")).connectionId).toBe(
      await rowIdOf(tenantId, newer),
    );
  });

  it("a tenant's recorded preference (its preset's settings.payment_providers) orders the providers of the currency", async () => {
    const { ctx, tenantId } = await tenantWith("paystack", "flutterwave");
    await asTenant(
      tenantId,
      sql`update tenants set settings = jsonb_set(settings, '{payment_providers}', '["flutterwave", "paystack"]') where id = ${tenantId}`,
    );
    expect((await connectionForPayment(ctx, config, "NGN")).provider).toBe("flutterwave");
    // A preference for a provider that does not take the currency changes nothing.
    await asTenant(
      tenantId,
      sql`update tenants set settings = jsonb_set(settings, '{payment_providers}', '["stripe"]') where id = ${tenantId}`,
    );
    expect((await connectionForPayment(ctx, config, "NGN")).provider).toBe("paystack");
  });

  it("a EUR tenant with no connection gets a 400 naming the currency and Stripe", async () => {
    const { ctx } = await tenantWith();
    const none = await refusal(connectionForPayment(ctx, config, "EUR"));
    expect(none.message).toMatch(/No enabled payment connection takes EUR payments: connect Stripe/);
  });
});

describe("connectionForPayment: a named connection", () => {
  it("is used whatever the currency's default, when it is the tenant's, live and enabled", async () => {
    const { ctx, ids, tenantId, token } = await tenantWith("stripe", "paystack");
    const named = await connectionForPayment(ctx, config, "NGN", ids.stripe);
    expect(named).toMatchObject({
      provider: "stripe",
      connectionId: await rowIdOf(tenantId, ids.stripe as string),
    });

    await connections(`/${ids.stripe}`, { method: "PATCH", token, json: { enabled: false } });
    const disabled = await refusal(connectionForPayment(ctx, config, "EUR", ids.stripe));
    expect(disabled.details[0]).toMatchObject({
      field: "connection_id",
      message: "The payment connection is disabled",
    });

    await connections(`/${ids.paystack}`, { method: "DELETE", token });
    const deleted = await refusal(connectionForPayment(ctx, config, "NGN", ids.paystack));
    expect(deleted.details[0]).toMatchObject({
      field: "connection_id",
      message: "No such payment connection",
    });
  });

  it("another tenant's, another region's or a malformed id is 'No such payment connection'", async () => {
    const theirs = await tenantWith("paystack");
    const { ctx } = await tenantWith("paystack");
    for (const id of [
      theirs.ids.paystack as string,
      (theirs.ids.paystack as string).replace("pcn_eu_", "pcn_ng_"),
      "pcn_eu_nothex",
      crypto.randomUUID(),
    ]) {
      const error = await refusal(connectionForPayment(ctx, config, "NGN", id));
      expect(error.details[0], id).toMatchObject({
        field: "connection_id",
        message: "No such payment connection",
      });
    }
  });

  it("hands back a connector with the connection's secrets opened, ready to call the provider", async () => {
    const { ctx } = await tenantWith("paystack");
    const route = await connectionForPayment(ctx, config, "NGN");
    const paymentId = crypto.randomUUID();
    const started = await route.connector.initiate({
      paymentId,
      reference: `nx-${paymentId.replaceAll("-", "")}`,
      amountMinor: 150000n,
      currency: "NGN",
      customerEmail: "ada@shop.example",
      returnUrl: "https://shop.example/paid",
      description: "Order 7",
    });
    expect(started.checkoutUrl).toContain("/checkout/paystack/");
    expect((await route.connector.verify(started)).status).toBe("requires_action");
  });
});
