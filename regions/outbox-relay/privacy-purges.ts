import type { JetStreamManager } from "@nats-io/jetstream";
import type pg from "pg";
import { rewriteErasedEvents } from "./privacy-rewrites";

/**
 * What a tenant's erasure may ask the relay to purge: that one tenant's subjects of this
 * region (`evt.<region>.<tenant uuid>.>`), nothing wider. Anything else is refused and recorded.
 */
export const purgeFilterPattern = (region: string) =>
  new RegExp(
    `^evt\\.${region.replace(/[^a-z0-9_]/g, "")}\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.>$`,
  );

/**
 * Carries out the purges erasures left in privacy_stream_purges (migrations 0025, 0032;
 * workers/api/services/privacy/stores/events.ts): a tenant's filter is purged from the region's
 * stream (the stream denies deleting single messages, not purging by subject), a person's
 * events are rewritten (privacy-rewrites.ts), and the row records when
 * and how many messages went, which the privacy request's status shows. Answers how many rows it
 * finished. A failure is recorded on the row and retried on the next pass.
 */
export async function purgeRequestedSubjects(
  pool: pg.Pool,
  jsm: JetStreamManager,
  o: { region: string; stream: string },
): Promise<number> {
  const { rows } = await pool.query<{
    id: string;
    tenant_id: string;
    request_id: string;
    subject_filter: string;
    event_ids: string[] | null;
  }>(
    `select id, tenant_id, request_id, subject_filter, event_ids::text[] as event_ids from privacy_stream_purges
     where purged_at is null order by requested_at limit 20`,
  );
  const allowed = purgeFilterPattern(o.region);
  let done = 0;
  for (const row of rows) {
    if (!allowed.test(row.subject_filter)) {
      await pool.query("update privacy_stream_purges set error = $2 where id = $1", [
        row.id,
        "subject filter outside this region's tenant subjects",
      ]);
      continue;
    }
    try {
      // A person's events are rewritten (privacy-rewrites.ts); a tenant's subjects go whole.
      const purged = row.event_ids
        ? await rewriteErasedEvents(pool, jsm, o, { ...row, event_ids: row.event_ids })
        : (await jsm.streams.purge(o.stream, { filter: row.subject_filter })).purged;
      if (purged === undefined) continue;
      await pool.query(
        "update privacy_stream_purges set purged_at = now(), purged_messages = $2, error = null where id = $1",
        [row.id, purged],
      );
      done++;
    } catch (error) {
      await pool.query("update privacy_stream_purges set error = $2 where id = $1", [
        row.id,
        String(error).slice(0, 200),
      ]);
    }
  }
  return done;
}
