import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { selfService } from "../auth/permissions";
import { REFUSES_IDEMPOTENCY_KEY, refusesIdempotencyKey } from "../lib/idempotency";
import { requestInfo } from "../lib/request-info";
import { serviceContext } from "../lib/service-context";
import { errorResponses, jsonBody } from "../schemas/common";
import { PasswordConfirmation, SignInCodeInput } from "../schemas/mfa";
import { confirmSmsEnrolment, disableSmsCodes, startSmsEnrolment } from "../services/identity/mfa-sms";
import { E164, SMS_TIMEOUT_MS } from "../sms/sms-port";
import { smsSenderOf } from "../sms/sms-sender";

const Phone = z.strictObject({
  phone_number: z
    .string()
    .regex(E164, "An E.164 number: + then country code and number, no spaces")
    .openapi({ example: "+2348031234567" }),
});

/** SMS sign-in codes as the caller's second factor, where the tenant's MFA rule allows them. */
export function registerMfaSmsRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  const own = { tags: ["iam"], security: [{ bearerAuth: [] }], ...selfService(), ...refusesIdempotencyKey() };

  app.openapi(
    createRoute({
      ...own,
      method: "post",
      path: `${base}/mfa/sms`,
      summary: "Start SMS code enrolment",
      description:
        "Texts an 8-digit code (10 minutes, 5 tries) to `phone_number` through the region's SMS provider (Twilio in " +
        "the EU, Africa's Talking in Lagos); confirm it with `/mfa/sms/verify`. Only where the tenant's MFA rule " +
        "has `allow_sms` (403 otherwise). At most one code per 30 s and five per hour (429 with Retry-After); " +
        `the provider refusing or not answering within ${SMS_TIMEOUT_MS / 1000} s: 503.${REFUSES_IDEMPOTENCY_KEY}`,
      request: jsonBody(Phone),
      responses: { 202: { description: "Code sent" }, ...errorResponses(400, 401, 403, 409, 429, 503) },
    }),
    async (c) => {
      const config = c.get("config");
      await startSmsEnrolment(
        serviceContext(c),
        config.dataEncryptionKey,
        smsSenderOf(config.sms),
        c.req.valid("json").phone_number,
      );
      return c.body(null, 202);
    },
  );

  app.openapi(
    createRoute({
      ...own,
      method: "post",
      path: `${base}/mfa/sms/verify`,
      summary: "Confirm SMS code enrolment",
      description:
        "The code from the text turns SMS codes on for that number: sign-in then texts a fresh code after the " +
        `password (at once unless an authenticator app is enrolled, then on request).${REFUSES_IDEMPOTENCY_KEY}`,
      request: jsonBody(SignInCodeInput),
      responses: { 204: { description: "On" }, ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      await confirmSmsEnrolment(
        serviceContext(c),
        c.req.valid("json").code,
        c.get("config").dataEncryptionKey,
        requestInfo(c),
      );
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      ...own,
      method: "post",
      path: `${base}/mfa/sms/disable`,
      summary: "Turn SMS codes off",
      description: `With the account's password; the number is forgotten.${REFUSES_IDEMPOTENCY_KEY}`,
      request: jsonBody(PasswordConfirmation),
      responses: { 204: { description: "Off" }, ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      await disableSmsCodes(serviceContext(c), c.req.valid("json").password, requestInfo(c));
      return c.body(null, 204);
    },
  );
}
