import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { listen } from "../lib/node-service";

/**
 * The local mail catcher of `npm run dev` and the tests: an SMTP server that accepts every
 * message (no auth, no TLS: loopback only) and keeps it in memory, and a web inbox.
 *
 *   GET    /                     the inbox page (newest first); /messages/{id} one message
 *   GET    /api/messages         JSON list (?to=address filters); /api/messages/{id} one, with bodies
 *   DELETE /api/messages         empties the inbox
 *
 * The regional mail relay sends here in development exactly as it sends to the region's MTA.
 */

export interface CaughtMessage {
  id: string;
  received_at: string;
  message_id: string | null;
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

export interface MailCatcher {
  smtpPort: number;
  /** The relay's SMTP_URL for this catcher. */
  smtpUrl: string;
  /** The web inbox and JSON API. */
  url: string;
  messages(): readonly CaughtMessage[];
  close(): Promise<void>;
}

export interface MailCatcherOptions {
  smtpPort?: number;
  httpPort?: number;
  host?: string;
  /** Newest kept; older ones drop off. */
  keep?: number;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE =
  "body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}td{padding:.3rem .6rem;vertical-align:top;border-bottom:1px solid #ddd}" +
  "iframe{width:100%;height:32rem;border:1px solid #ccc}pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}";

function inboxPage(messages: readonly CaughtMessage[]): string {
  const rows = messages
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.received_at)}</td><td>${escapeHtml(m.to.join(", "))}</td>` +
        `<td><a href="/messages/${m.id}">${escapeHtml(m.subject || "(no subject)")}</a></td></tr>`,
    )
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mail catcher</title><style>${STYLE}</style></head>
<body><h1>Mail catcher</h1><p>What the local stack sent (invitations, password resets, sign-in codes). JSON: <a href="/api/messages">/api/messages</a>.</p>
<table><thead><tr><th>Received</th><th>To</th><th>Subject</th></tr></thead><tbody>${rows || '<tr><td colspan="3">No mail yet.</td></tr>'}</tbody></table></body></html>`;
}

function messagePage(m: CaughtMessage): string {
  // The HTML part in a sandboxed frame: no scripts, and its links open outside the inbox.
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(m.subject)}</title><style>${STYLE}</style></head>
<body><p><a href="/">← Inbox</a></p><h1>${escapeHtml(m.subject)}</h1>
<p>From ${escapeHtml(m.from)} to ${escapeHtml(m.to.join(", "))}, ${escapeHtml(m.received_at)}</p>
<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" srcdoc="${escapeHtml(m.html)}"></iframe>
<h2>Text</h2><pre>${escapeHtml(m.text)}</pre></body></html>`;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": `${type}; charset=utf-8`, "cache-control": "no-store" });
  res.end(body);
}

export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const host = options.host ?? "127.0.0.1";
  const keep = options.keep ?? 500;
  const inbox: CaughtMessage[] = [];

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    banner: "Nexus Edge mail catcher",
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          inbox.unshift({
            id: randomUUID(),
            received_at: new Date().toISOString(),
            message_id: parsed.messageId ?? null,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to,
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: typeof parsed.html === "string" ? parsed.html : "",
          });
          inbox.length = Math.min(inbox.length, keep);
          callback();
        })
        .catch((error: unknown) => callback(error instanceof Error ? error : new Error(String(error))));
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once("error", reject);
    smtp.listen(options.smtpPort ?? 0, host, () => {
      smtp.off("error", reject);
      resolve();
    });
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://catcher");
    const path = url.pathname;
    if (req.method === "DELETE" && path === "/api/messages") {
      inbox.length = 0;
      return send(res, 200, "application/json", JSON.stringify({ deleted: true }));
    }
    if (req.method !== "GET") return send(res, 405, "application/json", '{"error":"method_not_allowed"}');
    if (path === "/") return send(res, 200, "text/html", inboxPage(inbox));
    if (path === "/api/messages") {
      const to = url.searchParams.get("to")?.toLowerCase();
      const list = to ? inbox.filter((m) => m.to.some((a) => a.toLowerCase() === to)) : inbox;
      return send(res, 200, "application/json", JSON.stringify({ messages: list }));
    }
    const one = /^\/(api\/)?messages\/([0-9a-f-]{36})$/.exec(path);
    const message = one ? inbox.find((m) => m.id === one[2]) : undefined;
    if (!one || !message) return send(res, 404, "application/json", '{"error":"not_found"}');
    return one[1]
      ? send(res, 200, "application/json", JSON.stringify(message))
      : send(res, 200, "text/html", messagePage(message));
  });
  const address = await listen(http, options.httpPort ?? 0, host);

  return {
    smtpPort,
    smtpUrl: `smtp://${host}:${smtpPort}`,
    url: `http://${host}:${address.port}`,
    messages: () => inbox,
    close: async () => {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}
