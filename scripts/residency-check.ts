/**
 * `npm run residency-check`: the residency canary against a running `npm run dev` (README
 * "Privacy"). A Lagos tenant's marker, written through every feature, must not be in any EU store
 * (Postgres, its files, Durable Object storage, Worker logs at rest, JetStream, the model and
 * embedding servers) nor in Upstash or the global model endpoint; then the same for an EU tenant
 * against Lagos. One progress line per store.
 *
 *   npm run residency-check                         the stack of .data/
 *   npm run residency-check -- --data-dir DIR       another stack's data folder
 *   npm run residency-check -- --nats nats://…      where the stack's relays stream (default NATS_URL or :4222)
 *
 * Exit codes: 0 both directions pass; 1 a marker was found outside its home region (or a home
 * store that must hold it did not, or a write failed); 2 no running stack or bad usage.
 */
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR } from "../regions/local/paths";
import { readStackInfo } from "../regions/local/stack-info";
import { runResidencyCanary } from "./lib/residency/canary";

const { values } = parseArgs({
  options: {
    "data-dir": { type: "string", default: process.env.NEXUS_DATA_DIR ?? DEFAULT_DATA_DIR },
    nats: { type: "string", default: process.env.NATS_URL ?? "nats://127.0.0.1:4222" },
  },
});
const dataDir = values["data-dir"] as string;
const stack = readStackInfo(dataDir);
if (!stack) {
  console.error(`residency-check: no running stack in ${dataDir} (start one with npm run dev)`);
  process.exit(2);
}
const health = await fetch(`${stack.regionUrls.eu}/health`).catch(() => undefined);
if (!health) {
  console.error(`residency-check: the stack of ${dataDir} does not answer at ${stack.regionUrls.eu}`);
  process.exit(2);
}
await health.body?.cancel();

const started = Date.now();
try {
  const outcomes = await runResidencyCanary({
    stack,
    dataDir,
    natsUrl: values.nats as string,
    log: (line) => console.log(line),
  });
  const passed = outcomes.every((o) => o.passed);
  console.log(
    `residency-check: ${passed ? "passed in both directions" : "FAILED"} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  process.exit(passed ? 0 : 1);
} catch (error) {
  console.error(`residency-check: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
