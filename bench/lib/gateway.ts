import { fileURLToPath } from "node:url";
import { type NodeChild, startNodeChild } from "./node-child";

export type RunningGateway = NodeChild;

/** Starts bench/lib/gateway-process.ts in a Node process of its own and waits for its URL. */
export function startGatewayProcess(options: {
  upstream: string;
  poolSize: number;
  logFile: string;
  /** e.g. `--cpu-prof --cpu-prof-dir=…` (bench --profile). */
  nodeArgs?: readonly string[];
  /** A collector's OTLP/HTTP JSON endpoint: the gateway continues traced requests' traces there. */
  tracesEndpoint?: string;
}): Promise<RunningGateway> {
  return startNodeChild({
    what: "SQL gateway",
    entry: fileURLToPath(new URL("./gateway-process.ts", import.meta.url)),
    argument: {
      upstream: options.upstream,
      poolSize: options.poolSize,
      tracesEndpoint: options.tracesEndpoint,
    },
    logFile: options.logFile,
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
  });
}
