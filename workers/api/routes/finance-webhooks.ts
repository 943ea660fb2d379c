import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { regionDatabase } from "../../../db/client";
import type { AppEnv } from "../app-env";
import { publishTenantEvents } from "../events/after-commit";
import { parseConnectionId } from "../finance/connection-id";
import { ApiError } from "../lib/errors";
import { forwardToRegion } from "../lib/forward-to-region";
import { refusesIdempotencyKey } from "../lib/idempotency";
import { logError } from "../lib/log-error";
import { publicRoute } from "../lib/public-routes";
import { deferOf } from "../lib/service-context";
import { PROVIDER_WEBHOOK_LIMIT } from "../limits/per-address";
import { countProvenWebhook, countUnprovenWebhook } from "../limits/provider-webhook-limits";
import { errorResponses, jsonResponse, successOf } from "../schemas/common";
import { WebhookAccepted, WebhookPathParams } from "../schemas/payment";
import { withConnection } from "../services/finance/connector-source";
import { liveConnectorSource } from "../services/finance/live-connectors";
import { cachedWebhookConnection, forgetWebhookConnection } from "../services/finance/webhook-connections";
import { applyProviderEvent, countRejection } from "../services/finance/webhook-intake";
import { intakeProviderEvent } from "../services/finance/webhook-intake-queue";
import { successBody } from "./iam-common";

/** Provider events are small (a Stripe event is a few KiB): far below the API's 1 MiB. */
export const PROVIDER_WEBHOOK_MAX_BYTES = 256 * 1024;

/**
 * The home region alone holds the connection and its secrets: a webhook for another region's
 * connection goes there before anything reads it, its body as it came.
 */
const toHomeOfConnection = createMiddleware<AppEnv>(async (c, next) => {
  const parsed = parseConnectionId(c.req.param("connection_id") ?? "");
  if (!parsed || parsed.region === c.get("config").region) return next();
  return forwardToRegion(c, parsed.region);
});

/** POST {path}/{provider}/{connection_id}: the public intake of provider webhooks. */
export function registerProviderWebhookRoutes(app: OpenAPIHono<AppEnv>, path: string): void {
  app.post(`${path}/:provider/:connection_id`, toHomeOfConnection);
  app.openapi(
    createRoute({
      tags: ["finance"],
      ...publicRoute({ countsItsOwnRequests: true }),
      // Providers send no Idempotency-Key; their event id is what makes a repeat harmless.
      ...refusesIdempotencyKey(),
      method: "post",
      path: `${path}/{provider}/{connection_id}`,
      summary: "Receive a provider webhook",
      description:
        "The URL a connection gives its provider (`webhook_url` of the connection). Public: the provider " +
        "authenticates by signing the exact body bytes, checked in constant time with the connection's own secret " +
        "(Stripe `Stripe-Signature` within 300 s; Paystack `x-paystack-signature`, HMAC-SHA512 with the secret key; " +
        "Flutterwave `verif-hash` or `flutterwave-signature`). A refused event (forged, stale, tampered, " +
        "unreadable) is 400 and only counted on the connection (`webhook_rejections`). A verified event is stored " +
        "once under its provider event id and answered 200 at once (`duplicate: true` for a repeat, which has no " +
        "further effect); then the payment is verified by pulling the provider, and moves only if amount, currency " +
        "and reference agree. The connection id names its region (`pcn_ng_…`, `pcn_eu_…`): elsewhere the request " +
        `is forwarded there. Bodies up to ${PROVIDER_WEBHOOK_MAX_BYTES / 1024} KiB. A verified delivery is counted against its ` +
        `connection (${PROVIDER_WEBHOOK_LIMIT.limit.toLocaleString("en")} a minute), not the sender's address, since a ` +
        "provider sends a whole storm from a few addresses; an unknown URL or a refused signature counts against the " +
        "caller's address like any public request. `Idempotency-Key` plays no part: the provider's event id de-duplicates.",
      request: {
        params: WebhookPathParams,
        body: {
          content: {
            "application/json": { schema: { type: "object", description: "The provider's event, as sent." } },
          },
          required: true,
        },
      },
      responses: {
        200: jsonResponse(successOf(WebhookAccepted), "Stored (or a repeat of a stored event)"),
        ...errorResponses(400, 404, 413, 415, 429, 503, 508),
      },
    }),
    async (c) => {
      const config = c.get("config");
      const { provider, connection_id } = c.req.valid("param");
      const parsed = parseConnectionId(connection_id);
      if (!parsed || parsed.region !== config.region) {
        await countUnprovenWebhook(c);
        throw ApiError.notFound("Webhook URL");
      }

      // The bytes exactly as received, read once: the signature is over these, before any parsing.
      const raw = new Uint8Array(await c.req.arrayBuffer());
      if (raw.byteLength > PROVIDER_WEBHOOK_MAX_BYTES) {
        throw new ApiError(
          "PAYLOAD_TOO_LARGE",
          `Provider webhooks are at most ${PROVIDER_WEBHOOK_MAX_BYTES} bytes`,
        );
      }
      const db = regionDatabase(config);
      const now = new Date();
      let route = await cachedWebhookConnection(db, config, parsed.uuid);
      let result = route && (await route.connector.parseWebhook(raw, c.req.raw.headers, now));
      // A refusal by the isolate's copy of the connection: its secret may have been rotated since.
      if (route?.cached && result && !result.verified) {
        route = await cachedWebhookConnection(db, config, parsed.uuid, { fresh: true });
        result = route && (await route.connector.parseWebhook(raw, c.req.raw.headers, now));
      }
      if (!route || !result || route.provider !== provider) {
        await countUnprovenWebhook(c);
        throw ApiError.notFound("Webhook URL");
      }
      if (!result.verified) {
        await countUnprovenWebhook(c);
        await countRejection(db, route.tenantId, parsed.uuid);
        throw new ApiError("BAD_REQUEST", `Webhook refused: ${result.reason.replaceAll("_", " ")}`);
      }
      const limitHeaders = await countProvenWebhook(c, parsed.uuid);
      const stored = await intakeProviderEvent(
        db,
        route.tenantId,
        {
          connection: { id: parsed.uuid, provider },
          hint: result.event,
          rawBody: raw,
        },
        deferOf(c),
      );
      if (!stored) {
        forgetWebhookConnection(parsed.uuid);
        throw ApiError.notFound("Webhook URL");
      }
      if (stored.inserted && stored.state === "received") {
        const requestId = c.get("requestId");
        const tenantId = route.tenantId;
        const connectors = withConnection(liveConnectorSource({ db, config, tenantId }), {
          id: parsed.uuid,
          provider: route.provider,
          connector: route.connector,
        });
        const applying = applyProviderEvent(
          { db: regionDatabase(config), region: config.region, connectors, correlationId: requestId },
          tenantId,
          stored.id,
        )
          // What the transition emitted goes out now, not at the next sweep: one publisher per
          // tenant at a time however many events of the storm are being applied.
          .then(() => publishTenantEvents(c, tenantId))
          .then(
            () => {},
            // Left `received`: the janitor applies it on its next run.
            (error: unknown) => logError("applying a provider event failed", requestId, error),
          );
        const defer = deferOf(c);
        if (defer) defer(applying);
        else await applying;
      }
      return c.json(
        successBody({ received: true as const, duplicate: !stored.inserted }, c.get("requestId")),
        200,
        limitHeaders,
      );
    },
  );
}
