import { fileURLToPath } from "node:url";
import type { JSONWebKeySet } from "jose";
import { type NodeChild, startNodeChild } from "./node-child";

/** Starts the peer (bench/peer/, Fastify + pg + jose) in a Node process of its own. */
export function startPeerProcess(options: {
  databaseUrl: string;
  jwks: JSONWebKeySet;
  issuer: string;
  audience: string;
  poolSize: number;
  logFile: string;
  nodeArgs?: readonly string[];
}): Promise<NodeChild> {
  const { logFile, nodeArgs, ...peer } = options;
  return startNodeChild({
    what: "peer (Fastify + pg)",
    entry: fileURLToPath(new URL("../peer/main.ts", import.meta.url)),
    argument: { ...peer, host: "127.0.0.1", port: 0 },
    logFile,
    ...(nodeArgs ? { nodeArgs } : {}),
  });
}
