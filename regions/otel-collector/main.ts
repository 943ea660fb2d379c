import { parseArgs } from "node:util";
import { closeOnSignals } from "../lib/node-service";
import { startTraceCollector } from "./server";

// CLI: npx tsx regions/otel-collector/main.ts [--port 8099] — the trace collector stand-in alone
// (npm run dev starts it with the stack). Prints one JSON line once listening.
const { values } = parseArgs({ options: { port: { type: "string", default: "8099" } } });
const collector = await startTraceCollector({ port: Number(values.port) });
process.stdout.write(
  `${JSON.stringify({ event: "listening", service: "otel-collector", url: collector.url })}\n`,
);
closeOnSignals({
  close: collector.close,
  log: (line) => process.stderr.write(`${JSON.stringify(line)}\n`),
  forcedExitMs: 5_000,
});
