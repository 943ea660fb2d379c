import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { StackInfo } from "../../regions/local/stack-info";
import type { RegionId } from "../../regions/registry";
import { cliSignIn } from "../../scripts/lib/cli-sign-in";
import {
  Api,
  activate,
  agentChat,
  chat,
  payInvoice,
  startReceiver,
  until,
} from "../../scripts/lib/residency/feature-client";
import {
  eventually,
  type GlobalStore,
  type RegionStore,
  relayRunning,
  scanRegionStores,
} from "../../scripts/lib/residency/region-stores";
import { type ScanResult, scanJetStream } from "../../scripts/lib/residency/store-scans";

/**
 * An erasure checked the way the residency canary checks residency (scripts/lib/residency): a
 * new tenant of `region` writes through every feature about two people, each carried by a
 * marker of their own (in their name and e-mail, so that text quoting them quotes the marker);
 * the home region's stores are scanned for the first person's marker (they must hold it, so the
 * scan is not blind), the first person is erased through the API as the Owner, and every store
 * of the region and the global ones are scanned again, for both markers.
 */

export type Store = RegionStore | GlobalStore;
export type Scans = Record<Store, ScanResult>;

export interface ErasureScan {
  tenantId: string;
  marker: string;
  otherMarker: string;
  request: { status: string; stores: { store: string; state: string; action: string | null }[] };
  before: Scans;
  after: Scans;
  otherAfter: Scans;
  /** The region's JetStream scanned for the request's id: its privacy.subject_erased tombstone. */
  tombstone: ScanResult;
}

const Person = z.object({ id: z.uuid() });
const StreamPurge = z.object({
  stream_purge: z.object({ purged_at: z.string().nullable() }).nullable(),
});
const RequestView = z.object({
  status: z.string(),
  stores: z.array(z.object({ store: z.string(), state: z.string(), action: z.string().nullable() })),
});

/** One person written through every feature; text elsewhere quotes their full name or e-mail. */
async function writePerson(
  api: Api,
  stack: StackInfo,
  region: RegionId,
  marker: string,
  receiverUrl: string,
) {
  const name = `Ada ${marker}`;
  const email = `${marker}@example.com`;
  const contact = await api.data("POST", "/api/v1/crm/contacts", Person, {
    first_name: "Ada",
    last_name: marker,
    email,
    phone: `+49 30 ${1_000_000 + (randomBytes(3).readUIntBE(0, 3) % 8_000_000)}`,
    custom_fields: { date_of_birth: "1990-04-01", insurance_provider: `Insurer of ${name}` },
  });
  await api.call("POST", "/api/v1/crm/leads", {
    first_name: "Ada",
    last_name: marker,
    email,
    company: `Practice of ${name}`,
  });
  await payInvoice(
    api,
    {
      region,
      paymentProvidersUrl: stack.paymentProvidersUrl ?? "",
      label: `Payments ${randomBytes(4).toString("hex")}`,
      invoice: {
        customer: { contact_id: contact.id },
        notes: `Thanks, ${name}`,
        lines: [
          { description: `Consultation for ${name}`, quantity: 1, unit_price: "100.00", tax_rate: "0" },
        ],
      },
    },
    receiverUrl,
  );
  await chat(api, "front-desk", `${name} (${email}) called about the results`);
  const resource = await api.data("POST", "/api/v1/resources", Person, {
    name: "Call note",
    content: `Called ${name} (${email}) about the results.`,
  });
  await agentChat(api, `Draft a reminder for ${name} at ${email}`);
  return { contactId: contact.id, resourceId: resource.id };
}

export async function eraseAndScan(
  target: { stack: StackInfo; dataDir: string; natsUrl: string },
  region: RegionId,
): Promise<ErasureScan> {
  const { stack } = target;
  const since = new Date(Date.now() - 1000);
  const tag = randomBytes(8).toString("hex");
  const marker = `erased${tag}`;
  const otherMarker = `kept${tag}`;
  const password = `privacy ${randomBytes(12).toString("base64url")}`;
  const email = `owner-${tag}@example.com`;
  const tenantId = await activate({
    region,
    entry: stack.regionUrls[region],
    businessName: `Privacy check ${tag}`,
    ownerName: `Owner ${tag}`,
    email,
    password,
  });
  const home = stack.regionUrls[region];
  const api = new Api(home, (await cliSignIn({ issuer: home, email, password })).access_token);
  const receiver = await startReceiver();
  let person: Awaited<ReturnType<typeof writePerson>>;
  try {
    await api.call("POST", "/api/v1/webhooks/endpoints", {
      url: `${receiver.url}/hooks`,
      description: "The clinic's own system",
      event_types: [],
    });
    person = await writePerson(api, stack, region, marker, receiver.url);
    await writePerson(api, stack, region, otherMarker, receiver.url);
    // Every event reached the tenant's endpoint (the dispatcher ran) and the resources settled.
    await until("the webhook deliveries", 30_000, async () =>
      receiver.bodies.some((b) => b.includes(otherMarker)) ? true : undefined,
    );
    await until("the resource's embedding", 30_000, async () => {
      const got = await api.data(
        "GET",
        `/api/v1/resources/${person.resourceId}`,
        z.object({ embedding: z.object({ status: z.string() }).nullable().optional() }),
      );
      return got.embedding?.status === "pending" ? undefined : true;
    });
  } finally {
    await receiver.close();
  }
  // The relay streams asynchronously: wait for the marker to be in JetStream before scanning.
  if (relayRunning(stack))
    await eventually(() => scanRegionStores(target, region, since, marker).then((s) => s.jetStream), 20_000);
  const before = await scanRegionStores(target, region, since, marker);

  const created = await api.data("POST", "/api/v1/privacy/requests", z.object({ id: z.uuid() }), {
    kind: "erasure",
    subject: { type: "contact", id: person.contactId },
  });
  const request = await until(
    "the erasure to finish",
    120_000,
    async () => {
      const view = await api.data("GET", `/api/v1/privacy/requests/${created.id}`, RequestView);
      return view.status === "running" ? undefined : view;
    },
    1000,
  );
  // With the relays on, the region's relay takes the erased events out of the stream after the
  // job (privacy-rewrites.ts): the request's stream_purge says when.
  if (relayRunning(stack))
    await until(
      "the relay's rewrite of the stream",
      60_000,
      async () => {
        const view = await api.data("GET", `/api/v1/privacy/requests/${created.id}`, StreamPurge);
        return view.stream_purge?.purged_at ? view : undefined;
      },
      1000,
    );
  const after = await scanRegionStores(target, region, since, marker);
  const otherAfter = await scanRegionStores(target, region, since, otherMarker);
  const tombstone = relayRunning(stack)
    ? await eventually(() => scanJetStream(target.natsUrl, region, since, created.id), 20_000)
    : { store: "JetStream", hits: [], scanned: "absent (no relay)" };
  return { tenantId, marker, otherMarker, request, before, after, otherAfter, tombstone };
}
