import { parseArgs } from "node:util";
import { closeOnSignals } from "../lib/node-service";
import { startModelStandIn } from "./server";

// CLI: npx tsx regions/model-standin/main.ts --port 8096. Prints one JSON line once listening.

function logLine(line: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: "model-standin", ...line })}\n`,
  );
}

const { values } = parseArgs({ options: { port: { type: "string" }, host: { type: "string" } } });
const server = await startModelStandIn({
  port: Number(values.port ?? process.env.MODEL_STANDIN_PORT ?? 8096),
  host: values.host ?? "127.0.0.1",
});
process.stdout.write(
  `${JSON.stringify({ event: "listening", service: "model-standin", url: server.url })}\n`,
);
closeOnSignals({ close: () => server.close(), log: logLine, forcedExitMs: 5_000 });
