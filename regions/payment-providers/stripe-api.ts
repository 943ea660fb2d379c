import type { CheckoutLookup, HostedCheckout, Outcome } from "./checkout";
import { json, type Reply } from "./http-io";
import { base62, stripeId } from "./ids";
import { route as defineRoute, header, match, type RequestContext, type Route } from "./routing";
import { stripeSignature } from "./signing";
import { invalid, missing, StripeApiError, stripeErrorReply } from "./stripe-errors";
import {
  type Charge,
  type CheckoutSession,
  chargeFor,
  type Dispute,
  disputeFor,
  type Metadata,
  now,
  type PaymentIntent,
  paymentIntentFor,
  type Refund,
  type StripeEvent,
  type WebhookEndpoint,
} from "./stripe-objects";
import {
  endpointCreateSchema,
  paramsOf,
  parse,
  refundCreateSchema,
  sessionCreateSchema,
} from "./stripe-params";
import { authenticate, fingerprintOf, IdempotencyStore, idempotencyKeyOf } from "./stripe-request";
import type { WebhookDeliveries } from "./webhook-deliveries";

// Stripe's v1 API at the root (stripe-node can change host, port and protocol, not add a path):
// Checkout Sessions, PaymentIntents, Refunds, Webhook Endpoints and Events. Every distinct test
// secret key is its own account: objects made with one key are invisible to another (404).

/** What events carry when the caller sent no Stripe-Version (stripe-node always sends its own). */
export const DEFAULT_API_VERSION = "2026-11-18.endive";

interface Account {
  sessions: Map<string, SessionRecord>;
  intents: Map<string, PaymentIntent>;
  charges: Map<string, Charge>;
  refunds: Map<string, Refund>;
  endpoints: Map<string, WebhookEndpoint & { secret: string }>;
  events: Map<string, StripeEvent>;
  idempotency: IdempotencyStore;
}

interface SessionRecord {
  account: Account;
  session: CheckoutSession;
  apiVersion: string;
  description: string;
  intentMetadata: Metadata;
}

interface Call {
  ctx: RequestContext;
  account: Account;
  apiVersion: string;
  requestId: string;
  idempotencyKey: string | null;
  params: Record<string, unknown>;
}

type StripeHandler = (call: Call) => Promise<unknown> | unknown;

export interface StripeStandIn {
  handle(ctx: RequestContext): Promise<Reply>;
  checkout: CheckoutLookup;
  /**
   * The cardholder's bank opens a dispute on the PaymentIntent's charge (on Stripe: a test card
   * such as 4000 0000 0000 0259): the charge turns `disputed` and `charge.dispute.created` goes
   * out. Undefined for an intent no account has, or one without a charge.
   */
  dispute(paymentIntentId: string): Promise<Dispute | undefined>;
  reset(): void;
  close(): void;
}

export function createStripeStandIn(options: {
  origin: () => string;
  deliveries: WebhookDeliveries;
}): StripeStandIn {
  const accounts = new Map<string, Account>();
  const sessionsById = new Map<string, SessionRecord>();

  function accountFor(key: string): Account {
    let account = accounts.get(key);
    if (!account) {
      account = {
        sessions: new Map(),
        intents: new Map(),
        charges: new Map(),
        refunds: new Map(),
        endpoints: new Map(),
        events: new Map(),
        idempotency: new IdempotencyStore(),
      };
      accounts.set(key, account);
    }
    return account;
  }

  /** Creates an event, stores it, and sends it to every endpoint of the account that wants it. */
  async function emit(
    account: Account,
    type: string,
    object: unknown,
    apiVersion: string,
    request: StripeEvent["request"],
    previous?: Record<string, unknown>,
  ): Promise<void> {
    const endpoints = [...account.endpoints.values()].filter(
      (endpoint) => endpoint.enabled_events.includes("*") || endpoint.enabled_events.includes(type),
    );
    const event: StripeEvent = {
      id: stripeId("evt", 24),
      object: "event",
      api_version: apiVersion,
      created: now(),
      // A snapshot: later changes to the object must not show in an earlier event.
      data: { object: structuredClone(object), ...(previous ? { previous_attributes: previous } : {}) },
      livemode: false,
      pending_webhooks: endpoints.length,
      request,
      type,
    };
    account.events.set(event.id, event);
    const reference = referenceOf(object);
    // Stripe's webhook bodies are pretty-printed JSON: receivers must verify the raw bytes.
    const body = JSON.stringify(event, null, 2);
    await Promise.all(
      endpoints.map((endpoint) =>
        options.deliveries.send({
          provider: "stripe",
          eventId: event.id,
          eventType: type,
          reference,
          url: endpoint.url,
          body,
          headers: (raw) => ({
            "content-type": "application/json; charset=utf-8",
            "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "stripe-signature": stripeSignature(endpoint.secret, raw, now()),
          }),
        }),
      ),
    );
  }

  function sessionOf(call: Call): SessionRecord {
    const id = call.ctx.params.id ?? "";
    const record = call.account.sessions.get(id);
    if (!record) throw missing("checkout.session", id, "session");
    return record;
  }

  async function expire(record: SessionRecord, request: StripeEvent["request"]): Promise<void> {
    record.session.status = "expired";
    record.session.url = null;
    await emit(record.account, "checkout.session.expired", record.session, record.apiVersion, request);
  }

  async function pay(record: SessionRecord): Promise<void> {
    const { session, account } = record;
    const email = session.customer_email ?? "customer@example.com";
    const intent = paymentIntentFor(session, record.intentMetadata);
    intent.payment_method = stripeId("pm", 24);
    const charge = chargeFor(intent, email);
    intent.status = "succeeded";
    intent.amount_received = intent.amount;
    intent.latest_charge = charge.id;
    account.intents.set(intent.id, intent);
    account.charges.set(charge.id, charge);
    session.status = "complete";
    session.payment_status = "paid";
    session.payment_intent = intent.id;
    session.url = null;
    session.customer_details = {
      address: null,
      email,
      name: null,
      phone: null,
      tax_exempt: "none",
      tax_ids: [],
    };
    // The customer's action, not an API call, caused these: Stripe sends request.id null.
    const request = { id: null, idempotency_key: null };
    await emit(account, "charge.succeeded", charge, record.apiVersion, request);
    await emit(account, "payment_intent.succeeded", intent, record.apiVersion, request);
    await emit(account, "checkout.session.completed", session, record.apiVersion, request);
  }

  /**
   * A delayed payment method (SEPA Direct Debit): the session completes unpaid, the PaymentIntent
   * is processing, then the debit fails: payment_intent.payment_failed and
   * checkout.session.async_payment_failed, as Stripe sends them days later.
   */
  async function failAsync(record: SessionRecord): Promise<void> {
    const { session, account } = record;
    const email = session.customer_email ?? "customer@example.com";
    const intent = paymentIntentFor(session, record.intentMetadata);
    intent.payment_method = stripeId("pm", 24);
    intent.payment_method_types = ["sepa_debit"];
    intent.status = "processing";
    account.intents.set(intent.id, intent);
    session.status = "complete";
    session.payment_status = "unpaid";
    session.payment_intent = intent.id;
    session.url = null;
    session.customer_details = {
      address: null,
      email,
      name: null,
      phone: null,
      tax_exempt: "none",
      tax_ids: [],
    };
    const request = { id: null, idempotency_key: null };
    await emit(account, "checkout.session.completed", session, record.apiVersion, request);
    intent.status = "requires_payment_method";
    intent.payment_method = null;
    intent.last_payment_error = {
      code: "payment_method_provider_decline",
      decline_code: "insufficient_funds",
      message: "The customer's bank account could not be charged.",
      type: "card_error",
    };
    await emit(account, "payment_intent.payment_failed", intent, record.apiVersion, request);
    await emit(account, "checkout.session.async_payment_failed", session, record.apiVersion, request);
  }

  const handlers: Route<StripeHandler>[] = [
    apiRoute("POST", "/v1/checkout/sessions", (call) => {
      const input = parse(sessionCreateSchema, call.params);
      let amount = 0n;
      let currency: string | undefined;
      const names: string[] = [];
      for (const [index, item] of input.line_items.entries()) {
        if (item.price) throw missing("price", item.price, `line_items[${index}][price]`);
        if (!item.price_data) {
          throw invalid(
            `Missing required param: line_items[${index}][price_data].`,
            `line_items[${index}][price_data]`,
            "parameter_missing",
          );
        }
        const itemCurrency = item.price_data.currency.toLowerCase();
        if (currency && currency !== itemCurrency) {
          throw invalid(
            "All line items must have the same currency.",
            `line_items[${index}][price_data][currency]`,
          );
        }
        currency = itemCurrency;
        amount += BigInt(item.price_data.unit_amount) * BigInt(item.quantity ?? "1");
        names.push(item.price_data.product_data.name);
      }
      // Stripe's own ceiling for one Checkout Session amount (8 digits, in minor units).
      if (amount > 99_999_999n)
        throw invalid("Amount must be no more than 99999999.", "line_items", "amount_too_large");
      const created = now();
      const expiresAt = input.expires_at ? Number(input.expires_at) : created + 24 * 3600;
      if (expiresAt < created + 30 * 60 || expiresAt > created + 24 * 3600) {
        throw invalid(
          "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.",
          "expires_at",
        );
      }
      const id = `cs_test_${base62(58)}`;
      const session: CheckoutSession = {
        id,
        object: "checkout.session",
        after_expiration: null,
        allow_promotion_codes: null,
        amount_subtotal: Number(amount),
        amount_total: Number(amount),
        automatic_tax: { enabled: false, liability: null, status: null },
        billing_address_collection: null,
        cancel_url: input.cancel_url ?? null,
        client_reference_id: input.client_reference_id ?? null,
        client_secret: null,
        created,
        currency: currency as string,
        customer: null,
        customer_creation: "if_required",
        customer_details: null,
        customer_email: input.customer_email ?? null,
        expires_at: expiresAt,
        invoice: null,
        livemode: false,
        locale: input.locale ?? null,
        metadata: input.metadata ?? {},
        mode: "payment",
        // Since API 2022-08-01 the PaymentIntent exists only once the customer pays.
        payment_intent: null,
        payment_link: null,
        payment_method_collection: "if_required",
        payment_method_types: input.payment_method_types ?? ["card"],
        payment_status: "unpaid",
        status: "open",
        submit_type: null,
        success_url: input.success_url ?? null,
        total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
        ui_mode: "hosted",
        url: `${options.origin()}/checkout/stripe/${id}`,
      };
      const record: SessionRecord = {
        account: call.account,
        session,
        apiVersion: call.apiVersion,
        description: names.join(", "),
        intentMetadata: input.payment_intent_data?.metadata ?? {},
      };
      call.account.sessions.set(id, record);
      sessionsById.set(id, record);
      return session;
    }),
    apiRoute("GET", "/v1/checkout/sessions/:id", (call) => {
      const { session } = sessionOf(call);
      // `expand[]=payment_intent` (stripe-node: `{expand: ["payment_intent"]}`) inlines the object.
      const intent = session.payment_intent ? call.account.intents.get(session.payment_intent) : undefined;
      return expands(call, "payment_intent") && intent ? { ...session, payment_intent: intent } : session;
    }),
    apiRoute("POST", "/v1/checkout/sessions/:id/expire", async (call) => {
      const record = sessionOf(call);
      if (record.session.status !== "open") {
        throw invalid(
          `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${record.session.status}".`,
        );
      }
      // As on Stripe, the answer does not wait for the webhooks.
      void expire(record, { id: call.requestId, idempotency_key: call.idempotencyKey });
      return record.session;
    }),
    apiRoute("GET", "/v1/payment_intents/:id", (call) => {
      const id = call.ctx.params.id ?? "";
      const intent = call.account.intents.get(id);
      if (!intent) throw missing("payment_intent", id, "intent");
      const charge = intent.latest_charge ? call.account.charges.get(intent.latest_charge) : undefined;
      return expands(call, "latest_charge") && charge ? { ...intent, latest_charge: charge } : intent;
    }),
    apiRoute("GET", "/v1/charges/:id", (call) => {
      const id = call.ctx.params.id ?? "";
      const charge = call.account.charges.get(id);
      if (!charge) throw missing("charge", id, "id");
      return charge;
    }),
    apiRoute("POST", "/v1/refunds", async (call) => {
      const input = parse(refundCreateSchema, call.params);
      let charge: Charge | undefined;
      if (input.charge) {
        charge = call.account.charges.get(input.charge);
        if (!charge) throw missing("charge", input.charge, "charge");
      } else if (input.payment_intent) {
        const intent = call.account.intents.get(input.payment_intent);
        if (!intent) throw missing("payment_intent", input.payment_intent, "payment_intent");
        charge = intent.latest_charge ? call.account.charges.get(intent.latest_charge) : undefined;
        if (!charge || intent.status !== "succeeded") {
          throw invalid(
            `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
            "payment_intent",
          );
        }
      } else {
        throw invalid(
          "One of the following params should be provided for this request: payment_intent or charge.",
          undefined,
          "parameter_missing",
        );
      }
      const remaining = charge.amount - charge.amount_refunded;
      if (remaining === 0) {
        throw invalid(`Charge ${charge.id} has already been refunded.`, undefined, "charge_already_refunded");
      }
      const amount = input.amount === undefined ? remaining : Number(input.amount);
      if (amount < 1) throw invalid("Refund amount must be greater than 0.", "amount");
      if (amount > remaining) {
        throw invalid(
          `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
          "amount",
        );
      }
      const refund: Refund = {
        id: stripeId("re", 24),
        object: "refund",
        amount,
        balance_transaction: stripeId("txn", 24),
        charge: charge.id,
        created: now(),
        currency: charge.currency,
        metadata: input.metadata ?? {},
        payment_intent: charge.payment_intent,
        reason: input.reason ?? null,
        receipt_number: null,
        source_transfer_reversal: null,
        status: "succeeded",
        transfer_reversal: null,
      };
      call.account.refunds.set(refund.id, refund);
      const previous = { amount_refunded: charge.amount_refunded, refunded: charge.refunded };
      charge.amount_refunded += amount;
      charge.refunded = charge.amount_refunded === charge.amount;
      const request = { id: call.requestId, idempotency_key: call.idempotencyKey };
      // As on Stripe, the answer does not wait for the webhooks; charge.refunded follows refund.created.
      const chargeSnapshot = structuredClone(charge);
      void emit(call.account, "refund.created", refund, call.apiVersion, request).then(() =>
        emit(call.account, "charge.refunded", chargeSnapshot, call.apiVersion, request, previous),
      );
      return refund;
    }),
    apiRoute("GET", "/v1/refunds/:id", (call) => {
      const id = call.ctx.params.id ?? "";
      const refund = call.account.refunds.get(id);
      if (!refund) throw missing("refund", id, "id");
      return refund;
    }),
    apiRoute("POST", "/v1/webhook_endpoints", (call) => {
      const input = parse(endpointCreateSchema, call.params);
      const secret = `whsec_${base62(32)}`;
      const endpoint: WebhookEndpoint & { secret: string } = {
        id: stripeId("we", 24),
        object: "webhook_endpoint",
        api_version: input.api_version ?? null,
        application: null,
        created: now(),
        description: input.description ?? null,
        enabled_events: input.enabled_events,
        livemode: false,
        metadata: input.metadata ?? {},
        secret,
        status: "enabled",
        url: input.url,
      };
      call.account.endpoints.set(endpoint.id, endpoint);
      return endpoint;
    }),
    apiRoute("GET", "/v1/webhook_endpoints", (call) => ({
      object: "list",
      data: [...call.account.endpoints.values()]
        .reverse()
        .map(({ secret: _secret, ...endpoint }) => endpoint),
      has_more: false,
      url: "/v1/webhook_endpoints",
    })),
    apiRoute("DELETE", "/v1/webhook_endpoints/:id", (call) => {
      const id = call.ctx.params.id ?? "";
      if (!call.account.endpoints.delete(id)) throw missing("webhook_endpoint", id, "webhook_endpoint");
      return { id, object: "webhook_endpoint", deleted: true };
    }),
    apiRoute("GET", "/v1/events/:id", (call) => {
      const id = call.ctx.params.id ?? "";
      const event = call.account.events.get(id);
      if (!event) throw missing("event", id, "id");
      return event;
    }),
  ];

  async function handle(ctx: RequestContext): Promise<Reply> {
    const requestId = stripeId("req", 14);
    const base = { "request-id": requestId };
    try {
      const key = authenticate(ctx);
      const found = match(handlers, ctx.method, ctx.path);
      if (!found) {
        throw new StripeApiError(404, {
          type: "invalid_request_error",
          message: `Unrecognized request URL (${ctx.method}: ${ctx.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        });
      }
      const account = accountFor(key);
      const idempotencyKey = idempotencyKeyOf(ctx);
      const fingerprint = fingerprintOf(ctx);
      if (idempotencyKey !== null) {
        const replay = account.idempotency.replay(idempotencyKey, fingerprint, requestId);
        if (replay) return replay;
      }
      const call: Call = {
        ctx: { ...ctx, params: found.params },
        account,
        apiVersion: header(ctx, "stripe-version") ?? DEFAULT_API_VERSION,
        requestId,
        idempotencyKey,
        params: paramsOf(ctx),
      };
      // Handlers do not await (webhooks go out after the answer), so two requests with one key
      // cannot interleave: the second always finds the first one's saved answer.
      const result = await found.route.handler(call);
      const reply: Reply = {
        ...json(200, result, { ...base, ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}) }),
        pretty: true,
      };
      // Stripe saves the result once an endpoint started executing; validation failures are not saved.
      if (idempotencyKey !== null)
        account.idempotency.save(idempotencyKey, { fingerprint, reply, requestId });
      return reply;
    } catch (error) {
      if (error instanceof StripeApiError) {
        const headers: Record<string, string> = { ...base };
        if (error.status === 401) headers["www-authenticate"] = 'Bearer realm="Stripe"';
        return stripeErrorReply(error.status, error.body, headers);
      }
      throw error;
    }
  }

  // Sessions past expires_at expire (with their event) as on Stripe; checked once a second.
  const sweeper = setInterval(() => {
    const at = now();
    for (const record of sessionsById.values()) {
      if (record.session.status === "open" && record.session.expires_at <= at) {
        void expire(record, { id: null, idempotency_key: null });
      }
    }
  }, 1000);
  sweeper.unref();

  async function dispute(paymentIntentId: string): Promise<Dispute | undefined> {
    for (const account of accounts.values()) {
      const intent = account.intents.get(paymentIntentId);
      const charge = intent?.latest_charge ? account.charges.get(intent.latest_charge) : undefined;
      if (!intent || !charge) continue;
      const opened = disputeFor(charge);
      charge.disputed = true;
      const version = [...account.sessions.values()].find(
        (r) => r.session.payment_intent === intent.id,
      )?.apiVersion;
      await emit(account, "charge.dispute.created", opened, version ?? DEFAULT_API_VERSION, {
        id: null,
        idempotency_key: null,
      });
      return opened;
    }
    return undefined;
  }

  return {
    handle,
    dispute,
    checkout(token) {
      const record = sessionsById.get(token);
      if (!record) return undefined;
      return hostedCheckout(record, { pay, expire, failAsync });
    },
    reset() {
      accounts.clear();
      sessionsById.clear();
    },
    close() {
      clearInterval(sweeper);
    },
  };
}

function hostedCheckout(
  record: SessionRecord,
  actions: {
    pay(record: SessionRecord): Promise<void>;
    expire(record: SessionRecord, request: StripeEvent["request"]): Promise<void>;
    failAsync(record: SessionRecord): Promise<void>;
  },
): HostedCheckout {
  const { session } = record;
  return {
    provider: "stripe",
    reference: session.id,
    description: record.description,
    amountMinor: session.amount_total,
    currency: session.currency,
    email: session.customer_email,
    open: session.status === "open",
    status: `status ${session.status}, payment_status ${session.payment_status}`,
    failNote:
      "Fail: the customer gives up after a declined card; the session expires (checkout.session.expired) and the browser returns to cancel_url.",
    extraOutcomes: [{ outcome: "fail_async", label: "Fail later (bank debit)" }],
    async settle(outcome: Outcome) {
      if (outcome === "pay" || outcome === "fail_async") {
        await (outcome === "pay" ? actions.pay(record) : actions.failAsync(record));
        // Stripe substitutes the literal {CHECKOUT_SESSION_ID} in success_url.
        return session.success_url?.replaceAll("{CHECKOUT_SESSION_ID}", session.id) ?? undefined;
      }
      if (outcome === "fail") await actions.expire(record, { id: null, idempotency_key: null });
      return session.cancel_url ?? undefined;
    },
  };
}

function apiRoute(method: string, path: string, handler: StripeHandler): Route<StripeHandler> {
  return defineRoute(method, path, handler);
}

function expands(call: Call, field: string): boolean {
  const expand = call.params.expand;
  return Array.isArray(expand) && expand.includes(field);
}

function referenceOf(object: unknown): string | null {
  const value = object as {
    object?: string;
    id?: string;
    client_reference_id?: string | null;
    payment_intent?: string;
  };
  if (value.object === "checkout.session") return value.id ?? null;
  return value.payment_intent ?? value.id ?? null;
}
