/**
 * Outbound SMS (issue 18, item 3): sign-in codes to a member's phone. One port, one adapter per
 * provider wire format; which one a region uses is configuration (Twilio in the EU, Africa's
 * Talking in Lagos, so a Nigerian number and its codes go to a provider serving Nigeria). The
 * message text carries a code: adapters never log it, and errors name only the provider's status.
 */
export interface SmsMessage {
  /** E.164, e.g. +2348031234567. */
  to: string;
  body: string;
}

export interface SmsSender {
  readonly provider: "twilio" | "africastalking";
  /** Answers the provider's message id; throws SmsError when the provider did not take it. */
  send(message: SmsMessage): Promise<{ id: string }>;
}

export class SmsError extends Error {
  constructor(
    readonly provider: string,
    /** True when trying again later may work (the provider was unreachable or failing). */
    readonly transient: boolean,
    detail: string,
  ) {
    super(`${provider}: ${detail}`);
    this.name = "SmsError";
  }
}

export const E164 = /^\+[1-9][0-9]{7,14}$/;

export const SMS_TIMEOUT_MS = 8_000;

/** A provider call: a network failure or a timeout is transient. */
export async function providerFetch(provider: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(SMS_TIMEOUT_MS) });
  } catch {
    throw new SmsError(provider, true, "unreachable");
  }
}
