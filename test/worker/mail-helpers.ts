import { inject } from "vitest";
import type { CaughtMessage } from "../../regions/mail-catcher/server";
import { CookieJar, fetchWorker, formField, randomIp } from "./oauth-helpers";

/** The catcher behind the relay the Worker sends to (test/support/worker-backing-services.ts). */
export async function mailTo(address: string): Promise<CaughtMessage[]> {
  const res = await fetch(`${inject("mail").catcherUrl}/api/messages?to=${encodeURIComponent(address)}`);
  return ((await res.json()) as { messages: CaughtMessage[] }).messages;
}

/**
 * Waits (bounded) until `count` messages reached the address (only those whose subject starts
 * with `subject`, when given); answers them, newest first.
 */
export async function waitForMail(
  address: string,
  count = 1,
  subject?: string,
  timeoutMs = 10_000,
): Promise<CaughtMessage[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const messages = (await mailTo(address)).filter(
      (m) => subject === undefined || m.subject.startsWith(subject),
    );
    if (messages.length >= count) return messages;
    if (Date.now() > until)
      throw new Error(`no mail for ${address} within ${timeoutMs} ms (got ${messages.length})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The link of a page under the Worker in a message's text part. */
export function linkIn(message: CaughtMessage, path: string): string {
  const match = new RegExp(`https?://[^\\s]+${path.replace(/\//g, "\\/")}\\?token=[A-Za-z0-9_-]+`).exec(
    message.text,
  );
  if (!match) throw new Error(`no ${path} link in: ${message.text}`);
  return match[0];
}

/** A browser on the account pages: cookies, one address, the CSRF field of the last page. */
export class AccountBrowser {
  readonly jar = new CookieJar();
  csrf = "";
  constructor(readonly ip = randomIp()) {}

  async get(path: string, headers: Record<string, string> = {}) {
    const res = await fetchWorker(path, {
      headers: { Cookie: this.jar.header(), "CF-Connecting-IP": this.ip, ...headers },
    });
    this.jar.take(res);
    const html = await res.text();
    this.csrf = formField(html, "csrf_token") ?? this.csrf;
    return { res, html };
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetchWorker(path, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Cookie: this.jar.header(),
        "CF-Connecting-IP": this.ip,
        ...headers,
      },
      body: new URLSearchParams({ csrf_token: this.csrf, ...fields }),
    });
    this.jar.take(res);
    const html = await res.text();
    this.csrf = formField(html, "csrf_token") ?? this.csrf;
    return { res, html };
  }
}

/** A password the policy accepts (long, not guessable). */
export const strongPassword = () => `Vivid-otter-${crypto.randomUUID().slice(0, 8)}-lantern`;
