import { neon, neonConfig } from "@neondatabase/serverless";
import { inject } from "vitest";

/** An owner connection through the Worker's gateway, behind the API's back (row-level security off). */
export function ownerSql() {
  neonConfig.fetchEndpoint = `${inject("gatewayUrl")}/sql`;
  return neon(`postgres://postgres@127.0.0.1:5432/${inject("databaseName")}`);
}

/**
 * Writes an outbox row directly, unpublished, as a request that died right after its COMMIT
 * leaves it. Answers the event id.
 */
export async function insertEvent(o: { tenantId: string; eventType: string; secondsAgo?: number }) {
  const id = crypto.randomUUID();
  const payload = {
    event_id: id,
    event_type: o.eventType,
    tenant_id: o.tenantId,
    timestamp: new Date(Date.now() - (o.secondsAgo ?? 0) * 1000).toISOString(),
    source: "test",
    version: "1.0",
    data: { n: 1 },
    metadata: { user_id: null, correlation_id: `corr-${id}` },
  };
  await ownerSql().query(
    `insert into outbox_events (id, tenant_id, event_type, payload, created_at)
     values ($1, $2, $3, $4, now() - make_interval(secs => $5))`,
    [id, o.tenantId, o.eventType, JSON.stringify(payload), o.secondsAgo ?? 0],
  );
  return id;
}
