import { parseArgs } from "node:util";
import { closeOnSignals } from "../lib/node-service";
import { startEmbeddingStandin } from "./server";

// CLI: npx tsx regions/openai-embeddings/main.ts --port 8095
// stdout carries one JSON line once listening; log lines go to stderr.
const { values } = parseArgs({
  options: { port: { type: "string", default: "8095" }, host: { type: "string" } },
});
const log = (line: Record<string, unknown>) =>
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: "openai-embeddings", ...line })}\n`,
  );
const standin = await startEmbeddingStandin({
  port: Number(values.port),
  ...(values.host ? { host: values.host } : {}),
});
process.stdout.write(`${JSON.stringify({ url: standin.url, vectors: standin.vectors.kind })}\n`);
closeOnSignals({ close: standin.close, log, forcedExitMs: 3_000 });
