import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";
import { secureHeaders } from "hono/secure-headers";
import pkg from "../../package.json";
import type { AppEnv } from "./app-env";
import { publishEvents } from "./events/after-commit";
import { failure } from "./lib/envelope";
import { handleError } from "./lib/error-handler";
import { ApiError } from "./lib/errors";
import { IDEMPOTENCY_PARAMETERS, IdempotencyRoutes } from "./lib/idempotency";
import { createRouter } from "./lib/openapi";
import { withEdgePolicies } from "./lib/openapi-edge-policies";
import { GETTING_STARTED } from "./lib/openapi-introduction";
import { withOAuth2 } from "./lib/openapi-oauth2";
import { PublicRoutes } from "./lib/public-routes";
import { RequestShapes } from "./lib/request-shapes";
import { RouteTable } from "./lib/route-table";
import { deliverQueuedMail } from "./mail/mail-delivery";
import { authenticate } from "./middleware/authenticate";
import { apiBodyRules, oauthBodyRules } from "./middleware/body-rules";
import { config } from "./middleware/config";
import { cors } from "./middleware/cors";
import { idempotency } from "./middleware/idempotency";
import { strictQuery } from "./middleware/query-rules";
import { rateLimit } from "./middleware/rate-limit";
import { requestId } from "./middleware/request-id";
import { requestLog } from "./middleware/request-log";
import { residency } from "./middleware/residency";
import { traceRequest } from "./middleware/trace-request";
import { usageMeter } from "./middleware/usage-meter";
import { registerAgentRoutes } from "./routes/ai-agents";
import { registerChatRoutes } from "./routes/ai-chat";
import { AI_TAG } from "./routes/ai-common";
import { registerRunRoutes } from "./routes/ai-runs";
import { registerContactRoutes } from "./routes/crm-contacts";
import { registerLeadRoutes } from "./routes/crm-leads";
import { registerOpportunityRoutes } from "./routes/crm-opportunities";
import { EVENTS_TAG, registerEventRoutes } from "./routes/events";
import { registerPaymentConnectionRoutes } from "./routes/finance-connections";
import { registerInvoiceRoutes } from "./routes/finance-invoices";
import { registerPaymentRoutes } from "./routes/finance-payments";
import { FINANCE_TAG } from "./routes/finance-tag";
import { registerProviderWebhookRoutes } from "./routes/finance-webhooks";
import { registerHealthRoutes } from "./routes/health";
import { registerApiKeyRoutes } from "./routes/iam-api-keys";
import { registerAuditRoutes } from "./routes/iam-audit";
import { registerMemberRoutes } from "./routes/iam-members";
import { registerMfaRoutes } from "./routes/iam-mfa";
import { registerMfaEmailRoutes } from "./routes/iam-mfa-email";
import { registerMfaPolicyRoutes } from "./routes/iam-mfa-policy";
import { registerMfaSmsRoutes } from "./routes/iam-mfa-sms";
import { registerOAuthClientRoutes } from "./routes/iam-oauth-clients";
import { registerRoleRoutes } from "./routes/iam-roles";
import { registerSsoRoutes } from "./routes/iam-sso";
import { iamTagDescription } from "./routes/iam-tag";
import { registerActivationRoutes } from "./routes/nexus-activation";
import { registerPresetRoutes } from "./routes/nexus-presets";
import { registerTenantSettingsRoutes } from "./routes/nexus-tenant";
import { registerUsageRoutes } from "./routes/nexus-usage";
import { oauthTextRefusal, registerOAuthRoutes } from "./routes/oauth";
import { registerAccountPageRoutes } from "./routes/oauth-account";
import { PRIVACY_TAG, registerPrivacyRoutes } from "./routes/privacy-requests";
import { REALTIME_TAG, registerRealtimeRoutes } from "./routes/realtime";
import { RESOURCES_TAG, registerResourceRoutes } from "./routes/resources";
import { registerScimRoutes } from "./routes/scim";
import { registerSearchRoutes } from "./routes/search";
import { registerWebhookDeliveryRoutes } from "./routes/webhooks-deliveries";
import { registerWebhookEndpointRoutes, WEBHOOKS_TAG } from "./routes/webhooks-endpoints";
import { registerWellKnownRoutes } from "./routes/well-known";

/** Self-hosted so /docs works without a CDN (see scripts/copy-docs-assets.ts). */
export const DOCS_SCRIPT_PATH = "/docs/assets/scalar-api-reference.js";

export function buildApp() {
  const app = createRouter();

  // Order matters: identity and logging first so every later failure is logged with its id.
  // The request's span around everything after it, so each line the request logs has its ids.
  app.use("*", requestId(), config(), traceRequest(), requestLog());
  // Outermost after the request's own work: mail is sent once everything it announces committed.
  app.use("*", deliverQueuedMail());
  app.use(
    "*",
    secureHeaders({ crossOriginResourcePolicy: "cross-origin", xFrameOptions: "DENY", overwrite: false }),
    cors(),
  );
  // Filled from the OpenAPI registry below, once every route has declared its mode and access.
  const idempotencyRoutes = new IdempotencyRoutes();
  const publicRoutes = new PublicRoutes();
  const requestShapes = new RequestShapes();
  app.use(
    "/api/*",
    apiBodyRules(requestShapes),
    strictQuery(requestShapes),
    authenticate(publicRoutes),
    residency(),
    // Before the limiter, so the requests it refuses are counted too.
    usageMeter(),
    rateLimit(publicRoutes),
    // Outside idempotency, so a keyed request's events are published after its COMMIT.
    publishEvents(),
    idempotency(idempotencyRoutes),
  );
  app.use("/oauth/*", oauthBodyRules(oauthTextRefusal));

  registerHealthRoutes(app);
  registerWellKnownRoutes(app);
  registerOAuthRoutes(app);
  registerAccountPageRoutes(app);
  registerContactRoutes(app, "/api/v1/crm/contacts");
  registerContactRoutes(app, "/api/v1/contacts", true);
  registerLeadRoutes(app, "/api/v1/crm/leads", "/api/v1/crm/opportunities");
  registerLeadRoutes(app, "/api/v1/leads", "/api/v1/opportunities", true);
  registerOpportunityRoutes(app, "/api/v1/crm/opportunities");
  registerOpportunityRoutes(app, "/api/v1/opportunities", true);
  registerEventRoutes(app, "/api/v1/events");
  registerAuditRoutes(app, "/api/v1/iam");
  registerMfaRoutes(app, "/api/v1/iam");
  registerMfaEmailRoutes(app, "/api/v1/iam");
  registerMfaPolicyRoutes(app, "/api/v1/iam");
  registerMfaSmsRoutes(app, "/api/v1/iam");
  registerApiKeyRoutes(app, "/api/v1/iam");
  registerMemberRoutes(app, "/api/v1/iam");
  registerRoleRoutes(app, "/api/v1/iam");
  registerOAuthClientRoutes(app, "/api/v1/iam");
  registerSsoRoutes(app, "/api/v1/iam");
  registerScimRoutes(app);
  registerPresetRoutes(app, "/api/v1/nexus");
  registerPresetRoutes(app, "/api/v1");
  registerActivationRoutes(app, ["/api/v1/nexus", "/api/v1"]);
  registerTenantSettingsRoutes(app, "/api/v1/nexus/tenant");
  registerUsageRoutes(app, "/api/v1/nexus/usage");
  registerRealtimeRoutes(app, "/api/v1/realtime");
  registerWebhookEndpointRoutes(app, "/api/v1/webhooks/endpoints");
  registerWebhookDeliveryRoutes(app, "/api/v1/webhooks/endpoints");
  registerPaymentRoutes(app, "/api/v1/finance/payments", [
    "/api/v1/finance/payments/initiate",
    "/api/v1/payments/initiate",
  ]);
  registerProviderWebhookRoutes(app, "/api/v1/payments/webhook");
  registerPaymentConnectionRoutes(app, "/api/v1/finance/connections");
  registerInvoiceRoutes(app, "/api/v1/finance/invoices");
  registerInvoiceRoutes(app, "/api/v1/invoices", true);
  registerAgentRoutes(app);
  registerChatRoutes(app);
  registerRunRoutes(app);
  // The search alias first: /resources/search must not be taken for /resources/{id}.
  registerSearchRoutes(app, ["/api/v1/search", "/api/v1/resources/search"]);
  registerResourceRoutes(app, "/api/v1/resources");
  registerPrivacyRoutes(app, "/api/v1/privacy/requests");

  for (const [name, parameter] of Object.entries(IDEMPOTENCY_PARAMETERS)) {
    app.openAPIRegistry.registerComponent("parameters", name, parameter);
  }
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "RS256 access token from the region's authorization server, or an API key (`nxk_{region}_…`, " +
      "also accepted as `X-API-Key`).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyAuth", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "An API key (`nxk_{region}_…`); the same key also works as `Authorization: Bearer`.",
  });
  const documentInfo = (c: Context<AppEnv>) => ({
    openapi: "3.1.0",
    info: {
      title: "Nexus Edge API",
      version: pkg.version,
      description: GETTING_STARTED,
    },
    // In the order a reader needs them: the records, signing up, access, then the event channels.
    tags: [
      { name: "crm", description: "Contacts, leads (and their conversion) and opportunities of the tenant." },
      {
        name: "nexus",
        description:
          "Sign-up and onboarding. Industry presets, activation and its status are public (`x-public: true`, no security requirement): " +
          "no credential is read, and each client address is limited per minute instead of the tenant layers.",
      },
      { name: "iam", description: iamTagDescription() },
      { name: "oauth", description: "The region's authorization server (OAuth 2.1 / OpenID Connect)." },
      {
        name: "scim",
        description:
          "SCIM 2.0 provisioning from a business's identity provider (Okta, Entra): users and groups of the SSO " +
          "connection whose SCIM token is presented. SCIM documents and errors, not the API envelope.",
      },
      FINANCE_TAG,
      AI_TAG,
      EVENTS_TAG,
      WEBHOOKS_TAG,
      REALTIME_TAG,
      PRIVACY_TAG,
      {
        name: RESOURCES_TAG,
        description:
          "Resources (documents, policies, notes) and `POST /api/v1/search`: keyword, semantic and hybrid search " +
          "with filters and facets over resources and CRM and finance records.",
      },
      { name: "platform", description: "Health and service information." },
      {
        name: "crm (platform paths)",
        description: "The crm routes under their platform paths (`/api/v1/contacts`, …).",
      },
    ],
    // This region first (its tokens are what "Try it" uses); a tenant's data lives in its home region.
    servers: Object.entries(c.get("config").regionUrls)
      .sort(([a], [b]) => Number(b === c.get("config").region) - Number(a === c.get("config").region))
      .map(([region, url]) => ({ url, description: `${region} region` })),
  });
  app.get("/openapi.json", (c) => {
    const config = c.get("config");
    const doc = withEdgePolicies(app.getOpenAPI31Document(documentInfo(c)));
    return c.json(withOAuth2(doc, config.regionUrls[config.region]));
  });
  app.get(
    "/docs",
    Scalar({
      url: "/openapi.json",
      pageTitle: "Nexus Edge API",
      cdn: DOCS_SCRIPT_PATH,
      // Nothing leaves the page: no hosted fonts, no hosted AI agent or its registry lookups.
      withDefaultFonts: false,
      agent: { disabled: true },
      showDeveloperTools: "never",
      defaultOpenAllTags: true,
      // "Try it" signs in through this region's authorization server (the nexus-docs client).
      authentication: { preferredSecurityScheme: "oauth2" },
    }),
  );

  // An unknown method on a known path is 405 with Allow; anything else is 404. Both in the envelope.
  const routes = new RouteTable();
  for (const def of app.openAPIRegistry.definitions) {
    if (def.type !== "route") continue;
    routes.add(def.route.method, def.route.path);
    if (!def.route.path.startsWith("/api/")) continue;
    idempotencyRoutes.add(def.route);
    publicRoutes.add(def.route);
    requestShapes.add(def.route);
  }
  routes.add("get", "/openapi.json");
  routes.add("get", "/docs");

  app.notFound((c) => {
    const allowed = routes.allowed(c.req.path);
    const error =
      allowed.length > 0
        ? new ApiError("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed here`, {
            headers: { Allow: allowed.join(", ") },
          })
        : new ApiError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`);
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return c.json(failure(error.details, c.get("requestId")), error.status);
  });
  app.onError(handleError);

  return app;
}
