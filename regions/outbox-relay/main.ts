import { parseArgs } from "node:util";
import { z } from "zod";
import { closeOnSignals, listen } from "../lib/node-service";
import { safeLogLine } from "../lib/telemetry/log-fields";
import { metricsServer } from "./http";
import { startOutboxRelay } from "./relay";

// CLI: npx tsx regions/outbox-relay/main.ts --region eu \
//        --database postgres://nexus_relay@127.0.0.1:5432/nexus --nats nats://127.0.0.1:4222
// Flags win over the environment (README.md). stdout carries one JSON line once relaying; logs
// go to stderr as JSON lines.

const USAGE = `usage: main.ts --region <eu|lagos> --database <postgres://…> [--nats nats://127.0.0.1:4222[,…]]
               [--metrics-port 9464] [--metrics-host 127.0.0.1] [--batch-size 1000] [--pipeline 3]
               [--stream-replicas 1]`;

const FORCED_EXIT_MS = 15_000;

const configSchema = z.object({
  region: z.string().regex(/^[a-z][a-z0-9_]*$/, "a region id such as eu or lagos"),
  database: z.string().startsWith("postgres", "must be a postgres:// URL"),
  nats: z
    .string()
    .min(1)
    .default("nats://127.0.0.1:4222")
    .transform((s) => s.split(",").map((x) => x.trim())),
  natsUser: z.string().min(1).optional(),
  natsPassword: z.string().min(1).optional(),
  natsToken: z.string().min(1).optional(),
  metricsPort: z.coerce.number().int().min(0).max(65_535).default(9464),
  metricsHost: z.string().min(1).default("127.0.0.1"),
  batchSize: z.coerce.number().int().min(1).max(10_000).optional(),
  pipeline: z.coerce.number().int().min(1).max(16).optional(),
  streamReplicas: z.coerce.number().int().min(1).max(5).default(1),
  streamMaxAgeSeconds: z.coerce.number().int().min(60).optional(),
  duplicateWindowSeconds: z.coerce.number().int().min(60).optional(),
});

/** One JSON line on stderr, allow-listed and redacted like the Worker's (regions/lib/telemetry/log-fields.ts). */
function logLine(line: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify(safeLogLine({ time: new Date().toISOString(), level: "info", service: "outbox-relay", ...line }))}\n`,
  );
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let flags: Record<string, string | boolean | undefined>;
try {
  ({ values: flags } = parseArgs({
    options: {
      region: { type: "string" },
      database: { type: "string" },
      nats: { type: "string" },
      "metrics-port": { type: "string" },
      "metrics-host": { type: "string" },
      "batch-size": { type: "string" },
      pipeline: { type: "string" },
      "stream-replicas": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const env = process.env;
const parsed = configSchema.safeParse({
  region: flags.region ?? env.OUTBOX_RELAY_REGION,
  database: flags.database ?? env.OUTBOX_RELAY_DATABASE_URL,
  nats: flags.nats ?? env.OUTBOX_RELAY_NATS_URL,
  natsUser: env.OUTBOX_RELAY_NATS_USER,
  natsPassword: env.OUTBOX_RELAY_NATS_PASSWORD,
  natsToken: env.OUTBOX_RELAY_NATS_TOKEN,
  metricsPort: flags["metrics-port"] ?? env.OUTBOX_RELAY_METRICS_PORT,
  metricsHost: flags["metrics-host"] ?? env.OUTBOX_RELAY_METRICS_HOST,
  batchSize: flags["batch-size"] ?? env.OUTBOX_RELAY_BATCH_SIZE,
  pipeline: flags.pipeline ?? env.OUTBOX_RELAY_PIPELINE,
  streamReplicas: flags["stream-replicas"] ?? env.OUTBOX_RELAY_STREAM_REPLICAS,
  streamMaxAgeSeconds: env.OUTBOX_RELAY_STREAM_MAX_AGE_SECONDS,
  duplicateWindowSeconds: env.OUTBOX_RELAY_DUPLICATE_WINDOW_SECONDS,
});
if (!parsed.success) fail(z.prettifyError(parsed.error));
const config = parsed.data;

const relay = await startOutboxRelay({
  region: config.region,
  databaseUrl: config.database,
  natsServers: config.nats,
  natsAuth: {
    ...(config.natsUser ? { user: config.natsUser } : {}),
    ...(config.natsPassword ? { pass: config.natsPassword } : {}),
    ...(config.natsToken ? { token: config.natsToken } : {}),
  },
  ...(config.batchSize ? { batchSize: config.batchSize } : {}),
  ...(config.pipeline ? { pipeline: config.pipeline } : {}),
  stream: {
    replicas: config.streamReplicas,
    ...(config.streamMaxAgeSeconds ? { maxAgeSeconds: config.streamMaxAgeSeconds } : {}),
    ...(config.duplicateWindowSeconds ? { duplicateWindowSeconds: config.duplicateWindowSeconds } : {}),
  },
  log: logLine,
});
const server = metricsServer(relay.metrics.registry, () => relay.ready());
const address = await listen(server, config.metricsPort, config.metricsHost);
process.stdout.write(
  `${JSON.stringify({ event: "relaying", service: "outbox-relay", region: config.region, metrics: `http://${config.metricsHost}:${address.port}/metrics` })}\n`,
);
closeOnSignals({
  close: async () => {
    server.close();
    await relay.close();
  },
  log: logLine,
  forcedExitMs: FORCED_EXIT_MS,
});
