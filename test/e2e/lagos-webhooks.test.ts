import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TENANTS } from "../../db/seed/demo";
import { e2eStack, rowsIn, stackToken } from "../support/e2e-stack";
import { until } from "../support/until";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "../support/webhook-receiver";
import { verifyStandard } from "../support/webhook-verify";

const stack = e2eStack();
const HOOK = `lagos-${crypto.randomUUID()}`;
let receiver: WebhookReceiver;
const received: ReceivedWebhook[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver((name, got) => {
    if (name === HOOK) received.push(got);
  });
});
afterAll(() => receiver.close());

/** Every file under `dir` whose path contains `part`, recursively. */
function filesUnder(dir: string, part: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path, part);
    return path.includes(part) ? [path] : [];
  });
}

describe("webhooks of a Lagos tenant (npm run dev)", () => {
  it("are queued, signed and sent in Lagos, with only ids in the dispatcher's storage", async () => {
    const lagos = DEMO_TENANTS.lagos;
    const headers = {
      Authorization: `Bearer ${await stackToken("lagos")}`,
      "Content-Type": "application/json",
    };
    const registered = await fetch(`${stack.lagos}/api/v1/webhooks/endpoints`, {
      method: "POST",
      headers,
      body: JSON.stringify({ url: `${receiver.url}/hooks/${HOOK}`, event_types: ["contact.created"] }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const endpoint = ((await registered.json()) as { data: { id: string; secret: string } }).data;

    // The receiver refuses every attempt, so the delivery stays queued in the dispatcher while its
    // storage is read below (it retries for about half a minute, then fails).
    await fetch(`${receiver.url}/control/${HOOK}?fail=6`, { method: "POST" });
    const email = `adaeze-${Date.now()}@lagos.example`;
    const created = await fetch(`${stack.lagos}/api/v1/crm/contacts`, {
      method: "POST",
      headers,
      // Demo Ventures runs the retail preset, whose contacts need a customer type.
      body: JSON.stringify({
        first_name: "Adaeze",
        last_name: "Okafor",
        email,
        custom_fields: { customer_type: "wholesale" },
      }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const contactId = ((await created.json()) as { data: { id: string } }).data.id;

    const deadline = Date.now() + 20_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [got] = received;
    if (!got) throw new Error("no webhook from Lagos in 20 s");
    const event = verifyStandard(endpoint.secret, got) as {
      event_id: string;
      tenant_id: string;
      region: string;
      data: { id: string };
    };
    expect(event).toMatchObject({ tenant_id: lagos.tenantId, data: { id: contactId } });
    expect(got.status).toBe(500);

    // The delivery and its attempts are rows of the Lagos database only. The receiver has the
    // attempt before the Worker records its outcome ('delivering' until then): wait for the
    // failed attempt to put it back in the queue.
    const byEvent = "select id, state from webhook_deliveries where event_id = $1";
    const delivery = await until(
      "the failed attempt recorded",
      10_000,
      async () => {
        const [row] = (await rowsIn("lagos", byEvent, [event.event_id])) as { id: string; state: string }[];
        return row?.state === "pending" ? row : undefined;
      },
      50,
    );
    expect(delivery).toMatchObject({ state: "pending" });
    expect(await rowsIn("eu", byEvent, [event.event_id])).toEqual([]);

    // The Lagos dispatcher's own SQLite files (wrangler dev's --persist-to), byte for byte: the
    // queued delivery's id is there; the body, URL, secret and the contact's email are not.
    const files = filesUnder(join(stack.dataDir, "wrangler-lagos"), "WebhookDispatcher").filter((f) =>
      /\.sqlite(-wal)?$/.test(f),
    );
    expect(files.length).toBeGreaterThan(0);
    const stored = files.map((f) => readFileSync(f).toString("latin1")).join("\n");
    expect(stored).toContain(String(delivery?.id));
    for (const secretOrPersonal of [email, "Adaeze", HOOK, receiver.url, "whsec_", endpoint.secret]) {
      expect(stored).not.toContain(secretOrPersonal);
    }
  });
});
