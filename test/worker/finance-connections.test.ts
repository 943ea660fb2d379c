import { env } from "cloudflare:test";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { openSecret } from "../../workers/api/auth/credentials/secret-box";
import { TEST_REGION_URLS } from "../support/regions";
import {
  type Connection,
  connect,
  connectionBody,
  connectionEvents,
  connections,
  connectorOf,
  dataKey,
  flutterwaveHash,
  flutterwaveKey,
  paystackKey,
  storedConnection,
  stripeKey,
  stripeWebhookSecret,
} from "./finance-connection-helpers";
import { call, callWith, envelope, signingKeys, tokenFor } from "./helpers";
import { freshTenant } from "./webhook-helpers";

const PROVIDERS = ["stripe", "paystack", "flutterwave"] as const;

describe("payment connections: CRUD", () => {
  it("creates, reads, lists, changes and deletes a connection of each provider", async () => {
    const { token, tenantId } = await freshTenant();
    for (const provider of PROVIDERS) {
      const body = connectionBody(provider, { label: `Main ${provider}` });
      const created = await connect(token, body);
      expect(created.status, created.text).toBe(201);
      const id = created.body.data.id;
      expect(id).toMatch(/^pcn_eu_[0-9a-f]{32}$/);
      expect(created.res.headers.get("Location")).toBe(`/api/v1/finance/connections/${id}`);
      expect(created.body.data).toMatchObject({
        provider,
        label: `Main ${provider}`,
        livemode: false,
        enabled: true,
        secret_key_last4: body.secret_key.slice(-4),
        has_webhook_secret: provider !== "paystack",
        previous_webhook_secret_expires_at: null,
        secrets_rotated_at: null,
        webhook_url: `${TEST_REGION_URLS.eu}/api/v1/payments/webhook/${provider}/${id}`,
        webhook_rejections: 0,
        last_webhook_received_at: null,
      });

      expect((await connections(`/${id}`, { token })).body.data).toEqual(created.body.data);
      const changed = await connections(`/${id}`, {
        method: "PATCH",
        token,
        json: { label: null, enabled: false },
      });
      expect(changed.status, changed.text).toBe(200);
      expect(changed.body.data).toMatchObject({ label: null, enabled: false, secrets_rotated_at: null });

      expect((await connections(`/${id}`, { method: "DELETE", token })).status).toBe(204);
      expect((await connections(`/${id}`, { token })).status).toBe(404);
      expect((await connections(`/${id}`, { method: "DELETE", token })).status).toBe(404);
      const events = await connectionEvents(tenantId, id);
      expect(events.map((e) => e.event_type)).toEqual([
        "payment_connection.created",
        "payment_connection.updated",
        "payment_connection.deleted",
      ]);
      expect(events[0]?.payload.data).toEqual(created.body.data);
    }
  });

  it("lists newest first with cursor pagination, never a deleted one", async () => {
    const { token } = await freshTenant();
    const ids: string[] = [];
    for (const provider of PROVIDERS) ids.push((await connect(token, connectionBody(provider))).body.data.id);
    await connections(`/${ids[1]}`, { method: "DELETE", token });
    const first = await connections<Connection[]>("?limit=1", { token });
    expect(first.body.data.map((c) => c.id)).toEqual([ids[2]]);
    expect(first.body.meta?.has_more).toBe(true);
    const rest = await connections<Connection[]>(`?limit=5&cursor=${first.body.meta?.cursor}`, { token });
    expect(rest.body.data.map((c) => c.id)).toEqual([ids[0]]);
    expect(rest.body.meta).toMatchObject({ has_more: false, cursor: null });
  });

  it("a live key makes a live connection", async () => {
    const { token } = await freshTenant();
    const live = await connect(token, { provider: "paystack", secret_key: paystackKey("live") });
    expect(live.body.data.livemode).toBe(true);
    const flw = await connect(token, {
      provider: "flutterwave",
      secret_key: flutterwaveKey("live"),
      webhook_secret: flutterwaveHash(),
    });
    expect(flw.body.data.livemode).toBe(true);
  });
});

describe("payment connections: secrets", () => {
  it("never appear in a response, an event or the event log, and are sealed at rest to the row", async () => {
    const { token, tenantId } = await freshTenant();
    const secretKey = stripeKey();
    const webhookSecret = stripeWebhookSecret();
    const texts: string[] = [];
    const created = await connect(token, {
      provider: "stripe",
      secret_key: secretKey,
      webhook_secret: webhookSecret,
    });
    texts.push(created.text);
    const id = created.body.data.id;
    // As created: both secrets sealed to the row, neither in clear anywhere in it.
    const fresh = (await storedConnection(tenantId, id)) as Record<string, string>;
    expect(JSON.stringify(fresh)).not.toContain(secretKey);
    expect(JSON.stringify(fresh)).not.toContain(webhookSecret.slice(6));
    const bound = `payment_connection:${fresh.id}`;
    expect(await openSecret(dataKey(), fresh.secret_key_sealed as string, bound)).toBe(secretKey);
    expect(await openSecret(dataKey(), fresh.webhook_secret_sealed as string, bound)).toBe(webhookSecret);
    texts.push((await connections(`/${id}`, { token })).text, (await connections("", { token })).text);
    const rotatedKey = stripeKey();
    const rotatedSecret = stripeWebhookSecret();
    texts.push(
      (
        await connections(`/${id}`, {
          method: "PATCH",
          token,
          json: { secret_key: rotatedKey, webhook_secret: rotatedSecret },
        })
      ).text,
    );
    texts.push(await (await call("/api/v1/events?limit=200", { token })).text());
    texts.push(JSON.stringify(await connectionEvents(tenantId, id)));
    for (const text of texts) {
      for (const secret of [secretKey, webhookSecret, rotatedKey, rotatedSecret]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.slice(8));
      }
    }

    const row = (await storedConnection(tenantId, id)) as Record<string, string>;
    const stored = JSON.stringify(row);
    for (const secret of [secretKey, webhookSecret, rotatedKey, rotatedSecret])
      expect(stored).not.toContain(secret);
    expect(row.secret_key_sealed).toMatch(/^v1\./);
    const uuid = row.id as string;
    // Sealed under the region's key and bound to this row: it opens here and nowhere else.
    expect(await openSecret(dataKey(), row.secret_key_sealed as string, `payment_connection:${uuid}`)).toBe(
      rotatedKey,
    );
    expect(
      await openSecret(dataKey(), row.webhook_secret_sealed as string, `payment_connection:${uuid}`),
    ).toBe(rotatedSecret);
    expect(
      await openSecret(dataKey(), row.previous_webhook_secret_sealed as string, `payment_connection:${uuid}`),
    ).toBe(webhookSecret);
    await expect(
      openSecret(dataKey(), row.secret_key_sealed as string, `payment_connection:${crypto.randomUUID()}`),
    ).rejects.toThrow();

    await connections(`/${id}`, { method: "DELETE", token });
    const deleted = (await storedConnection(tenantId, id)) as Record<string, unknown>;
    expect(deleted).toMatchObject({
      is_deleted: true,
      secret_key_sealed: null,
      webhook_secret_sealed: null,
      previous_webhook_secret_sealed: null,
      previous_webhook_secret_expires_at: null,
    });
  });

  it("with no DATA_ENCRYPTION_KEY in the region, a connection is refused with 503 rather than stored in clear", async () => {
    const { token } = await freshTenant();
    const res = await callWith({ DATA_ENCRYPTION_KEY: "" }, "/api/v1/finance/connections", {
      method: "POST",
      token,
      json: connectionBody("paystack"),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBeTruthy();
  });
});

describe("payment connections: rotation", () => {
  const signer = new Stripe(stripeKey(), { httpClient: Stripe.createFetchHttpClient() });
  const stripeWebhook = async (secret: string) => {
    const payload = JSON.stringify({
      id: `evt_${crypto.randomUUID()}`,
      object: "event",
      type: "ping",
      data: { object: {} },
    });
    const header = await signer.webhooks.generateTestHeaderStringAsync({
      payload,
      secret,
      cryptoProvider: Stripe.createSubtleCryptoProvider(),
    });
    return [new TextEncoder().encode(payload), new Headers({ "Stripe-Signature": header })] as const;
  };

  it("a new Stripe webhook secret keeps the previous one valid for the grace period; 0 ends it at once", async () => {
    const { token, tenantId } = await freshTenant();
    const first = stripeWebhookSecret();
    const id = (await connect(token, { provider: "stripe", secret_key: stripeKey(), webhook_secret: first }))
      .body.data.id;
    const second = stripeWebhookSecret();
    const rotated = await connections(`/${id}`, { method: "PATCH", token, json: { webhook_secret: second } });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.data.secrets_rotated_at).not.toBeNull();
    const graceEnds = Date.parse(rotated.body.data.previous_webhook_secret_expires_at as string);
    expect(graceEnds - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(graceEnds - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    let connector = await connectorOf(tenantId, id);
    for (const secret of [first, second]) {
      expect((await connector.parseWebhook(...(await stripeWebhook(secret)), new Date())).verified).toBe(
        true,
      );
    }
    const third = stripeWebhookSecret();
    const ended = await connections(`/${id}`, {
      method: "PATCH",
      token,
      json: { webhook_secret: third, grace_period_seconds: 0 },
    });
    expect(ended.body.data.previous_webhook_secret_expires_at).toBeNull();
    connector = await connectorOf(tenantId, id);
    expect((await connector.parseWebhook(...(await stripeWebhook(third)), new Date())).verified).toBe(true);
    for (const secret of [first, second]) {
      expect(await connector.parseWebhook(...(await stripeWebhook(secret)), new Date())).toEqual({
        verified: false,
        reason: "bad_signature",
      });
    }
  });

  it("a new Paystack key replaces the old for API calls, and the old still verifies webhooks during the grace period", async () => {
    const { token, tenantId } = await freshTenant();
    const oldKey = paystackKey();
    const id = (await connect(token, { provider: "paystack", secret_key: oldKey })).body.data.id;
    const newKey = paystackKey();
    const rotated = await connections(`/${id}`, { method: "PATCH", token, json: { secret_key: newKey } });
    expect(rotated.body.data).toMatchObject({
      secret_key_last4: newKey.slice(-4),
      has_webhook_secret: false,
    });
    expect(rotated.body.data.previous_webhook_secret_expires_at).not.toBeNull();
    const row = (await storedConnection(tenantId, id)) as Record<string, string>;
    expect(await openSecret(dataKey(), row.secret_key_sealed as string, `payment_connection:${row.id}`)).toBe(
      newKey,
    );

    const body = JSON.stringify({ event: "charge.success", data: { id: 1, reference: "r-1" } });
    const sign = async (key: string) => {
      const k = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode(key),
        { name: "HMAC", hash: "SHA-512" },
        false,
        ["sign"],
      );
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(body)));
      return new Headers({
        "x-paystack-signature": Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(""),
      });
    };
    const connector = await connectorOf(tenantId, id);
    for (const key of [oldKey, newKey]) {
      expect(
        (await connector.parseWebhook(new TextEncoder().encode(body), await sign(key), new Date())).verified,
      ).toBe(true);
    }
    expect(
      (await connector.parseWebhook(new TextEncoder().encode(body), await sign(paystackKey()), new Date()))
        .verified,
    ).toBe(false);
  });

  it("a rotated key keeps the connection's mode: a live key on a test connection is refused", async () => {
    const { token } = await freshTenant();
    const id = (await connect(token, connectionBody("stripe"))).body.data.id;
    const res = await connections(`/${id}`, {
      method: "PATCH",
      token,
      json: { secret_key: stripeKey("live") },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toMatchObject({ code: "VALIDATION_ERROR", field: "secret_key" });
  });
});

describe("payment connections: validation", () => {
  const refused: [string, Record<string, unknown>, string][] = [
    [
      "Stripe with a Paystack-like key",
      { provider: "stripe", secret_key: "pk_test_abcdefghijkl", webhook_secret: stripeWebhookSecret() },
      "secret_key",
    ],
    ["Stripe without a webhook secret", { provider: "stripe", secret_key: stripeKey() }, "webhook_secret"],
    [
      "Stripe with a webhook secret not whsec_",
      { provider: "stripe", secret_key: stripeKey(), webhook_secret: "abcdefghijklmnopqrstu" },
      "webhook_secret",
    ],
    ["Paystack with a Flutterwave key", { provider: "paystack", secret_key: flutterwaveKey() }, "secret_key"],
    [
      "Paystack with a webhook secret",
      { provider: "paystack", secret_key: paystackKey(), webhook_secret: "whatever-1234" },
      "webhook_secret",
    ],
    [
      "Flutterwave with an sk_ key",
      { provider: "flutterwave", secret_key: paystackKey(), webhook_secret: flutterwaveHash() },
      "secret_key",
    ],
    [
      "Flutterwave without its secret hash",
      { provider: "flutterwave", secret_key: flutterwaveKey() },
      "webhook_secret",
    ],
    ["an unknown provider", { provider: "paypal", secret_key: stripeKey() }, "provider"],
    ["an unknown field", { ...connectionBody("paystack"), livemode: true }, "livemode"],
    ["no secret key", { provider: "paystack" }, "secret_key"],
  ];
  it.each(refused)("refuses %s with 400 naming the field", async (_name, json, field) => {
    const { token } = await freshTenant();
    const res = await connect(token, json);
    expect(res.status, res.text).toBe(400);
    // An unknown field is named in the message (it has no schema path of its own).
    expect(res.body.errors?.some((e) => e.field === field || e.message.includes(field))).toBe(true);
    expect((await connections("", { token })).body.data).toEqual([]);
  });

  it("refuses a malformed id with 400 and an empty patch with 400", async () => {
    const { token } = await freshTenant();
    expect((await connections("/not-an-id", { token })).status).toBe(400);
    const id = (await connect(token, connectionBody("paystack"))).body.data.id;
    expect((await connections(`/${id}`, { method: "PATCH", token, json: {} })).status).toBe(400);
    expect(
      (await connections(`/${id}`, { method: "PATCH", token, json: { grace_period_seconds: 10 } })).status,
    ).toBe(400);
  });
});

describe("payment connections: access", () => {
  it("Owner and Admin manage connections; Manager reads them; Member, Viewer and Guest get 403", async () => {
    const { tenantId, token } = await freshTenant();
    const id = (await connect(token, connectionBody("paystack"))).body.data.id;
    const as = (role: string) => tokenFor({ tenantId, userId: crypto.randomUUID(), role });
    const admin = await as("Admin");
    expect((await connect(admin, connectionBody("stripe"))).status).toBe(201);
    expect(
      (await connections(`/${id}`, { method: "PATCH", token: admin, json: { label: "x" } })).status,
    ).toBe(200);

    const writes = [
      ["POST", "", connectionBody("paystack")],
      ["PATCH", `/${id}`, { enabled: false }],
      ["DELETE", `/${id}`, undefined],
    ] as const;
    const manager = await as("Manager");
    expect((await connections("", { token: manager })).status).toBe(200);
    expect((await connections(`/${id}`, { token: manager })).status).toBe(200);
    for (const [method, path, json] of writes) {
      expect((await connections(path, { method, token: manager, json })).status, `Manager ${method}`).toBe(
        403,
      );
    }
    for (const role of ["Member", "Viewer", "Guest"]) {
      const t = await as(role);
      expect((await connections("", { token: t })).status, `${role} list`).toBe(403);
      expect((await connections(`/${id}`, { token: t })).status, `${role} get`).toBe(403);
      for (const [method, path, json] of writes) {
        expect((await connections(path, { method, token: t, json })).status, `${role} ${method}`).toBe(403);
      }
    }
    // A token without the finance scopes cannot manage connections either, whatever its role.
    const crmOnly = await tokenFor({ tenantId, role: "Owner", scope: "crm:read crm:write" });
    expect((await connections("", { token: crmOnly })).status).toBe(403);
    expect((await connections(`/${id}`, { token })).body.data.enabled).toBe(true);
  });

  it("answers another tenant's id with the same 404 as a missing one, on every route, and changes nothing", async () => {
    const owner = await freshTenant();
    const intruder = await freshTenant();
    const id = (await connect(owner.token, connectionBody("flutterwave", { label: "mine" }))).body.data.id;
    const missing = `pcn_eu_${crypto.randomUUID().replaceAll("-", "")}`;
    for (const [method, json] of [
      ["GET", undefined],
      ["PATCH", { label: "theirs", webhook_secret: flutterwaveHash() }],
      ["DELETE", undefined],
    ] as const) {
      const theirs = await connections(`/${id}`, { method, token: intruder.token, json });
      const none = await connections(`/${missing}`, { method, token: intruder.token, json });
      expect(theirs.status, method).toBe(404);
      expect(theirs.body.errors, method).toEqual(none.body.errors);
    }
    expect((await connections<Connection[]>("", { token: intruder.token })).body.data).toEqual([]);
    const after = await connections(`/${id}`, { token: owner.token });
    expect(after.body.data).toMatchObject({ label: "mine", secrets_rotated_at: null, enabled: true });
    // A Lagos id is never looked up in the EU database.
    const lagosId = id.replace("pcn_eu_", "pcn_ng_");
    expect((await connections(`/${lagosId}`, { token: owner.token })).status).toBe(404);
  });

  it("payment_connection events appear in the event log only for readers of connections", async () => {
    const { tenantId, token } = await freshTenant();
    await connect(token, connectionBody("paystack"));
    const eventsAs = async (role: string) => {
      const t = await tokenFor({ tenantId, userId: crypto.randomUUID(), role });
      const res = await call("/api/v1/events?limit=200", { token: t });
      return (await envelope<{ event_type: string }[]>(res)).data.map((e) => e.event_type);
    };
    expect(await eventsAs("Owner")).toEqual(["payment_connection.created"]);
    expect(await eventsAs("Manager")).toEqual(["payment_connection.created"]);
    expect(await eventsAs("Member")).toEqual([]);
  });
});

describe("payment connections: regions", () => {
  it("a Lagos tenant's connection has a pcn_ng_ id and a webhook URL in the Lagos region", async () => {
    const { tenantId, userId } = await freshTenant();
    const lagos = { REGION: "lagos", JWT_SIGNING_KEY: JSON.stringify(signingKeys().lagos) } as Partial<Env>;
    const token = await tokenFor({ tenantId, userId, region: "lagos" });
    const res = await callWith(lagos, "/api/v1/finance/connections", {
      method: "POST",
      token,
      json: connectionBody("paystack"),
    });
    expect(res.status).toBe(201);
    const data = (await envelope<Connection>(res)).data;
    expect(data.id).toMatch(/^pcn_ng_[0-9a-f]{32}$/);
    expect(data.webhook_url).toBe(`${TEST_REGION_URLS.lagos}/api/v1/payments/webhook/paystack/${data.id}`);
    const read = await callWith(lagos, `/api/v1/finance/connections/${data.id}`, { token });
    expect((await envelope<Connection>(read)).data).toEqual(data);
    // The EU form of the same row id is not this connection in the Lagos region.
    const euForm = await callWith(
      lagos,
      `/api/v1/finance/connections/${data.id.replace("pcn_ng_", "pcn_eu_")}`,
      { token },
    );
    expect(euForm.status).toBe(404);
    expect(env.REGION).toBe("eu");
  });
});
