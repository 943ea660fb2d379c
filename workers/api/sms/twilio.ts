import { z } from "zod";
import { providerFetch, SmsError, type SmsMessage, type SmsSender } from "./sms-port";

/**
 * Twilio's Programmable Messaging API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
 * form-encoded `To`, `From` (a number or alphanumeric sender id) or `MessagingServiceSid`, `Body`;
 * HTTP Basic auth with the Account SID and auth token. 201 with the message resource (`sid`,
 * `status: "queued"`); errors are JSON `{code, message, status}` (20003 auth, 21211 bad `To`).
 */
export interface TwilioSettings {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** `MG…` is a Messaging Service; anything else is the sender number or id. */
  from: string;
}

export const TWILIO_API = "https://api.twilio.com";

const Created = z.object({ sid: z.string().min(1), status: z.string() });
const Failure = z.object({ code: z.number().optional(), status: z.number().optional() });

export function twilioSender(settings: TwilioSettings): SmsSender {
  const url = `${settings.baseUrl.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(settings.accountSid)}/Messages.json`;
  const auth = `Basic ${btoa(`${settings.accountSid}:${settings.authToken}`)}`;
  return {
    provider: "twilio",
    async send(message: SmsMessage) {
      const form = new URLSearchParams({ To: message.to, Body: message.body });
      form.set(settings.from.startsWith("MG") ? "MessagingServiceSid" : "From", settings.from);
      const res = await providerFetch("twilio", url, {
        method: "POST",
        headers: {
          Authorization: auth,
          "Content-Type": "application/x-www-form-urlencoded",
          Accept: "application/json",
        },
        body: form,
      });
      const payload = await res.json().catch(() => undefined);
      if (res.status === 201 || res.status === 200) {
        const created = Created.safeParse(payload);
        if (created.success && created.data.status !== "failed") return { id: created.data.sid };
      }
      const failure = Failure.safeParse(payload);
      const code = failure.success ? failure.data.code : undefined;
      throw new SmsError(
        "twilio",
        res.status >= 500 || res.status === 429,
        `HTTP ${res.status}${code ? ` code ${code}` : ""}`,
      );
    },
  };
}
