import type { z } from "zod";
import { ApiError } from "../../lib/errors";
import { providerFetcher } from "../../observability/traced-fetch";

/**
 * The one HTTP path of the fetch-based connectors (Paystack, Flutterwave): a Bearer secret key,
 * a deadline, and the error rule of connector.ts. A provider that refuses the request becomes a
 * 400 carrying the provider's own message (never its raw body); one that cannot be reached,
 * answers 5xx or 429, answers something that is not its documented shape, or misses the deadline
 * becomes a 503 with Retry-After, so the caller may try again.
 */

export interface ProviderCall {
  /** "Paystack", "Flutterwave": named in error messages. */
  provider: string;
  method: "GET" | "POST";
  url: string;
  secretKey: string;
  timeoutMs: number;
  /** Serialised already (exact-json.ts keeps amounts exact). */
  body?: string | undefined;
  /** How the answer is read; Flutterwave's needs exact numbers. */
  parse?: ((text: string) => unknown) | undefined;
}

export interface ProviderAnswer {
  status: number;
  json: unknown;
}

const RETRY_AFTER_SECONDS = 5;
const MAX_MESSAGE = 300;

/** Sends the request; answers 2xx and 4xx (for the caller to read), throws 503 for the rest. */
export async function providerFetch(call: ProviderCall): Promise<ProviderAnswer> {
  let response: Response;
  try {
    response = await providerFetcher(call.provider)(call.url, {
      method: call.method,
      headers: {
        Authorization: `Bearer ${call.secretKey}`,
        Accept: "application/json",
        ...(call.body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: call.body ?? null,
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (error) {
    const late =
      error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
    throw ApiError.unavailable(
      late
        ? `${call.provider} did not answer within ${call.timeoutMs} ms`
        : `${call.provider} could not be reached`,
      RETRY_AFTER_SECONDS,
      error,
    );
  }
  if (response.status >= 500 || response.status === 429) {
    await response.body?.cancel();
    const retryAfter = Number(response.headers.get("Retry-After"));
    throw ApiError.unavailable(
      `${call.provider} answered ${response.status}; try again later`,
      Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 300 ? retryAfter : RETRY_AFTER_SECONDS,
    );
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw ApiError.unavailable(
      `${call.provider} did not answer within ${call.timeoutMs} ms`,
      RETRY_AFTER_SECONDS,
      error,
    );
  }
  let json: unknown;
  try {
    json = (call.parse ?? JSON.parse)(text);
  } catch (error) {
    throw unexpectedAnswer(call.provider, error);
  }
  return { status: response.status, json };
}

/** The documented shape of a 2xx answer, or a 503: a provider we cannot read is as good as down. */
export function readAnswer<S extends z.ZodType>(provider: string, schema: S, json: unknown): z.infer<S> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw unexpectedAnswer(provider, parsed.error);
  return parsed.data;
}

export function unexpectedAnswer(provider: string, cause: unknown): ApiError {
  return ApiError.unavailable(`${provider} answered in an unexpected format`, RETRY_AFTER_SECONDS, cause);
}

/** A provider's refusal (4xx) as a 400 with its message, e.g. "Paystack: Invalid key". */
export function providerRefusal(provider: string, status: number, json: unknown): ApiError {
  const message =
    typeof json === "object" && json !== null && typeof (json as { message?: unknown }).message === "string"
      ? (json as { message: string }).message
      : `request refused (${status})`;
  return new ApiError("BAD_REQUEST", `${provider}: ${message.slice(0, MAX_MESSAGE)}`);
}
