import type { MailTransport, OutboundMail, SendResult } from "./mail-port";

/** The relay answers within its own SMTP timeout; past this the Worker retries later. */
const RELAY_TIMEOUT_MS = 10_000;

/**
 * The Worker has no SMTP: it hands each message over HTTPS to the mail relay in its own region
 * (regions/mail-relay), which speaks SMTP to the region's relay host. So a Lagos user's address
 * and codes go from the Lagos Worker to the Lagos cluster and no further than its relay. The
 * outbox id is the relay's idempotency key: a retry after a lost answer is not sent twice.
 */
export class RelayMailTransport implements MailTransport {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
    // Wrapped: workerd refuses fetch called with another `this` ("Illegal invocation").
    private readonly fetcher: typeof fetch = (input, init) => fetch(input, init),
  ) {}

  async send(message: OutboundMail): Promise<SendResult> {
    let response: Response;
    try {
      response = await this.fetcher(new URL("/v1/messages", this.baseUrl), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "idempotency-key": message.id,
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
      });
    } catch (error) {
      // The error's text may hold the relay's URL only; the class is enough to act on.
      return { ok: false, permanent: false, reason: error instanceof Error ? error.name : "fetch_failed" };
    }
    await response.body?.cancel();
    if (response.ok) return { ok: true };
    // 400/413/422: this message will never be accepted. 401/403 is a configuration error, which
    // an operator fixes, so it is retried; so is everything 5xx and 429.
    const permanent = response.status === 400 || response.status === 413 || response.status === 422;
    return { ok: false, permanent, reason: `relay_${response.status}` };
  }
}
