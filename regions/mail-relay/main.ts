import { z } from "zod";
import { closeOnSignals } from "../lib/node-service";
import { startMailRelay } from "./server";

// CLI (the container's entry): configuration from the environment only (k8s ConfigMap + Secret).
//   MAIL_RELAY_PORT (8080), MAIL_RELAY_HOST (0.0.0.0), SMTP_URL, MAIL_FROM, MAIL_RELAY_TOKEN
// stdout carries one JSON line once listening; every log line goes to stderr as JSON.

const configSchema = z.object({
  MAIL_RELAY_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  MAIL_RELAY_HOST: z.string().min(1).default("0.0.0.0"),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, "smtp:// or smtps:// URL"),
  MAIL_FROM: z.string().min(3),
  MAIL_RELAY_TOKEN: z.string().min(32, "at least 32 characters"),
});

function logLine(line: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: "mail-relay", ...line })}\n`,
  );
}

const parsed = configSchema.safeParse(process.env);
if (!parsed.success) {
  logLine({
    level: "error",
    msg: "invalid configuration",
    issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
  });
  process.exit(2);
}
const env = parsed.data;
const relay = await startMailRelay({
  port: env.MAIL_RELAY_PORT,
  host: env.MAIL_RELAY_HOST,
  smtpUrl: env.SMTP_URL,
  from: env.MAIL_FROM,
  token: env.MAIL_RELAY_TOKEN,
  log: logLine,
});
process.stdout.write(`${JSON.stringify({ url: relay.url, port: relay.port })}\n`);
closeOnSignals({ close: () => relay.close(), log: logLine, forcedExitMs: 10_000 });
