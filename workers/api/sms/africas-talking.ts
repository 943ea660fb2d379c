import { z } from "zod";
import { providerFetch, SmsError, type SmsMessage, type SmsSender } from "./sms-port";

/**
 * Africa's Talking bulk SMS: `POST /version1/messaging`, form-encoded `username`, `to`
 * (comma-separated E.164), `message`, optional `from` (a registered sender id); the key in the
 * `apiKey` header and `Accept: application/json`. The answer lists one entry per recipient in
 * `SMSMessageData.Recipients`; `statusCode` 100–102 means taken (Processed, Sent, Queued), others
 * (403 InvalidPhoneNumber, 405 InsufficientBalance, …) that this recipient gets nothing.
 */
export interface AfricasTalkingSettings {
  baseUrl: string;
  username: string;
  apiKey: string;
  /** The registered sender id; the provider's shared one when empty. */
  from: string;
}

export const AFRICAS_TALKING_API = "https://api.africastalking.com";

const Answer = z.object({
  SMSMessageData: z.object({
    Recipients: z.array(z.object({ statusCode: z.number(), number: z.string(), messageId: z.string() })),
  }),
});

const TAKEN = new Set([100, 101, 102]);

export function africasTalkingSender(settings: AfricasTalkingSettings): SmsSender {
  const url = `${settings.baseUrl.replace(/\/+$/, "")}/version1/messaging`;
  return {
    provider: "africastalking",
    async send(message: SmsMessage) {
      const form = new URLSearchParams({
        username: settings.username,
        to: message.to,
        message: message.body,
      });
      if (settings.from) form.set("from", settings.from);
      const res = await providerFetch("africastalking", url, {
        method: "POST",
        headers: {
          apiKey: settings.apiKey,
          Accept: "application/json",
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: form,
      });
      const answer = Answer.safeParse(await res.json().catch(() => undefined));
      if (res.ok && answer.success) {
        const recipient = answer.data.SMSMessageData.Recipients.find((r) => r.number === message.to);
        if (recipient && TAKEN.has(recipient.statusCode)) return { id: recipient.messageId };
        throw new SmsError("africastalking", false, `recipient status ${recipient?.statusCode ?? "missing"}`);
      }
      throw new SmsError("africastalking", res.status >= 500 || res.status === 429, `HTTP ${res.status}`);
    },
  };
}
