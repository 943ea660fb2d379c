import { readFileSync } from "node:fs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { rowsIn } from "../support/e2e-stack";

const stack = inject("e2e");
const REGIONS = [
  { region: "eu", country: "DE", currency: "EUR" },
  { region: "lagos", country: "NG", currency: "NGN" },
] as const;
// One tenant per region that only this file knows: no request ever writes for it, so a request's
// own after-commit publish (which takes its tenant's every unpublished row) cannot be what
// publishes its row. Only the scheduled handler's sweep can.
const tenants = Object.fromEntries(REGIONS.map(({ region }) => [region, crypto.randomUUID()])) as Record<
  "eu" | "lagos",
  string
>;

afterAll(async () => {
  for (const { region } of REGIONS) {
    await rowsIn(region, "delete from outbox_events where tenant_id = $1", [tenants[region]]);
    await rowsIn(region, "delete from tenants where id = $1", [tenants[region]]);
  }
});

/**
 * The shared e2e stack is `npm run dev` as the README runs it, so with the default cron: every
 * region's scheduled handler once a minute. Waiting up to a minute here is the price of proving
 * that default rather than a shortened interval.
 */
describe("npm run dev fires the Workers' scheduled handler (production's cron)", () => {
  it("says so at start", () => {
    expect(stack.output).toContain(
      "  Cron: each region's scheduled handler every 1 min (outbox publishing, webhook redelivery, left-behind mail, search embedding, privacy requests, retention, payment janitor, field sealing); --cron-every 30s to change, --no-cron to turn off",
    );
  });

  it("publishes, in each region, an outbox row a request left behind, within a minute", {
    timeout: 150_000,
  }, async () => {
    const events = {} as Record<"eu" | "lagos", string>;
    for (const { region, country, currency } of REGIONS) {
      const tenantId = tenants[region];
      await rowsIn(
        region,
        `insert into tenants (id, name, slug, region, country, default_currency)
         values ($1, 'Cron probe', $2, $3, $4, $5)`,
        [tenantId, `cron-probe-${tenantId}`, region, country, currency],
      );
      // As a request that died right after its COMMIT leaves it: unpublished, two minutes old.
      const id = crypto.randomUUID();
      const payload = {
        event_id: id,
        event_type: "webhook_endpoint.created",
        tenant_id: tenantId,
        timestamp: new Date(Date.now() - 120_000).toISOString(),
        source: "e2e",
        version: "1.0",
        data: { id: crypto.randomUUID() },
        metadata: { user_id: null, correlation_id: `cron-probe-${id}` },
      };
      await rowsIn(
        region,
        `insert into outbox_events (id, tenant_id, event_type, payload, created_at)
         values ($1, $2, $3, $4, now() - interval '2 minutes')`,
        [id, tenantId, payload.event_type, JSON.stringify(payload)],
      );
      events[region] = id;
    }

    // One interval and the sweep's own time; nothing else in the stack publishes these rows.
    const deadline = Date.now() + 100_000;
    const published = { eu: false, lagos: false };
    while (Date.now() < deadline && !(published.eu && published.lagos)) {
      for (const { region } of REGIONS) {
        const rows = await rowsIn(region, "select published_at from outbox_events where id = $1", [
          events[region],
        ]);
        published[region] = rows[0]?.published_at != null;
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    expect(published).toEqual({ eu: true, lagos: true });
    // No tick failed meanwhile (the ticker's own lines; the stack's output as printed so far).
    const output = readFileSync(stack.outputFile, "utf8").split("\n");
    expect(output.filter((line) => line.startsWith("  cron: "))).toEqual([]);
  });
});
