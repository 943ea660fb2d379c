import { describe, expect, it } from "vitest";
import { until } from "../support/until";
import { call, type Envelope, envelope, tokenFor } from "./helpers";
import { insertEvent, ownerSql } from "./outbox-helpers";
import { hit, limitedTenant, only, statuses } from "./rate-limit-helpers";

interface Hour {
  hour: string;
  requests: number;
  rate_limited: number;
  events: number;
  webhook_attempts: number;
  webhook_succeeded: number;
}
interface Report {
  from: string;
  to: string;
  hours: Hour[];
  totals: Omit<Hour, "hour"> & { webhook_success_rate: number | null };
}

const LIMITED_USER = "00000000-0000-4000-8000-0000000a5e01";
const READER = "00000000-0000-4000-8000-0000000a5e02";
const HOUR_MS = 3_600_000;

const report = async (tenantId: string, query = "", role = "Owner") =>
  call(`/api/v1/nexus/usage${query}`, { token: await tokenFor({ tenantId, userId: READER, role }) });

/** A webhook endpoint (disabled: nothing is sent to it) with one delivery and the given attempts. */
async function attempts(tenantId: string, list: { status: number | null; hoursAgo: number }[]) {
  const sql = ownerSql();
  const endpointId = crypto.randomUUID();
  const deliveryId = crypto.randomUUID();
  await sql`insert into webhook_endpoints (id, tenant_id, url, enabled, secret_sealed)
            values (${endpointId}, ${tenantId}, 'https://hooks.example.com/in', false, 'sealed')`;
  await sql`insert into webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, webhook_id, state)
            values (${deliveryId}, ${tenantId}, ${endpointId}, ${crypto.randomUUID()}, 'contact.created', 'msg', 'failed')`;
  for (const [i, a] of list.entries()) {
    await sql`insert into webhook_delivery_attempts
                (tenant_id, delivery_id, attempt, started_at, duration_ms, response_status, signature_timestamp)
              values (${tenantId}, ${deliveryId}, ${i + 1}, now() - make_interval(hours => ${a.hoursAgo}), 12,
                      ${a.status}, 0)`;
  }
}

describe("GET /api/v1/nexus/usage", () => {
  it("counts the tenant's requests and 429s by hour, with its events and webhook success", async () => {
    // The limited user may make 3 requests; the reader's own calls are not limited.
    const tenantId = await limitedTenant(only({ user: { limit: 3, window_seconds: 3600 } }), "enterprise");
    const burst = await Promise.all(Array.from({ length: 5 }, () => hit(tenantId, { userId: LIMITED_USER })));
    expect(statuses(burst)).toEqual({ 200: 3, 429: 2 });
    await insertEvent({ tenantId, eventType: "contact.created" });
    await insertEvent({ tenantId, eventType: "contact.updated", secondsAgo: 2 * 3600 + 60 });
    await attempts(tenantId, [
      { status: 500, hoursAgo: 0 },
      { status: 200, hoursAgo: 0 },
      { status: null, hoursAgo: 0 },
      { status: 204, hoursAgo: 3 },
    ]);

    // Counts are written just after each response: wait for the burst's.
    const body = await until("the burst's counts", 10_000, async () => {
      const answer = await envelope<Report>(await report(tenantId, "?hours=6"));
      return answer.data.totals.requests >= 5 ? answer : undefined;
    });
    expect(body.status).toBe("success");
    const { hours, totals } = body.data;
    expect(hours).toHaveLength(6);
    const current = hours.at(-1)!;
    expect(Date.parse(current.hour)).toBe(Math.floor(Date.now() / HOUR_MS) * HOUR_MS);
    expect(Date.parse(body.data.to)).toBe(Date.parse(current.hour) + HOUR_MS);
    // The burst, plus the reader's earlier report calls (each counted after it answered).
    expect(current.requests).toBeGreaterThanOrEqual(5);
    expect(current.rate_limited).toBe(2);
    expect(current).toMatchObject({ events: 1, webhook_attempts: 3, webhook_succeeded: 1 });
    expect(hours.at(-3)).toMatchObject({ events: 1, requests: 0 });
    expect(hours.at(-4)).toMatchObject({ webhook_attempts: 1, webhook_succeeded: 1 });
    expect(totals).toMatchObject({ events: 2, webhook_attempts: 4, webhook_succeeded: 2, rate_limited: 2 });
    expect(totals.webhook_success_rate).toBe(0.5);
  });

  it("shows another tenant nothing of this one's, and an empty window as zeros", async () => {
    const busy = await limitedTenant(only({}), "enterprise");
    await Promise.all(Array.from({ length: 3 }, () => hit(busy, { userId: LIMITED_USER })));
    await insertEvent({ tenantId: busy, eventType: "contact.created" });
    const quiet = await limitedTenant(only({}), "enterprise");
    const body = await envelope<Report>(await report(quiet));
    expect(body.data.hours).toHaveLength(24);
    expect(body.data.totals).toEqual({
      requests: 0,
      rate_limited: 0,
      events: 0,
      webhook_attempts: 0,
      webhook_succeeded: 0,
      webhook_success_rate: null,
    });
  });

  it("is for Owner and Admin, and bounds the window", async () => {
    const tenantId = await limitedTenant(only({}), "enterprise");
    expect((await report(tenantId, "", "Admin")).status).toBe(200);
    for (const role of ["Manager", "Member", "Viewer"]) {
      const refused = await report(tenantId, "", role);
      expect(refused.status).toBe(403);
    }
    for (const query of ["?hours=0", "?hours=169", "?hours=day"]) {
      const bad: Envelope = await envelope(await report(tenantId, query));
      expect(bad.errors?.[0]?.code).toBe("VALIDATION_ERROR");
    }
  });
});
