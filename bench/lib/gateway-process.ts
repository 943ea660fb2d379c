import { startSqlGateway } from "../../regions/sql-gateway/server";

/**
 * Child-process entry: the SQL gateway in a Node process of its own, as a region runs it. In the
 * benchmark's own process it would share one event loop with the load generator, and each would
 * slow the other down: the figures would then measure that contention, not the Worker.
 *
 * argv[2]: JSON {upstream, poolSize}. Prints one JSON line {url} on stdout once listening; exits
 * when its stdin closes, so it never outlives the benchmark even if that one is killed hard.
 */
const { upstream, poolSize, tracesEndpoint } = JSON.parse(process.argv[2] ?? "{}") as {
  upstream: string;
  poolSize: number;
  tracesEndpoint?: string;
};

const gateway = await startSqlGateway({
  backend: { kind: "postgres", upstream, poolSize },
  traces: tracesEndpoint ? { endpoint: tracesEndpoint, region: "eu" } : undefined,
  // Only trouble is worth a line: per-query logging would cost CPU on a 2-core machine.
  log: (line) => {
    if (line.level === "warn" || line.level === "error") process.stderr.write(`${JSON.stringify(line)}\n`);
  },
});
process.stdout.write(`${JSON.stringify({ url: gateway.url })}\n`);

let closing = false;
const close = () => {
  if (closing) return;
  closing = true;
  gateway.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.stdin.on("end", close);
process.stdin.on("close", close);
process.stdin.resume();
process.on("SIGTERM", close);
// Ctrl-C reaches the whole process group; the parent decides the order of teardown.
process.on("SIGINT", () => {});
