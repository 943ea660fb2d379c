import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { until } from "../support/until";
import {
  checkout,
  connect,
  deliver,
  deliveriesFor,
  eventsOf,
  initiated,
  ownerOfNewTenant,
} from "./finance-webhook-helpers";
import { asTenant } from "./oauth-helpers";

// Intake under duplicates, printed (never asserted as a timing): distinct paid events, each
// delivered ten times at once, against the Worker in workerd. The effects must equal the distinct
// events whatever the speed. Figures from this machine go to the report, not a threshold.

const DISTINCT = 20;
const COPIES = 10;

describe("webhook intake with duplicates (printed)", () => {
  it(`${DISTINCT} distinct events × ${COPIES} deliveries: effects equal distinct events`, async () => {
    const { token, tenantId } = await ownerOfNewTenant();
    const connection = await connect(token, "paystack");
    const payments = [];
    for (let i = 0; i < DISTINCT; i++) {
      const payment = await initiated(token, { amount: `${100 + i}.00` });
      await checkout(payment.checkout_url, "pay");
      payments.push(payment);
    }
    const deliveries = await Promise.all(
      payments.map(async (p) => (await deliveriesFor(p.provider_reference, "charge.success"))[0]),
    );
    const started = performance.now();
    const answers = await Promise.all(
      deliveries.flatMap((d) =>
        Array.from({ length: COPIES }, () =>
          deliver(connection.webhookPath, d?.body ?? "", d?.headers ?? {}),
        ),
      ),
    );
    const answered = performance.now() - started;
    expect(answers.every((r) => r.status === 200)).toBe(true);
    await until(
      "every event applied",
      20_000,
      async () => {
        const [rows = []] = await asTenant(
          tenantId,
          sql`select count(*)::int as n from provider_events where state = 'applied'`,
        );
        return (rows[0] as { n: number }).n === DISTINCT ? true : undefined;
      },
      50,
    );
    const applied = performance.now() - started;
    const succeeded = await eventsOf(token, "payment.succeeded");
    expect(succeeded).toHaveLength(DISTINCT);
    console.log(
      JSON.stringify({
        measure: "webhook intake with duplicates (worker test, workerd, one process)",
        deliveries: DISTINCT * COPIES,
        distinct: DISTINCT,
        effects: succeeded.length,
        answered_ms: Math.round(answered),
        deliveries_per_s: Math.round((DISTINCT * COPIES * 1000) / answered),
        all_applied_ms: Math.round(applied),
        distinct_applied_per_s: Math.round((DISTINCT * 1000) / applied),
      }),
    );
  }, 60_000);
});
