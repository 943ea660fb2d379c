import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import { regionSubjects } from "./subjects";

/** One stream per region holds every tenant's events of that region: `EVENTS_EU`, `EVENTS_LAGOS`. */
export const streamName = (region: string) => `EVENTS_${region.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`;

export interface StreamOptions {
  region: string;
  /** 3 in the regional clusters (regions/k8s), 1 on a single local server. */
  replicas: number;
  /** How long events stay replayable. */
  maxAgeSeconds: number;
  /**
   * JetStream drops a second message with the same `Nats-Msg-Id` inside this window. It must
   * outlast the relay's longest retry of one row (a claim that published but could not mark
   * relayed is re-published after the next claim), so it is minutes, not the 2 min default.
   */
  duplicateWindowSeconds: number;
  /** Caps the stream's disk; the oldest events go first. */
  maxBytes: number;
}

export const DEFAULT_STREAM = {
  maxAgeSeconds: 7 * 24 * 3600,
  duplicateWindowSeconds: 15 * 60,
  maxBytes: 50 * 1024 ** 3,
} as const;

const NANOS = 1_000_000_000;

/** The region's stream definition: limits retention (consumers never remove events), file storage. */
export function streamConfig(o: StreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: streamName(o.region),
    description: `Platform events of the ${o.region} region (outbox relay)`,
    subjects: [regionSubjects(o.region)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: o.replicas,
    max_age: o.maxAgeSeconds * NANOS,
    max_bytes: o.maxBytes,
    duplicate_window: o.duplicateWindowSeconds * NANOS,
    // Tenants read, nobody else writes or deletes messages through the API.
    deny_delete: true,
    allow_rollup_hdrs: false,
  };
}

/** Creates the region's stream, or brings an existing one to this definition. */
export async function ensureStream(jsm: JetStreamManager, o: StreamOptions): Promise<void> {
  const config = streamConfig(o);
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
    return;
  }
  const { name, storage: _storage, retention: _retention, ...changeable } = config;
  await jsm.streams.update(name, changeable);
}
