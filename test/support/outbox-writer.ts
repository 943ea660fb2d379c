import pg from "pg";

/**
 * Writes committed outbox rows the way the services do (one platform event each, db/outbox.ts's
 * envelope), straight into a region's database as the superuser: what the relay tests and the
 * events bench feed the relay with. Ids are made here so the caller knows what must arrive.
 */
export class OutboxWriter {
  readonly #client: pg.Client;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async connect(url: string): Promise<OutboxWriter> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new OutboxWriter(client);
  }

  /** One transaction of `count` events of one tenant; answers their ids once committed. */
  async commit(tenantId: string, count: number, eventType = "contact.created"): Promise<string[]> {
    const ids = Array.from({ length: count }, () => crypto.randomUUID());
    await this.#client.query(
      `insert into outbox_events (id, tenant_id, event_type, payload)
       select id, $2::uuid, $3::text, jsonb_build_object(
         'event_id', id, 'event_type', $3::text, 'tenant_id', $2::uuid,
         'timestamp', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'source', 'crm-service', 'version', '1.0',
         'data', jsonb_build_object('id', id, 'first_name', 'Ada', 'last_name', 'Lovelace', 'tags', '[]'::jsonb),
         'metadata', jsonb_build_object('user_id', null, 'correlation_id', 'relay-test'))
       from unnest($1::uuid[]) as id`,
      [ids, tenantId, eventType],
    );
    return ids;
  }

  async close(): Promise<void> {
    await this.#client.end();
  }
}
