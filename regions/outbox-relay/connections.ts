/** Batches in flight unless OUTBOX_RELAY_PIPELINE says otherwise. */
export const DEFAULT_PIPELINE = 3;

/**
 * Postgres connections one relay holds at most: one per batch in flight, one for the backlog
 * sample, one for the partition leases. Postgres' max_connections is sized with it.
 */
export function relayConnections(pipeline: number): number {
  return pipeline + 2;
}
