import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createTransport, type Transporter } from "nodemailer";
import { z } from "zod";
import { listen } from "../lib/node-service";

/**
 * The mail relay of a region's backend: the Worker has no SMTP, so it POSTs each message here
 * over HTTPS and this service speaks SMTP to the region's relay host (an MTA inside the region).
 * Addresses and one-time codes therefore never pass through a mail API outside the region.
 *
 *   POST /v1/messages  Authorization: Bearer <token>, Idempotency-Key: <outbox id>
 *                      {id, to, subject, text, html} → 202 {id, status: "sent" | "duplicate"}
 *   GET  /health       200 {status: "ok"} once SMTP answered (EHLO/NOOP), else 503
 *
 * Logs carry the message id and the outcome, never the address, subject or body.
 */

export interface MailRelayOptions {
  port?: number;
  host?: string;
  /** smtp://host:port or smtps://user:pass@host:465 (nodemailer's URL form). */
  smtpUrl: string;
  /** The envelope and header sender, e.g. `Nexus Edge <no-reply@eu.nexus.bac.cloud>`. */
  from: string;
  /** Bearer token the Worker sends (MAIL_RELAY_TOKEN); undefined only for loopback development. */
  token?: string | undefined;
  log?: (line: Record<string, unknown>) => void;
}

export interface MailRelay {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const RelayMessage = z.strictObject({
  id: z.uuid(),
  to: z.email().max(320),
  subject: z.string().min(1).max(998),
  text: z.string().min(1).max(200_000),
  html: z.string().min(1).max(500_000),
});

const MAX_BODY_BYTES = 1024 * 1024;
/** Ids recently sent: a retry after a lost answer is acknowledged, not sent again. */
const REMEMBERED_IDS = 10_000;

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startMailRelay(options: MailRelayOptions): Promise<MailRelay> {
  const log = options.log ?? (() => {});
  const transporter: Transporter = createTransport(options.smtpUrl, { from: options.from });
  const sent = new Map<string, true>();
  const remember = (id: string) => {
    sent.set(id, true);
    if (sent.size > REMEMBERED_IDS) sent.delete(sent.keys().next().value as string);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://relay").pathname;
    if (req.method === "GET" && path === "/health") {
      const ok = await transporter.verify().then(
        () => true,
        () => false,
      );
      return reply(res, ok ? 200 : 503, { status: ok ? "ok" : "smtp_unavailable" });
    }
    if (path !== "/v1/messages") return reply(res, 404, { error: "not_found" });
    if (req.method !== "POST") return reply(res, 405, { error: "method_not_allowed" });
    if (options.token !== undefined && !bearerMatches(req.headers.authorization, options.token)) {
      return reply(res, 401, { error: "unauthorized" });
    }
    let parsed: z.infer<typeof RelayMessage>;
    try {
      const result = RelayMessage.safeParse(JSON.parse(await readBody(req)));
      if (!result.success) {
        return reply(res, 400, {
          error: "invalid_message",
          fields: result.error.issues.map((i) => i.path.join(".")),
        });
      }
      parsed = result.data;
    } catch (error) {
      if (error instanceof BodyTooLarge) return reply(res, 413, { error: "too_large" });
      return reply(res, 400, { error: "invalid_json" });
    }
    if (sent.has(parsed.id)) {
      log({ level: "info", msg: "duplicate message acknowledged", id: parsed.id });
      return reply(res, 202, { id: parsed.id, status: "duplicate" });
    }
    try {
      await transporter.sendMail({
        to: parsed.to,
        subject: parsed.subject,
        text: parsed.text,
        html: parsed.html,
        messageId: `<${parsed.id}@nexus-edge.mail>`,
      });
    } catch (error) {
      // nodemailer's message can quote the recipient: log its code only.
      const code = (error as { code?: unknown }).code;
      log({
        level: "warn",
        msg: "smtp send failed",
        id: parsed.id,
        code: typeof code === "string" ? code : "unknown",
      });
      return reply(res, 502, { error: "smtp_unavailable" });
    }
    remember(parsed.id);
    log({ level: "info", msg: "message sent", id: parsed.id });
    return reply(res, 202, { id: parsed.id, status: "sent" });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log({ level: "error", msg: "request failed", error: error instanceof Error ? error.name : "unknown" });
      if (!res.headersSent) reply(res, 500, { error: "internal" });
      else res.end();
    });
  });
  const host = options.host ?? "127.0.0.1";
  const address = await listen(server, options.port ?? 0, host);
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        transporter.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
