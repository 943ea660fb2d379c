import { createHash } from "node:crypto";
import type { Reply } from "./http-io";
import { header, presentedKey, type RequestContext } from "./routing";
import { invalid, StripeApiError } from "./stripe-errors";

// What every Stripe call goes through before its handler: the API key, and Idempotency-Key.

/** The caller's test key; a StripeApiError 401 in Stripe's words otherwise. */
export function authenticate(ctx: RequestContext): string {
  const key = presentedKey(ctx);
  if (!key) {
    throw new StripeApiError(401, {
      type: "invalid_request_error",
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
    });
  }
  // Test-mode secret and restricted keys only: this stand-in is never livemode.
  if (!/^(sk|rk)_test_[A-Za-z0-9_]{8,}$/.test(key)) {
    throw new StripeApiError(401, {
      type: "invalid_request_error",
      code: "api_key_invalid",
      message: `Invalid API Key provided: ${key.slice(0, 8)}${"*".repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
    });
  }
  return key;
}

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** POST requests' Idempotency-Key (stripe-node sends one on every POST), or null. */
export function idempotencyKeyOf(ctx: RequestContext): string | null {
  const key = ctx.method === "POST" ? (header(ctx, "idempotency-key") ?? null) : null;
  if (key !== null && key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw invalid(`Invalid idempotency key: must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`);
  }
  return key;
}

/** Same method, path and body bytes: the same request (stripe-node retries send identical bytes). */
export function fingerprintOf(ctx: RequestContext): string {
  return createHash("sha256").update(`${ctx.method} ${ctx.path}\n`).update(ctx.body).digest("hex");
}

interface Saved {
  fingerprint: string;
  reply: Reply;
  requestId: string;
}

/** One account's saved answers. Stripe keeps keys at least 24 h; this stand-in until reset. */
export class IdempotencyStore {
  readonly #saved = new Map<string, Saved>();

  /** The saved answer marked as a replay; a 400 idempotency_error if the key came with other parameters. */
  replay(key: string, fingerprint: string, requestId: string): Reply | undefined {
    const saved = this.#saved.get(key);
    if (!saved) return undefined;
    if (saved.fingerprint !== fingerprint) {
      throw new StripeApiError(400, {
        type: "idempotency_error",
        message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
      });
    }
    return {
      ...saved.reply,
      headers: {
        ...saved.reply.headers,
        "request-id": requestId,
        "idempotent-replayed": "true",
        "original-request": saved.requestId,
      },
    };
  }

  save(key: string, saved: Saved): void {
    this.#saved.set(key, saved);
  }
}
