import type { RenderedMail } from "./render";

/** One message ready to leave: the outbox row id travels with it, so a retry is recognisable. */
export interface OutboundMail extends RenderedMail {
  id: string;
  to: string;
}

/**
 * How a message leaves the Worker. `permanent` failures (the relay refused the message itself)
 * are not retried; anything else is, on the outbox's schedule.
 */
export type SendResult = { ok: true } | { ok: false; permanent: boolean; reason: string };

export interface MailTransport {
  send(message: OutboundMail): Promise<SendResult>;
}
