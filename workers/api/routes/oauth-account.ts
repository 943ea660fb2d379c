import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { fromDatabaseError } from "../lib/db-errors";
import { logError } from "../lib/log-error";
import {
  showForgot,
  showInvitation,
  showReset,
  submitForgot,
  submitInvitation,
  submitReset,
} from "../oauth/account-endpoints";
import { randomToken } from "../oauth/encoding";
import { errorPage } from "../oauth/pages/error-page";
import { pageHeaders } from "../oauth/pages/layout";

type Handler = (c: Context<AppEnv>) => Promise<Response>;

/** Pages fail as pages: a database outage is a 503 page with Retry-After, anything else a 500 page. */
const page =
  (handler: Handler): Handler =>
  async (c) => {
    try {
      return await handler(c);
    } catch (error) {
      const unavailable = fromDatabaseError(error)?.status === 503;
      if (!unavailable) logError("account page failed", c.get("requestId"), error);
      const nonce = randomToken(16);
      const message = unavailable
        ? "This page is briefly unavailable. Try again in a moment."
        : "Something went wrong on our side. Try again.";
      return c.html(errorPage(message, nonce), unavailable ? 503 : 500, {
        ...pageHeaders(nonce),
        ...(unavailable ? { "Retry-After": "5" } : {}),
      });
    }
  };

const FORM = "application/x-www-form-urlencoded";
const htmlPage = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });

/**
 * The account lifecycle pages of the authorization server: asking for a reset link, and the
 * pages the e-mailed links open (reset, invitation). Pages, like /oauth/authorize.
 */
export function registerAccountPageRoutes(app: OpenAPIHono<AppEnv>): void {
  app.get("/oauth/forgot", page(showForgot));
  app.post("/oauth/forgot", page(submitForgot));
  app.get("/oauth/reset", page(showReset));
  app.post("/oauth/reset", page(submitReset));
  app.get("/oauth/invitation", page(showInvitation));
  app.post("/oauth/invitation", page(submitInvitation));

  const registry = app.openAPIRegistry;
  const tags = ["oauth"];
  const tokenQuery = z.object({ token: z.string().describe("The token from the e-mailed link.") });
  const common = {
    403: htmlPage("Cross-site form or expired page (CSRF)"),
    429: htmlPage("Too many requests (Retry-After)"),
  };
  registry.registerPath({
    method: "get",
    path: "/oauth/forgot",
    tags,
    summary: "Forgotten password page",
    description: "Linked from the sign-in page. `return_to` (a `/oauth/authorize?…` path) adds a way back.",
    request: { query: z.object({ return_to: z.string().optional() }) },
    responses: { 200: htmlPage("The form") },
  });
  registry.registerPath({
    method: "post",
    path: "/oauth/forgot",
    tags,
    summary: "Send a password reset link",
    description:
      "Form: `csrf_token`, `email`. The same page and the same work whether or not an account uses the address " +
      "(nothing tells which); the link (single use, 30 minutes, stored hashed) is e-mailed after the response in " +
      "the language of `Accept-Language` (English or French). Limited to 10 per 15 minutes per IP and 3 per hour " +
      "per address typed.",
    request: {
      body: { content: { [FORM]: { schema: z.object({ csrf_token: z.string(), email: z.string() }) } } },
    },
    responses: { 200: htmlPage("Check your email"), 400: htmlPage("Not an email address"), ...common },
  });
  registry.registerPath({
    method: "get",
    path: "/oauth/reset",
    tags,
    summary: "Choose a new password (from the e-mailed link)",
    request: { query: tokenQuery },
    responses: { 200: htmlPage("The form"), 410: htmlPage("Link expired, used or unknown") },
  });
  registry.registerPath({
    method: "post",
    path: "/oauth/reset",
    tags,
    summary: "Save the new password",
    description:
      "Form: `csrf_token`, `token`, `password`, `password_confirm`. Spends the link, sets the password, and in the " +
      "same transaction ends every sign-in session and refresh-token family of the user in every tenant (their " +
      "access tokens are refused through the edge revocation list) and any other reset link.",
    request: {
      body: {
        content: {
          [FORM]: {
            schema: z.object({
              csrf_token: z.string(),
              token: z.string(),
              password: z.string(),
              password_confirm: z.string(),
            }),
          },
        },
      },
    },
    responses: {
      200: htmlPage("Password changed"),
      400: htmlPage("Password refused (too short, guessable, not repeated)"),
      410: htmlPage("Link expired, used or unknown"),
      ...common,
    },
  });
  registry.registerPath({
    method: "get",
    path: "/oauth/invitation",
    tags,
    summary: "Join a business (from the invitation e-mail)",
    request: { query: tokenQuery },
    responses: { 200: htmlPage("Set a password (new account) or accept"), 410: htmlPage("Link unusable") },
  });
  registry.registerPath({
    method: "post",
    path: "/oauth/invitation",
    tags,
    summary: "Accept the invitation",
    description:
      "Form: `csrf_token`, `token`, and for an account without a password `password` + `password_confirm`. Spends " +
      "the link (single use, 72 hours), sets the password if the account had none, and makes the membership active " +
      "(audited as `iam.invitation_accepted`).",
    request: {
      body: {
        content: {
          [FORM]: {
            schema: z.object({
              csrf_token: z.string(),
              token: z.string(),
              password: z.string().optional(),
              password_confirm: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: htmlPage("Joined"),
      400: htmlPage("Password refused"),
      410: htmlPage("Link unusable"),
      ...common,
    },
  });
}
