import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { guardedBy } from "../auth/permissions";
import { success } from "../lib/envelope";
import { requestInfo } from "../lib/request-info";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonBody, jsonResponse, successOf } from "../schemas/common";
import { getMfaPolicy, putMfaPolicy } from "../services/identity/mfa-policy";
import { IAM } from "./iam-common";

const MfaPolicy = z
  .object({
    required: z.enum(["off", "all", "roles"]),
    roles: z.array(z.string()),
    allow_sms: z.boolean(),
    updated_at: z.string().nullable(),
  })
  .openapi("MfaPolicy");
const MfaPolicyInput = z
  .strictObject({
    required: z.enum(["off", "all", "roles"]).openapi({
      description: "`all`: every member needs a second factor; `roles`: members holding one of `roles`.",
    }),
    roles: z.array(z.string().min(1).max(100)).max(50).default([]),
    allow_sms: z.boolean().default(false).openapi({ description: "Whether members may use SMS codes." }),
  })
  .openapi("MfaPolicyInput");

/** The tenant's rule requiring a second factor of its members (all, or those holding given roles). */
export function registerMfaPolicyRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  app.openapi(
    createRoute({
      ...IAM,
      ...guardedBy("iam.roles.read"),
      method: "get",
      path: `${base}/mfa-policy`,
      summary: "The tenant's MFA rule",
      responses: {
        200: jsonResponse(successOf(MfaPolicy), "The rule (`off` until set)"),
        ...errorResponses(401, 403, 429, 503),
      },
    }),
    async (c) => c.json(success(await getMfaPolicy(serviceContext(c)), c.get("requestId")), 200),
  );

  app.openapi(
    createRoute({
      ...IAM,
      ...guardedBy("iam.roles.write"),
      method: "put",
      path: `${base}/mfa-policy`,
      summary: "Require MFA of members",
      description:
        "Replaces the rule. Applies from members' next sign-in, in every application: a member it covers signs in " +
        "with their authenticator app, or, without one, with a code e-mailed after the password (so nobody is " +
        "locked out). Roles must exist in the tenant (400 naming them). Audited as `tenant.settings_updated`.",
      request: jsonBody(MfaPolicyInput),
      responses: {
        200: jsonResponse(successOf(MfaPolicy), "The new rule"),
        ...errorResponses(400, 401, 403, 413, 415, 429, 503),
      },
    }),
    async (c) => {
      const policy = await putMfaPolicy(serviceContext(c), requestInfo(c), c.req.valid("json"));
      return c.json(success(policy, c.get("requestId")), 200);
    },
  );
}
