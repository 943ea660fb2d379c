import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { selfService } from "../auth/permissions";
import { success } from "../lib/envelope";
import { REFUSES_IDEMPOTENCY_KEY, refusesIdempotencyKey } from "../lib/idempotency";
import { requestInfo } from "../lib/request-info";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonBody, successOf } from "../schemas/common";
import { confirmTotpEnrolment, disableMfa, startTotpEnrolment } from "../services/identity/mfa";

const Enrolment = z
  .object({
    secret: z.string().openapi({ description: "Base32 secret, for manual entry." }),
    otpauth_uri: z.string().openapi({ description: "Key URI for a QR code (otpauth://totp/…)." }),
  })
  .openapi("TotpEnrolment");
const RecoveryCodes = z
  .object({
    recovery_codes: z.array(z.string()).openapi({ description: "Ten single-use codes, shown once." }),
  })
  .openapi("RecoveryCodes");
const Code = z.strictObject({ code: z.string().min(6).max(64) });
const Reauth = z.strictObject({ password: z.string().min(1).max(1024), code: z.string().min(6).max(64) });

/** The caller's own MFA (TOTP, RFC 6238), under /api/v1/iam/mfa. Any signed-in user, any role. */
export function registerMfaRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  const common = { tags: ["iam"], security: [{ bearerAuth: [] }], ...selfService() };

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${base}/mfa/totp`,
      summary: "Start TOTP enrolment",
      description: `A new secret and its otpauth URI. MFA is not on until a code is confirmed.${REFUSES_IDEMPOTENCY_KEY}`,
      ...refusesIdempotencyKey(),
      responses: {
        200: { description: "Secret", content: { "application/json": { schema: successOf(Enrolment) } } },
        ...errorResponses(401, 403, 409),
      },
    }),
    async (c) =>
      c.json(
        success(
          await startTotpEnrolment(serviceContext(c), c.get("config").dataEncryptionKey),
          c.get("requestId"),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${base}/mfa/totp/verify`,
      summary: "Confirm TOTP enrolment",
      description: `A current code (±30 s) turns MFA on and returns ten recovery codes, shown once.${REFUSES_IDEMPOTENCY_KEY}`,
      ...refusesIdempotencyKey(),
      request: jsonBody(Code),
      responses: {
        200: {
          description: "Enabled",
          content: { "application/json": { schema: successOf(RecoveryCodes) } },
        },
        ...errorResponses(400, 401, 403, 409),
      },
    }),
    async (c) => {
      const result = await confirmTotpEnrolment(
        serviceContext(c),
        c.req.valid("json").code,
        c.get("config").dataEncryptionKey,
        requestInfo(c),
      );
      return c.json(success(result, c.get("requestId")), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: "post",
      path: `${base}/mfa/disable`,
      summary: "Turn MFA off",
      description:
        "Re-authentication: the password and a current TOTP (or recovery) code. Refuses `Idempotency-Key` " +
        "with 400: the key's record keeps a fast hash of the request body, which here holds the password.",
      ...refusesIdempotencyKey(),
      request: jsonBody(Reauth),
      responses: { 204: { description: "Disabled" }, ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      await disableMfa(
        serviceContext(c),
        c.req.valid("json"),
        c.get("config").dataEncryptionKey,
        requestInfo(c),
      );
      return c.body(null, 204);
    },
  );
}
