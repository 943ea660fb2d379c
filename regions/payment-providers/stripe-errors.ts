import type { z } from "zod";
import { paramName } from "./form-encoding";
import { json, type Reply } from "./http-io";

// Stripe's error body: `{"error":{"type","code"?,"message","param"?,"doc_url"?}}` with its statuses
// (400 invalid request, 401 authentication, 404 missing resource, 409 idempotency conflicts).

export interface StripeErrorBody {
  type: "invalid_request_error" | "idempotency_error" | "api_error" | "card_error";
  code?: string;
  message: string;
  param?: string;
}

export class StripeApiError extends Error {
  override readonly name = "StripeApiError";
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
  ) {
    super(body.message);
  }
}

export function stripeErrorReply(
  status: number,
  body: StripeErrorBody,
  headers: Record<string, string> = {},
): Reply {
  const error = body.code
    ? { ...body, doc_url: `https://stripe.com/docs/error-codes/${body.code.replaceAll("_", "-")}` }
    : body;
  return { ...json(status, { error }, headers), pretty: true };
}

export function missing(object: string, id: string, param: string): StripeApiError {
  return new StripeApiError(404, {
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${object}: '${id}'`,
    param,
  });
}

export function invalid(message: string, param?: string, code?: string): StripeApiError {
  return new StripeApiError(400, {
    type: "invalid_request_error",
    message,
    ...(code ? { code } : {}),
    ...(param ? { param } : {}),
  });
}

/** A zod failure on form parameters → the error Stripe gives for the first bad parameter. */
export function fromZod(error: z.ZodError, input: unknown): StripeApiError {
  const issue = error.issues[0];
  if (!issue) return invalid("Invalid request");
  const param = paramName(issue.path);
  const value = valueAt(input, issue.path);
  if (value === undefined) return invalid(`Missing required param: ${param}.`, param, "parameter_missing");
  if (issue.code === "invalid_format" && issue.format === "regex" && issue.message === "integer") {
    return invalid(`Invalid integer: ${String(value)}`, param, "parameter_invalid_integer");
  }
  if (issue.code === "invalid_format" && issue.format === "url") {
    return invalid("Not a valid URL", param, "url_invalid");
  }
  if (issue.code === "invalid_format" && issue.format === "email") {
    return invalid(`Invalid email address: ${String(value)}`, param, "email_invalid");
  }
  if (typeof value === "string" && value === "") {
    return invalid(
      `You passed an empty string for '${param}'. We assume empty values are an attempt to unset a parameter; however '${param}' cannot be unset. You should remove '${param}' from your request or supply a non-empty value.`,
      param,
      "parameter_invalid_empty",
    );
  }
  return invalid(`Invalid ${param}: ${issue.message}`, param);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
