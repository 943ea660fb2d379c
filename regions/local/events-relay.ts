import { Socket } from "node:net";
import { type OutboxRelay, startOutboxRelay } from "../outbox-relay/relay";
import { streamName } from "../outbox-relay/streams";
import type { RegionId } from "../registry";
import type { RegionDatabase } from "./region-database";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

function reachable(url: string, timeoutMs: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.connect(Number(port || 4222), hostname);
  });
}

export interface LocalEvents {
  /** What `npm run dev` prints about events. */
  describe: string;
  relays: OutboxRelay[];
}

/**
 * The outbox relay per region into the machine's NATS JetStream, when one answers at `natsUrl`
 * (single server: streams with replicas 1). Only on a real Postgres: a relay holds a transaction
 * while JetStream acknowledges, and PGlite's one session would stall the region's Worker meanwhile.
 */
export async function startLocalEvents(
  natsUrl: string,
  databases: Record<RegionId, RegionDatabase>,
  log: (line: string) => void,
): Promise<LocalEvents> {
  if (!(await reachable(natsUrl, 500))) {
    return { describe: `off (no NATS at ${natsUrl}; events still reach webhooks and sockets)`, relays: [] };
  }
  const regions = Object.keys(databases) as RegionId[];
  if (regions.some((r) => databases[r].relayUrl === undefined)) {
    return {
      describe: `off: NATS is up at ${natsUrl}, but the outbox relay needs a real Postgres (npm run dev -- --postgres …)`,
      relays: [],
    };
  }
  const relays: OutboxRelay[] = [];
  for (const region of regions) {
    relays.push(
      await startOutboxRelay({
        region,
        databaseUrl: databases[region].relayUrl as string,
        natsServers: [natsUrl],
        // One machine's server, shared with other checkouts: a small reservation, a day of history.
        stream: { replicas: 1, maxBytes: 256 * 1024 ** 2, maxAgeSeconds: 24 * 3600 },
        log: (line) => {
          if (line.level !== "info") log(`[relay ${region}] ${JSON.stringify(line)}`);
        },
      }),
    );
  }
  return {
    describe: `NATS JetStream at ${natsUrl} (machine's server): ${regions.map((r) => `${streamName(r)} ← evt.${r}.>`).join(", ")}`,
    relays,
  };
}
