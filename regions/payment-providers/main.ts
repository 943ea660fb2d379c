import { parseArgs } from "node:util";
import { z } from "zod";
import { closeOnSignals } from "../lib/node-service";
import { startPaymentProviders } from "./server";

// CLI: npx tsx regions/payment-providers/main.ts --port 8091
// Flags win over the environment (PAYMENT_PROVIDERS_PORT, PAYMENT_PROVIDERS_HOST). stdout carries
// exactly one JSON line, printed once listening; every other log line goes to stderr as JSON.

const USAGE = "usage: main.ts [--port 8091] [--host 127.0.0.1]";

const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(8091),
  host: z.string().min(1).default("127.0.0.1"),
});

function logLine(line: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: "payment-providers", ...line })}\n`,
  );
}

async function main(): Promise<void> {
  let flags: Record<string, string | boolean | undefined>;
  try {
    ({ values: flags } = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
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
  const parsed = configSchema.safeParse({
    port: flags.port ?? process.env.PAYMENT_PROVIDERS_PORT,
    host: flags.host ?? process.env.PAYMENT_PROVIDERS_HOST,
  });
  if (!parsed.success) {
    process.stderr.write(`${z.prettifyError(parsed.error)}\n${USAGE}\n`);
    process.exit(2);
  }
  const server = await startPaymentProviders({ ...parsed.data, log: logLine });
  process.stdout.write(
    `${JSON.stringify({ event: "listening", service: "payment-providers", url: server.url, port: server.port, providerUrls: server.providerUrls })}\n`,
  );
  closeOnSignals({ close: () => server.close(), log: logLine, forcedExitMs: 10_000 });
}

main().catch((error: unknown) => {
  logLine({ level: "error", event: "start_failed", error: (error as Error)?.message ?? String(error) });
  process.exit(1);
});
