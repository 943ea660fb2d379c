import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { selfService } from "../auth/permissions";
import { REFUSES_IDEMPOTENCY_KEY, refusesIdempotencyKey } from "../lib/idempotency";
import { requestInfo } from "../lib/request-info";
import { serviceContext } from "../lib/service-context";
import { sendAfterCommit } from "../mail/mail-delivery";
import { errorResponses, jsonBody } from "../schemas/common";
import { PasswordConfirmation, SignInCodeInput } from "../schemas/mfa";
import {
  confirmEmailCodeEnrolment,
  disableEmailCodes,
  startEmailCodeEnrolment,
} from "../services/identity/mfa-email";

/** E-mailed sign-in codes as the caller's second factor. */
export function registerMfaEmailRoutes(app: OpenAPIHono<AppEnv>, base: string): void {
  const own = { tags: ["iam"], security: [{ bearerAuth: [] }], ...selfService(), ...refusesIdempotencyKey() };

  app.openapi(
    createRoute({
      ...own,
      method: "post",
      path: `${base}/mfa/email`,
      summary: "Start e-mail code enrolment",
      description:
        "E-mails an 8-digit code (10 minutes, 5 tries) to the account's address; confirm it with `/mfa/email/verify`. " +
        `At most one code per 30 s and five per hour (429 with Retry-After).${REFUSES_IDEMPOTENCY_KEY}`,
      responses: {
        202: { description: "Code sent" },
        ...errorResponses(401, 403, 409, 429, 503),
      },
    }),
    async (c) => {
      const config = c.get("config");
      const { mailId } = await startEmailCodeEnrolment(
        serviceContext(c),
        config.dataEncryptionKey,
        config.mail.defaultLocale,
      );
      sendAfterCommit(c, [mailId]);
      return c.body(null, 202);
    },
  );

  app.openapi(
    createRoute({
      ...own,
      method: "post",
      path: `${base}/mfa/email/verify`,
      summary: "Confirm e-mail code enrolment",
      description:
        "The code from the e-mail turns e-mailed codes on: sign-in then asks for a fresh code after the password " +
        `(sent at once unless an authenticator app is enrolled, then on request).${REFUSES_IDEMPOTENCY_KEY}`,
      request: jsonBody(SignInCodeInput),
      responses: { 204: { description: "On" }, ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      const config = c.get("config");
      await confirmEmailCodeEnrolment(
        serviceContext(c),
        c.req.valid("json").code,
        config.dataEncryptionKey,
        requestInfo(c),
      );
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      ...own,
      method: "post",
      path: `${base}/mfa/email/disable`,
      summary: "Turn e-mail codes off",
      description: `With the account's password. A tenant that requires MFA still sends codes to members without an app.${REFUSES_IDEMPOTENCY_KEY}`,
      request: jsonBody(PasswordConfirmation),
      responses: { 204: { description: "Off" }, ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      await disableEmailCodes(serviceContext(c), c.req.valid("json").password, requestInfo(c));
      return c.body(null, 204);
    },
  );
}
