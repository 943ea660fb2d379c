import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { activationRunStatus } from "../../../durable-objects/activation-run-client";
import { regionForCountry } from "../../../regions/registry";
import { parseActivationId } from "../activation/activation-id";
import { activationStatusView } from "../activation/status-view";
import { STEP_NAMES } from "../activation/steps";
import { submitActivation } from "../activation/submit";
import type { AppEnv } from "../app-env";
import { clientAddress } from "../auth/forwarded-client";
import { ApiError } from "../lib/errors";
import { forwardToRegion } from "../lib/forward-to-region";
import { refusesIdempotencyKey } from "../lib/idempotency";
import { publicRoute } from "../lib/public-routes";
import { serviceDatabase } from "../lib/service-context";
import { injectedFault } from "../lib/test-faults";
import { ACTIVATION_LIMIT, countPerAddress } from "../limits/per-address";
import {
  ActivationAccepted,
  ActivationIdParam,
  ActivationInput,
  ActivationStatus,
} from "../schemas/activation";
import { errorResponses, jsonResponse, successOf } from "../schemas/common";
import { successBody } from "./iam-common";

const NEXUS = { tags: ["nexus"], ...publicRoute() };

const ACTIVATION_FAULTS = STEP_NAMES.flatMap((step) =>
  ["fail", "crash-after", "conflict"].map((kind) => `activation:${kind}:${step}`),
);

/** Where the status of an activation is read (always the nexus path, in its home region). */
export const statusPath = (id: string) => `/api/v1/nexus/activation/${id}/status`;

const ACTIVATE_DESCRIPTION =
  "Open sign-up: creates a business (tenant) from an industry preset, with its owner, in the home " +
  "region of its country (West Africa → lagos, EEA/UK/CH → eu, elsewhere → eu). Sent to any region, " +
  "the request is forwarded to the home region, which answers. 202: the activation runs in the " +
  "background (usually well under 2 s); poll `status_url` (also in `Location`). The steps create the " +
  "tenant, the owner and roles, the preset's objects, the tenant's OAuth client and its directory entry, " +
  "then emit `tenant.activated`; a failing step is retried (1, 2, 4, 8, 16 s) and a run that cannot " +
  "finish takes back what it made. 409 when the business's slug or the owner's email is taken in the " +
  "region, or a sign-up of it is running (a 503 is safe to retry). Public: no credential; limited per " +
  `client address to ${ACTIVATION_LIMIT.limit} sign-ups an hour in each region (plus the per-minute ` +
  "limit of public routes). `Idempotency-Key` is refused: a repeat is answered 409.";

/**
 * Sends a sign-up to the home region of its country before the route validates it: the home
 * region validates and answers (an unreadable body or unknown country stays here and gets its 400).
 */
const toHomeOfCountry = createMiddleware<AppEnv>(async (c, next) => {
  const country = await c.req
    .json()
    .then((body: unknown) => (body as { country?: unknown } | null)?.country)
    .catch(() => undefined);
  const home = typeof country === "string" ? regionForCountry(country.trim()) : undefined;
  if (!home || home === c.get("config").region) return next();
  return forwardToRegion(c, home, await c.req.text());
});

/** A status request goes to the region its activation id names. */
const toHomeOfActivation = createMiddleware<AppEnv>(async (c, next) => {
  const parsed = parseActivationId(c.req.param("id") ?? "");
  if (!parsed || parsed.region === c.get("config").region) return next();
  return forwardToRegion(c, parsed.region);
});

/**
 * POST {base}/activate and GET {base}/activation/{id}/status for each base path (the nexus one
 * and the platform spec's `/api/v1`), by the same handlers.
 */
export function registerActivationRoutes(app: OpenAPIHono<AppEnv>, bases: readonly string[]): void {
  const activatePaths = bases.map((base) => `${base}/activate`);
  for (const path of activatePaths) {
    app.post(path, toHomeOfCountry);
    app.openapi(
      createRoute({
        ...NEXUS,
        ...refusesIdempotencyKey(),
        method: "post",
        path,
        summary: "Activate a business (open sign-up)",
        description: ACTIVATE_DESCRIPTION,
        request: { body: { content: { "application/json": { schema: ActivationInput } }, required: true } },
        responses: {
          202: jsonResponse(successOf(ActivationAccepted), "Accepted; the run has started"),
          ...errorResponses(400, 409, 413, 415, 429, 503, 508),
        },
      }),
      async (c) => {
        const input = c.req.valid("json");
        const config = c.get("config");
        const ip = await clientAddress(config, c.req.raw.headers);
        await countPerAddress(c.env.RATE_LIMITER, config, ip, ACTIVATION_LIMIT);
        // Test deployments only: `activation:{fail|crash-after|conflict}:<step>` (RunSpec.fault).
        const fault = injectedFault(c, ACTIVATION_FAULTS)?.slice("activation:".length);
        const accepted = await submitActivation(
          { db: serviceDatabase(c), config, namespace: c.env.ACTIVATION_RUN, fault },
          input,
        );
        const statusUrl = `${config.regionUrls[config.region]}${statusPath(accepted.id)}`;
        c.header("Location", statusUrl);
        return c.json(
          successBody(
            {
              id: accepted.id,
              state: accepted.run.state,
              region: config.region,
              tenant_id: accepted.tenantId,
              status_url: statusUrl,
            },
            c.get("requestId"),
          ),
          202,
        );
      },
    );
  }

  for (const base of bases) {
    const statusRoute = `${base}/activation/{id}/status`;
    app.get(statusRoute.replace("{id}", ":id"), toHomeOfActivation);
    app.openapi(
      createRoute({
        ...NEXUS,
        method: "get",
        path: statusRoute,
        summary: "Activation status",
        description:
          "State, percent and each step of an activation with its attempts, timings and last error; once " +
          "completed, where the owner signs in. The id names the home region (`act_ng_…`, `act_eu_…`): asked " +
          "elsewhere, the request is forwarded there. Public (the id is an unguessable capability); kept 7 " +
          "days after the run finished, then 404.",
        request: { params: ActivationIdParam },
        responses: {
          200: jsonResponse(successOf(ActivationStatus), "The activation"),
          ...errorResponses(404, 429, 503, 508),
        },
      }),
      async (c) => {
        const config = c.get("config");
        const parsed = parseActivationId(c.req.valid("param").id);
        if (!parsed || parsed.region !== config.region) throw ApiError.notFound("Activation");
        const namespace = c.env.ACTIVATION_RUN;
        if (!namespace) throw new Error("ACTIVATION_RUN binding is missing");
        let run: Awaited<ReturnType<typeof activationRunStatus>>;
        try {
          run = await activationRunStatus(
            namespace,
            { region: config.region, localRuntime: config.localRuntime },
            parsed.uuid,
          );
        } catch (cause) {
          throw ApiError.unavailable("Activation status is unavailable", 2, cause);
        }
        if (!run) throw ApiError.notFound("Activation");
        c.header("Cache-Control", "no-store");
        return c.json(successBody(await activationStatusView(config, run), c.get("requestId")), 200);
      },
    );
  }
}
