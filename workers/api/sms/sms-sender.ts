import { AFRICAS_TALKING_API, africasTalkingSender } from "./africas-talking";
import type { SmsSender } from "./sms-port";
import { TWILIO_API, twilioSender } from "./twilio";

/** The region's SMS settings (env.ts: SMS_PROVIDER, SMS_PROVIDER_URL, SMS_ACCOUNT, SMS_FROM, SMS_API_KEY). */
export interface SmsConfig {
  provider: "none" | "twilio" | "africastalking";
  /** Replaces the provider's API base (the local stand-in in dev and tests). */
  baseUrl: string | undefined;
  /** Twilio: the Account SID; Africa's Talking: the app's username. */
  account: string | undefined;
  from: string;
  apiKey: string | undefined;
}

/** The configured sender, or undefined where SMS is not set up (SMS codes are then refused, 503). */
export function smsSenderOf(config: SmsConfig): SmsSender | undefined {
  if (config.provider === "none" || !config.account || !config.apiKey) return undefined;
  if (config.provider === "twilio") {
    return twilioSender({
      baseUrl: config.baseUrl ?? TWILIO_API,
      accountSid: config.account,
      authToken: config.apiKey,
      from: config.from,
    });
  }
  return africasTalkingSender({
    baseUrl: config.baseUrl ?? AFRICAS_TALKING_API,
    username: config.account,
    apiKey: config.apiKey,
    from: config.from,
  });
}
