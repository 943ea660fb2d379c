import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { listen, readBody } from "../lib/node-service";

/**
 * Twilio and Africa's Talking as the Worker's SMS adapters see them, for local development and
 * tests: Twilio's `POST /2010-04-01/Accounts/{sid}/Messages.json` (form, Basic auth, 201 with the
 * message resource; 20003 and 21211 errors) and Africa's Talking's `POST /version1/messaging`
 * (form, `apiKey` header, `SMSMessageData.Recipients` with per-number status codes). What they
 * "deliver" lands in an inbox: `GET /` (a page a developer opens), `GET /__inbox?to=+…` (JSON,
 * newest first, for tests), `DELETE /__inbox`. In memory.
 */
export interface SmsProviderAccounts {
  twilio: { accountSid: string; authToken: string };
  africasTalking: { username: string; apiKey: string };
}

export interface DeliveredSms {
  id: string;
  provider: "twilio" | "africastalking";
  to: string;
  from: string;
  body: string;
  at: string;
}

export interface SmsProvidersServer {
  url: string;
  accounts: SmsProviderAccounts;
  inbox(): DeliveredSms[];
  close(): Promise<void>;
}

export const DEFAULT_SMS_ACCOUNTS: SmsProviderAccounts = {
  twilio: { accountSid: "ACnexuslocal00000000000000000000", authToken: "local-twilio-auth-token" },
  africasTalking: { username: "sandbox", apiKey: "local-africastalking-api-key" },
};

const E164 = /^\+[1-9][0-9]{7,14}$/;
const MAX_MESSAGES = 500;

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const escapeHtml = (v: string) =>
  v.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

export async function startSmsProviders(
  options: { port?: number; host?: string; accounts?: SmsProviderAccounts } = {},
): Promise<SmsProvidersServer> {
  const accounts = options.accounts ?? DEFAULT_SMS_ACCOUNTS;
  const messages: DeliveredSms[] = [];
  const deliver = (message: Omit<DeliveredSms, "at">) => {
    messages.unshift({ ...message, at: new Date().toISOString() });
    messages.length = Math.min(messages.length, MAX_MESSAGES);
  };
  const server = createServer();
  const host = options.host ?? "127.0.0.1";
  const address = await listen(server, options.port ?? 0, host);
  const url = `http://${host}:${address.port}`;

  server.on("request", (req, res) => {
    void (async () => {
      const here = new URL(req.url ?? "/", url);
      const twilio = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(here.pathname);
      if (twilio && req.method === "POST") {
        const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
        const [sid = "", token = ""] = Buffer.from(basic, "base64").toString("utf8").split(":");
        if (
          sid !== twilio[1] ||
          !same(sid, accounts.twilio.accountSid) ||
          !same(token, accounts.twilio.authToken)
        ) {
          return json(res, 401, {
            code: 20003,
            message: "Authenticate",
            more_info: "https://www.twilio.com/docs/errors/20003",
            status: 401,
          });
        }
        if (!String(req.headers["content-type"]).startsWith("application/x-www-form-urlencoded"))
          return json(res, 400, { code: 20001, message: "Unsupported content type", status: 400 });
        const form = new URLSearchParams(await readBody(req, 64 * 1024));
        const to = form.get("To") ?? "";
        const from = form.get("From") ?? form.get("MessagingServiceSid") ?? "";
        const body = form.get("Body") ?? "";
        if (!E164.test(to))
          return json(res, 400, {
            code: 21211,
            message: `The 'To' number ${to} is not a valid phone number.`,
            status: 400,
          });
        if (!from)
          return json(res, 400, {
            code: 21603,
            message: "The 'From' phone number is required.",
            status: 400,
          });
        if (!body || body.length > 1600)
          return json(res, 400, { code: 21602, message: "Message body is required.", status: 400 });
        const id = `SM${randomBytes(16).toString("hex")}`;
        deliver({ id, provider: "twilio", to, from, body });
        return json(res, 201, {
          sid: id,
          account_sid: sid,
          to,
          from,
          body,
          status: "queued",
          num_segments: String(Math.ceil(body.length / 160)),
          direction: "outbound-api",
          api_version: "2010-04-01",
          date_created: new Date().toUTCString(),
          uri: `/2010-04-01/Accounts/${sid}/Messages/${id}.json`,
        });
      }
      if (here.pathname === "/version1/messaging" && req.method === "POST") {
        if (!same(String(req.headers.apikey ?? ""), accounts.africasTalking.apiKey)) {
          res.writeHead(401, { "content-type": "text/plain" });
          res.end("The supplied authentication is invalid");
          return;
        }
        const form = new URLSearchParams(await readBody(req, 64 * 1024));
        if (form.get("username") !== accounts.africasTalking.username) {
          res.writeHead(401, { "content-type": "text/plain" });
          res.end("The supplied authentication is invalid");
          return;
        }
        const message = form.get("message") ?? "";
        const from = form.get("from") ?? "AFRICASTKNG";
        const recipients = (form.get("to") ?? "")
          .split(",")
          .map((n) => n.trim())
          .filter(Boolean);
        const answered = recipients.map((number) => {
          if (!E164.test(number))
            return { statusCode: 403, number, status: "InvalidPhoneNumber", cost: "0", messageId: "None" };
          const messageId = `ATXid_${randomBytes(16).toString("hex")}`;
          deliver({ id: messageId, provider: "africastalking", to: number, from, body: message });
          return { statusCode: 101, number, status: "Success", cost: "NGN 2.2000", messageId };
        });
        const sent = answered.filter((r) => r.statusCode === 101).length;
        return json(res, 201, {
          SMSMessageData: {
            Message: `Sent to ${sent}/${recipients.length} Total Cost: NGN ${(sent * 2.2).toFixed(4)}`,
            Recipients: answered,
          },
        });
      }
      if (here.pathname === "/__inbox" && req.method === "GET") {
        const to = here.searchParams.get("to");
        return json(res, 200, to ? messages.filter((m) => m.to === to) : messages);
      }
      if (here.pathname === "/__inbox" && req.method === "DELETE") {
        messages.length = 0;
        res.writeHead(204).end();
        return;
      }
      if (here.pathname === "/" && req.method === "GET") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        const rows = messages
          .map(
            (m) =>
              `<tr><td>${escapeHtml(m.at)}</td><td>${m.provider}</td><td>${escapeHtml(m.from)}</td><td>${escapeHtml(m.to)}</td><td>${escapeHtml(m.body)}</td></tr>`,
          )
          .join("");
        res.end(
          `<!doctype html><meta charset="utf-8"><title>SMS inbox</title><h1>Text messages sent (local)</h1>` +
            `<table><tr><th>When</th><th>Provider</th><th>From</th><th>To</th><th>Text</th></tr>${rows}</table>`,
        );
        return;
      }
      json(res, 404, { error: "not found" });
    })().catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(error) });
      else res.end();
    });
  });

  return {
    url,
    accounts,
    inbox: () => [...messages],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
