import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JetStreamManager } from "@nats-io/jetstream";
import { nkeys } from "@nats-io/transport-node";
import { streamName } from "./streams";
import { tenantSubjects } from "./subjects";

/**
 * What a tenant's own service gets to read its events from the region's JetStream, and nothing
 * more: one NATS user per tenant and region (an nkey: the server keeps only the public key),
 * allowed to subscribe to `evt.<region>.<tenant>.>` (live) and to pull from its one durable
 * consumer on the region's stream, filtered to those subjects (replay, acknowledgements). It
 * cannot publish events, create or change consumers, read the stream directly, or see another
 * tenant's subjects or consumer. Replies come to an inbox prefix of its own, because a shared
 * `_INBOX.>` would let one tenant subscribe to the replies (messages) meant for another.
 */

const token = (tenantId: string) => tenantId.toLowerCase().replace(/[^a-z0-9_-]/g, "_");

/** The tenant's durable consumer on the region's stream (one per tenant, made by the operator). */
export const tenantConsumerName = (tenantId: string) => `tenant-${token(tenantId)}`;

/** The tenant's inbox prefix: its client must set `inboxPrefix` to this. */
export const tenantInboxPrefix = (tenantId: string) => `_INBOX_${token(tenantId)}`;

export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

export function tenantPermissions(region: string, tenantId: string): NatsPermissions {
  const stream = streamName(region);
  const consumer = tenantConsumerName(tenantId);
  return {
    publish: {
      allow: [
        `$JS.API.CONSUMER.INFO.${stream}.${consumer}`,
        `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`,
        // Acknowledgements go to the reply subject of each delivered message.
        `$JS.ACK.${stream}.${consumer}.>`,
      ],
    },
    subscribe: { allow: [tenantSubjects(region, tenantId), `${tenantInboxPrefix(tenantId)}.>`] },
  };
}

/** The durable consumer a tenant pulls from: every event of the tenant, explicit acknowledgements. */
export function tenantConsumerConfig(region: string, tenantId: string): Partial<ConsumerConfig> {
  return {
    durable_name: tenantConsumerName(tenantId),
    description: `Events of tenant ${tenantId} in ${region}`,
    filter_subject: tenantSubjects(region, tenantId),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30_000_000_000,
    max_ack_pending: 10_000,
  };
}

/** Creates the tenant's consumer, or leaves the existing one (and its position) as it is. */
export async function ensureTenantConsumer(
  jsm: JetStreamManager,
  region: string,
  tenantId: string,
): Promise<void> {
  const stream = streamName(region);
  try {
    await jsm.consumers.info(stream, tenantConsumerName(tenantId));
  } catch {
    await jsm.consumers.add(stream, tenantConsumerConfig(region, tenantId));
  }
}

export interface TenantCredentials {
  region: string;
  tenant_id: string;
  /** The secret half: give it to the tenant once, over a channel fit for secrets. */
  nkey_seed: string;
  /** The public half: what the server's configuration lists. */
  nkey_public: string;
  stream: string;
  consumer: string;
  subjects: string;
  inbox_prefix: string;
}

/** A fresh key pair for the tenant's user, and everything its client needs to be configured. */
export function newTenantCredentials(region: string, tenantId: string): TenantCredentials {
  const pair = nkeys.createUser();
  return {
    region,
    tenant_id: tenantId,
    nkey_seed: new TextDecoder().decode(pair.getSeed()),
    nkey_public: pair.getPublicKey(),
    stream: streamName(region),
    consumer: tenantConsumerName(tenantId),
    subjects: tenantSubjects(region, tenantId),
    inbox_prefix: tenantInboxPrefix(tenantId),
  };
}

/** The user's entry for the `users` list of the region's NATS account (nats-server config syntax is JSON-compatible). */
export function tenantUserEntry(region: string, tenantId: string, nkeyPublic: string): string {
  return JSON.stringify({ nkey: nkeyPublic, permissions: tenantPermissions(region, tenantId) });
}
