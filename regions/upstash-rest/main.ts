import { parseArgs } from "node:util";
import { z } from "zod";
import { closeOnSignals } from "../lib/node-service";
import { startUpstashRest } from "./server";

// CLI: npx tsx regions/upstash-rest/main.ts --port 8079 --token dev-token --redis redis://127.0.0.1:6379
// Flags win over the environment (UPSTASH_REST_PORT, UPSTASH_REST_HOST, UPSTASH_REST_TOKEN,
// UPSTASH_REST_REDIS_URL). stdout carries exactly one JSON line, printed once listening, so a
// launcher can wait for it and read the URL; every other log line goes to stderr as JSON.

const USAGE =
  "usage: main.ts --token <token> [--port 8079] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]";

const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(8079),
  host: z.string().min(1).default("127.0.0.1"),
  token: z.string({ error: "a token is required (--token or UPSTASH_REST_TOKEN)" }).min(1),
  redisUrl: z.string().min(1).default("redis://127.0.0.1:6379"),
});

function logLine(line: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: "upstash-rest", ...line })}\n`,
  );
}

async function main(): Promise<void> {
  let flags: Record<string, string | boolean | undefined>;
  try {
    ({ values: flags } = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        token: { type: "string" },
        redis: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const env = process.env;
  const parsed = configSchema.safeParse({
    port: flags.port ?? env.UPSTASH_REST_PORT,
    host: flags.host ?? env.UPSTASH_REST_HOST,
    token: flags.token ?? env.UPSTASH_REST_TOKEN,
    redisUrl: flags.redis ?? env.UPSTASH_REST_REDIS_URL,
  });
  if (!parsed.success) {
    process.stderr.write(`${z.prettifyError(parsed.error)}\n${USAGE}\n`);
    process.exit(2);
  }
  const config = parsed.data;
  const server = await startUpstashRest({ ...config, log: logLine });
  process.stdout.write(
    `${JSON.stringify({ event: "listening", service: "upstash-rest", url: server.url, port: server.port })}\n`,
  );

  closeOnSignals({ close: () => server.close(), log: logLine, forcedExitMs: 10_000 });
}

main().catch((error: unknown) => {
  logLine({ level: "error", event: "start_failed", error: (error as Error)?.message ?? String(error) });
  process.exit(1);
});
