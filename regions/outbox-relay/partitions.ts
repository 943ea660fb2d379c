import pg from "pg";
import type { Log } from "./relay";

// Several relays, and each tenant's events still in order: tenants fall into PARTITIONS fixed
// partitions (hashtext(tenant_id) & 63), and a relay claims rows only of partitions it holds a
// session advisory lock on, on a connection of its own. A partition has one holder at a time, so
// one relay's claims (which take turns) order each tenant's events. Every relay also holds the
// shared membership lock; counting its holders in pg_locks tells each relay its fair share, and
// it takes free partitions up to that share or gives back the ones above it, but only once its
// batches in flight are acknowledged, so the next holder never overtakes them. A relay that dies
// or loses its connection loses its locks with it; the others take its partitions over.

export const PARTITIONS = 64;
/** First key of every lock here ("nx" in ASCII): advisory locks share one space per database. */
const LOCK_CLASS = 0x6e78;
/** Second key of the membership lock: beyond the partitions' 0..63. */
const MEMBERSHIP = 1_000_000;

export interface PartitionLeasesOptions {
  databaseUrl: string;
  applicationName: string;
  log: Log;
  /** Resolves when no batch is in flight; partitions are given back only then. */
  drained(): Promise<void>;
  /** Pauses new claims while partitions change hands (resumed after). */
  holdClaims(hold: boolean): void;
}

export class PartitionLeases {
  #held = new Set<number>();
  #client: pg.Client | undefined;
  readonly #options: PartitionLeasesOptions;

  constructor(options: PartitionLeasesOptions) {
    this.#options = options;
  }

  /** True while the lease connection is up (Postgres reachable, membership held). */
  connected(): boolean {
    return this.#client !== undefined;
  }

  /** The partitions this relay may claim from now (a snapshot; empty while it holds none). */
  held(): number[] {
    return [...this.#held].sort((a, b) => a - b);
  }

  /**
   * Joins (a fresh lease connection when there is none), then evens the shares out. Called
   * every few seconds; a failure drops every lease (the connection's locks are gone or doubtful)
   * and the next call starts over.
   */
  async rebalance(): Promise<void> {
    try {
      const client = await this.#connected();
      // pg_locks lists every database of the server; advisory locks are per database, and so are
      // the relays sharing an outbox (another region's database on the same server is not one).
      const { rows } = await client.query<{ members: string }>(
        `select count(*) as members from pg_locks
         where locktype = 'advisory' and classid = $1 and objid = $2 and objsubid = 2 and granted
           and database = (select oid from pg_database where datname = current_database())`,
        [LOCK_CLASS, MEMBERSHIP],
      );
      const members = Math.max(1, Number(rows[0]?.members ?? 1));
      const share = Math.ceil(PARTITIONS / members);
      if (this.#held.size > share) await this.#giveBack(client, this.#held.size - share);
      if (this.#held.size < share) await this.#take(client, share - this.#held.size);
    } catch (error) {
      this.#options.log({ level: "warn", msg: "partition leases lost", error: String(error) });
      this.#held.clear();
      const client = this.#client;
      this.#client = undefined;
      await client?.end().catch(() => {});
    }
  }

  /** Leaves: the locks go with the connection. Call once no batch is in flight. */
  async close(): Promise<void> {
    this.#held.clear();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  async #connected(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const client = new pg.Client({
      connectionString: this.#options.databaseUrl,
      application_name: `${this.#options.applicationName}-leases`,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    // A lost connection means lost locks: claim nothing until the next rebalance re-takes them.
    client.on("error", (error) => {
      this.#options.log({ level: "warn", msg: "lease connection lost", error: error.message });
      this.#held.clear();
      if (this.#client === client) this.#client = undefined;
    });
    await client.connect();
    await client.query("select pg_advisory_lock_shared($1, $2)", [LOCK_CLASS, MEMBERSHIP]);
    this.#client = client;
    return client;
  }

  async #take(client: pg.Client, count: number): Promise<void> {
    // Random order, so relays starting together do not all race for partition 0 first.
    const free = Array.from({ length: PARTITIONS }, (_, p) => p)
      .filter((p) => !this.#held.has(p))
      .sort(() => Math.random() - 0.5);
    let taken = 0;
    for (const partition of free) {
      if (taken === count) break;
      const { rows } = await client.query<{ ok: boolean }>("select pg_try_advisory_lock($1, $2) as ok", [
        LOCK_CLASS,
        partition,
      ]);
      if (rows[0]?.ok) {
        this.#held.add(partition);
        taken++;
      }
    }
  }

  async #giveBack(client: pg.Client, count: number): Promise<void> {
    const leaving = this.held().slice(-count);
    this.#options.holdClaims(true);
    try {
      // Claims already made must reach the stream before another relay may claim after them.
      for (const partition of leaving) this.#held.delete(partition);
      await this.#options.drained();
      for (const partition of leaving) {
        await client.query("select pg_advisory_unlock($1, $2)", [LOCK_CLASS, partition]);
      }
      this.#options.log({ level: "info", msg: "partitions given back", count, held: this.#held.size });
    } finally {
      this.#options.holdClaims(false);
    }
  }
}
