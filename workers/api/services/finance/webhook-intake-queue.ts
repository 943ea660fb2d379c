import type { Database } from "../../../../db/client";
import { GroupCommit, pollSlot, Slot } from "../../lib/group-commit";
import { logError } from "../../lib/log-error";
import { TtlCache } from "../../lib/ttl-cache";
import type { Defer } from "../../lib/upstash";
import { countRepeats, type EventToStore, type StoredEvent, storeProviderEvents } from "./webhook-intake";

/**
 * The intake's fast path for a webhook storm, per isolate. Providers deliver one event many times
 * (retries, at-least-once fan-out), often several copies at once; each copy used to cost its own
 * database transaction and, for a new event, its own disk flush.
 *
 * - A copy of an event this isolate has already stored is answered from memory; the repeat is
 *   counted a moment later, together with the other repeats of that moment, in one statement.
 * - A copy of an event this isolate is storing right now waits for that store, then counts as a
 *   repeat: ten copies at once are one insert.
 * - New events of one tenant that arrive while a store is being written are written together in
 *   the next transaction: one round trip and one commit for all of them (lib/group-commit.ts).
 *
 * The database stays the judge: another isolate, or this one after its memory expired, finds a
 * repeat by the unique (connection, event key), as before. A repeat is answered 200 only once its
 * event's row is committed, so nothing the provider stops resending can be lost. Repeat counts
 * (`duplicates`, a diagnostic) are written within REPEAT_FLUSH_MS; an isolate evicted in that
 * window loses them, never an event.
 */
const SEEN_TTL_MS = 10 * 60_000;
const SEEN_MAX = 20_000;
export const REPEAT_FLUSH_MS = 50;

interface Known {
  id: string;
  state: string;
}

const seen = new TtlCache<Known>(SEEN_TTL_MS, SEEN_MAX);
const storing = new Map<string, Slot<StoredEvent | undefined>>();
/** Repeats answered from memory and not yet written, per tenant: event id → count. */
const unwrittenRepeats = new Map<string, Map<string, number>>();

interface StoreCall extends EventToStore {
  db: Database;
}

const stores = new GroupCommit<StoreCall, StoredEvent | undefined>((tenantId, calls) =>
  storeProviderEvents((calls[0] as StoreCall).db, tenantId, calls),
);

const keyOf = (event: EventToStore) => `${event.connection.id}\n${event.hint.eventKey}`;

/**
 * Stores one verified webhook (or counts it as a repeat) the way storeProviderEvent does, with
 * the isolate's memory and batching in front. Undefined: the connection is gone. `defer` keeps
 * the request alive for the repeat count it may have to write after answering.
 */
export async function intakeProviderEvent(
  db: Database,
  tenantId: string,
  event: EventToStore,
  defer: Defer | undefined,
): Promise<StoredEvent | undefined> {
  const key = keyOf(event);
  const known = seen.get(key);
  if (known) return repeatOf(db, tenantId, known, defer);
  const pending = storing.get(key);
  if (pending) {
    try {
      const first = await pollSlot(pending);
      if (!first) return undefined;
      return repeatOf(db, tenantId, first, defer);
    } catch {
      // The first copy failed to store (or took too long): this one tries on its own.
    }
  }
  const slot = new Slot<StoredEvent | undefined>();
  storing.set(key, slot);
  try {
    const stored = await stores.call(tenantId, { db, ...event });
    if (stored) seen.set(key, { id: stored.id, state: stored.state });
    slot.resolve(stored);
    return stored;
  } catch (error) {
    slot.reject(error);
    throw error;
  } finally {
    if (storing.get(key) === slot) storing.delete(key);
  }
}

async function repeatOf(
  db: Database,
  tenantId: string,
  known: Known,
  defer: Defer | undefined,
): Promise<StoredEvent> {
  const answer = { id: known.id, inserted: false, state: known.state };
  let counts = unwrittenRepeats.get(tenantId);
  const flushScheduled = counts !== undefined;
  if (!counts) {
    counts = new Map();
    unwrittenRepeats.set(tenantId, counts);
  }
  counts.set(known.id, (counts.get(known.id) ?? 0) + 1);
  if (flushScheduled) return answer;
  // This request writes the counts of the next moment, after answering if it can.
  const flush = (async () => {
    await new Promise((resolve) => setTimeout(resolve, REPEAT_FLUSH_MS));
    const batch = unwrittenRepeats.get(tenantId);
    unwrittenRepeats.delete(tenantId);
    if (batch) await countRepeats(db, tenantId, batch);
  })();
  if (defer)
    defer(flush.catch((error: unknown) => logError("counting webhook repeats failed", tenantId, error)));
  else await flush;
  return answer;
}
