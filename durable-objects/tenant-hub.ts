import { DurableObject } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { type Database, regionDatabase } from "../db/client";
import { tenantRows, textArray, utcIso } from "../db/rows";
import type { RegionId } from "../regions/registry";
import { assertNotRevoked } from "../workers/api/auth/revocation-list";
import { loadConfig } from "../workers/api/env";
import { logError } from "../workers/api/lib/log-error";
import { randomToken, sha256Hex } from "../workers/api/oauth/encoding";
import { type ChatFrame, CLOSE } from "../workers/api/realtime/protocol";
import type { PlatformEvent } from "../workers/api/schemas/event";
import type { RealtimeShard } from "./realtime-shard";
import { realtimeShard } from "./tenant-hub-client";

/** Who a socket is: fixed when its ticket is redeemed. Ids only (Lagos objects hold no personal data). */
export interface ConnectionGrant {
  connectionId: string;
  tenantId: string;
  region: RegionId;
  userId: string;
  /** The effective permissions at ticket time (realtime.write decides whether it may post). */
  permissions: string[];
  jti: string;
  sessionId: string | null;
  shard: number;
}

export type TicketGrant = Omit<ConnectionGrant, "connectionId" | "shard">;

/** The header a shard gets a redeemed grant in (set by the Worker, which drops any client's own). */
export const GRANT_HEADER = "Nexus-Realtime-Grant";
/** Tickets live this long (API.md: single use, 30 s). */
export const TICKET_TTL_MS = 30_000;

/**
 * One per tenant: the realtime coordinator. It redeems tickets, places each socket in a
 * RealtimeShard (the objects that hold the WebSockets, up to REALTIME_SHARD_CAPACITY each, so a
 * tenant's connections are not bounded by one object), knows who is in which room on which
 * shard, orders each room's messages (`seq`), writes them to the home region's Postgres before
 * anyone sees them, and fans messages, presence, typing and domain events out to the shards that
 * need them. It holds no socket itself, so fan-out to N sockets costs it one call per shard.
 *
 * Its storage (SQLite) holds ticket hashes, ids, room names and counters: no message text and no
 * personal data, which stays in Postgres.
 */
export class TenantHub extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** Per room: the broadcast of the last message, so the next one is sent after it. */
  readonly #tail = new Map<string, Promise<unknown>>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => this.#createSchema());
  }

  #createSchema(): void {
    this.sql.exec(`
        create table if not exists tickets (hash text primary key, grant text not null, expires_at integer not null);
        create table if not exists rooms (room text primary key, last_seq integer not null);
        create table if not exists connections (conn_id text primary key, user_id text not null, jti text not null,
                                                sid text, shard integer not null, tenant_id text not null, region text not null);
        create table if not exists members (conn_id text not null, room text not null, user_id text not null,
                                            shard integer not null, primary key (conn_id, room));
        create index if not exists members_room on members (room);
      `);
  }

  /** A privacy erasure of a member: their sockets close and every row naming them goes. */
  async forgetUser(userId: string): Promise<number> {
    const closed = await this.closeUser(userId, "Erased on request");
    this.sql.exec("delete from members where user_id = ?", userId);
    this.sql.exec("delete from connections where user_id = ?", userId);
    return closed;
  }

  /** A privacy erasure of the tenant: every socket closes and the object's storage is emptied. */
  async forgetTenant(): Promise<number> {
    const users = this.sql.exec<{ user_id: string }>("select distinct user_id from connections").toArray();
    let closed = 0;
    for (const u of users) closed += await this.closeUser(u.user_id, "Tenant erased");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#createSchema();
    return closed;
  }

  /** A single-use ticket for `grant`, valid TICKET_TTL_MS. Only its hash is stored. */
  async issueTicket(grant: TicketGrant): Promise<{ secret: string; expiresAt: number }> {
    const now = Date.now();
    this.sql.exec("delete from tickets where expires_at < ?", now);
    const secret = randomToken(32);
    const expiresAt = now + TICKET_TTL_MS;
    this.sql.exec(
      "insert into tickets (hash, grant, expires_at) values (?, ?, ?)",
      await sha256Hex(secret),
      JSON.stringify(grant),
      expiresAt,
    );
    return { secret, expiresAt };
  }

  /**
   * Redeems a ticket (its secret) — once: the row is deleted as it is read — and places the
   * connection in a shard, which the Worker then hands the upgrade to directly (so the socket's
   * frames do not pass through this object). Null when the ticket is unknown, used or expired, or
   * the member's access ended since it was issued.
   */
  async redeem(secret: string): Promise<ConnectionGrant | null> {
    const row = this.sql
      .exec<{ grant: string; expires_at: number }>(
        "delete from tickets where hash = ? returning grant, expires_at",
        await sha256Hex(secret),
      )
      .toArray()[0];
    if (!row || row.expires_at < Date.now()) return null;
    const ticket = JSON.parse(row.grant) as TicketGrant;
    // Access may have ended in the 30 s since the ticket was issued.
    if (!(await this.#stillAllowed(ticket))) return null;
    const grant: ConnectionGrant = { ...ticket, connectionId: crypto.randomUUID(), shard: this.#pickShard() };
    this.sql.exec(
      "insert into connections (conn_id, user_id, jti, sid, shard, tenant_id, region) values (?, ?, ?, ?, ?, ?, ?)",
      grant.connectionId,
      grant.userId,
      grant.jti,
      grant.sessionId,
      grant.shard,
      grant.tenantId,
      grant.region,
    );
    await this.#scheduleRecheck();
    return grant;
  }

  /** The shard did not take a redeemed connection: forget it. */
  connectionFailed(connectionId: string): void {
    this.sql.exec("delete from connections where conn_id = ?", connectionId);
  }

  /** A socket joined a room: answers who is online there and the room's last seq. */
  async join(grant: ConnectionGrant, room: string): Promise<{ online: string[]; lastSeq: number }> {
    const wasOnline = this.#isOnline(room, grant.userId);
    this.sql.exec(
      "insert or ignore into members (conn_id, room, user_id, shard) values (?, ?, ?, ?)",
      grant.connectionId,
      room,
      grant.userId,
      grant.shard,
    );
    if (!wasOnline)
      await this.#fanOut(grant, room, { type: "presence", room, joins: [grant.userId], leaves: [] });
    return { online: this.#online(room), lastSeq: this.#lastSeq(room) };
  }

  async leave(grant: ConnectionGrant, room: string): Promise<void> {
    this.sql.exec("delete from members where conn_id = ? and room = ?", grant.connectionId, room);
    if (!this.#isOnline(room, grant.userId)) {
      await this.#fanOut(grant, room, { type: "presence", room, joins: [], leaves: [grant.userId] });
    }
  }

  /** The socket is gone: it leaves every room it was in. */
  async disconnected(
    grant: Pick<ConnectionGrant, "connectionId" | "userId" | "tenantId" | "region">,
  ): Promise<void> {
    const rooms = this.sql
      .exec<{ room: string }>("delete from members where conn_id = ? returning room", grant.connectionId)
      .toArray();
    this.sql.exec("delete from connections where conn_id = ?", grant.connectionId);
    for (const { room } of rooms) {
      if (!this.#isOnline(room, grant.userId)) {
        await this.#fanOut(grant, room, { type: "presence", room, joins: [], leaves: [grant.userId] });
      }
    }
  }

  /**
   * A chat message: its seq is taken at once (synchronously, so concurrent posts get distinct,
   * increasing numbers), the row is written to Postgres, then it is broadcast — after the room's
   * previous message, so every socket sees a room's messages in seq order. A message whose write
   * failed is never broadcast (its seq stays unused).
   */
  async post(grant: ConnectionGrant, room: string, text: string): Promise<ChatFrame> {
    const seq = this.sql
      .exec<{ last_seq: number }>(
        "insert into rooms (room, last_seq) values (?, 1) on conflict (room) do update set last_seq = last_seq + 1 returning last_seq",
        room,
      )
      .one().last_seq;
    const written = this.#persist(grant, room, seq, text);
    const previous = this.#tail.get(room) ?? Promise.resolve();
    const broadcast = (async () => {
      const frame = await written;
      await previous.catch(() => {});
      await this.#fanOut(grant, room, frame);
      return frame;
    })();
    const tail = broadcast.catch(() => {});
    this.#tail.set(room, tail);
    void tail.then(() => {
      if (this.#tail.get(room) === tail) this.#tail.delete(room);
    });
    return broadcast;
  }

  async typing(grant: ConnectionGrant, room: string): Promise<void> {
    await this.#fanOut(grant, room, { type: "typing", room, user_id: grant.userId });
  }

  /** Domain events of this tenant (from the outbox publisher): to every shard holding sockets. */
  async publishEvents(tenantId: string, region: RegionId, events: readonly PlatformEvent[]): Promise<void> {
    const shards = this.sql.exec<{ shard: number }>("select distinct shard from connections").toArray();
    await Promise.all(
      shards.map(({ shard }) => this.#shard({ tenantId, region }, shard).deliverEvents(events)),
    );
  }

  /**
   * A member was removed, suspended or given another role: their sockets close now (4001), and
   * the client's next ticket carries what they may do now. The recheck would close them within
   * REALTIME_RECHECK_SECONDS anyway; this makes it immediate in the member's home region.
   */
  async closeUser(userId: string, reason: string): Promise<number> {
    const rows = this.sql
      .exec<{ conn_id: string; shard: number; tenant_id: string; region: RegionId }>(
        "select conn_id, shard, tenant_id, region from connections where user_id = ?",
        userId,
      )
      .toArray();
    const byShard = new Map<number, typeof rows>();
    for (const r of rows) byShard.set(r.shard, [...(byShard.get(r.shard) ?? []), r]);
    await Promise.all(
      [...byShard].map(([shard, list]) => {
        const first = list[0] as (typeof rows)[number];
        return this.#shard({ tenantId: first.tenant_id, region: first.region }, shard).close(
          list.map((r) => r.conn_id),
          CLOSE.revoked,
          reason,
        );
      }),
    );
    return rows.length;
  }

  /** How many sockets each shard holds (tests, operators). */
  stats(): { shards: Record<string, number>; connections: number } {
    const rows = this.sql
      .exec<{ shard: number; n: number }>("select shard, count(*) as n from connections group by shard")
      .toArray();
    return {
      shards: Object.fromEntries(rows.map((r) => [String(r.shard), r.n])),
      connections: rows.reduce((sum, r) => sum + r.n, 0),
    };
  }

  /**
   * While sockets are open, every REALTIME_RECHECK_SECONDS: a member removed or suspended, or a
   * token whose jti or refresh family was revoked, loses its sockets (close 4001). Also drops
   * connections a shard no longer holds (a shard that crashed without saying so).
   */
  override async alarm(): Promise<void> {
    const connections = this.sql
      .exec<{
        conn_id: string;
        user_id: string;
        jti: string;
        sid: string | null;
        shard: number;
        tenant_id: string;
        region: RegionId;
      }>("select conn_id, user_id, jti, sid, shard, tenant_id, region from connections")
      .toArray();
    if (connections.length === 0) return;
    try {
      const first = connections[0] as (typeof connections)[number];
      const config = loadConfig(this.env);
      const db = regionDatabase(config);
      const active = await this.#activeMembers(db, first.tenant_id, [
        ...new Set(connections.map((c) => c.user_id)),
      ]);
      const revoked: typeof connections = [];
      for (const c of connections) {
        if (!active.has(c.user_id)) {
          revoked.push(c);
          continue;
        }
        try {
          // With `defer`, a copy older than REVOCATION_REFRESH_MS is reloaded for the next round.
          await assertNotRevoked(
            config,
            { jti: c.jti, sessionId: c.sid },
            () => db,
            (p) => this.ctx.waitUntil(p),
          );
        } catch {
          revoked.push(c);
        }
      }
      const byShard = new Map<number, string[]>();
      for (const c of revoked) byShard.set(c.shard, [...(byShard.get(c.shard) ?? []), c.conn_id]);
      await Promise.all(
        [...byShard].map(([shard, ids]) =>
          this.#shard({ tenantId: first.tenant_id, region: first.region }, shard).close(
            ids,
            CLOSE.revoked,
            "Access revoked",
          ),
        ),
      );
      await this.#pruneGone(first.tenant_id, first.region);
    } catch (error) {
      logError("realtime recheck failed", undefined, error);
    }
    await this.#scheduleRecheck();
  }

  async #stillAllowed(ticket: TicketGrant): Promise<boolean> {
    const config = loadConfig(this.env);
    const db = regionDatabase(config);
    const active = await this.#activeMembers(db, ticket.tenantId, [ticket.userId]);
    if (!active.has(ticket.userId)) return false;
    try {
      await assertNotRevoked(
        config,
        { jti: ticket.jti, sessionId: ticket.sessionId },
        () => db,
        (p) => this.ctx.waitUntil(p),
      );
      return true;
    } catch {
      return false;
    }
  }

  async #activeMembers(db: Database, tenantId: string, users: string[]): Promise<Set<string>> {
    const [rows = []] = await tenantRows(db, tenantId, [
      sql`select user_id from memberships
          where tenant_id = ${tenantId} and user_id = any(${textArray(users)}::uuid[])
            and status = 'active' and not is_deleted`,
    ]);
    return new Set((rows as { user_id: string }[]).map((r) => r.user_id));
  }

  async #pruneGone(tenantId: string, region: RegionId): Promise<void> {
    const shards = this.sql.exec<{ shard: number }>("select distinct shard from connections").toArray();
    for (const { shard } of shards) {
      const live = new Set(await this.#shard({ tenantId, region }, shard).connectionIds());
      const held = this.sql
        .exec<{ conn_id: string; user_id: string }>(
          "select conn_id, user_id from connections where shard = ?",
          shard,
        )
        .toArray();
      for (const c of held) {
        if (live.has(c.conn_id)) continue;
        await this.disconnected({ connectionId: c.conn_id, userId: c.user_id, tenantId, region });
      }
    }
  }

  async #scheduleRecheck(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) !== null) return;
    await this.ctx.storage.setAlarm(Date.now() + loadConfig(this.env).realtime.recheckSeconds * 1000);
  }

  async #persist(grant: ConnectionGrant, room: string, seq: number, text: string): Promise<ChatFrame> {
    const config = loadConfig(this.env);
    const db = regionDatabase(config);
    const [rows = []] = await tenantRows(db, grant.tenantId, [
      sql`insert into chat_messages (tenant_id, room, seq, user_id, body)
          values (${grant.tenantId}, ${room}, ${seq}, ${grant.userId}, ${text})
          returning id, ${utcIso(sql`created_at`)} as sent_at`,
    ]);
    const row = rows[0] as { id: string; sent_at: string };
    return { type: "message", room, id: row.id, seq, user_id: grant.userId, text, sent_at: row.sent_at };
  }

  /** Sends one frame to every socket in `room`: serialised once, one call per shard with members there. */
  async #fanOut(
    where: Pick<ConnectionGrant, "tenantId" | "region">,
    room: string,
    frame: object,
  ): Promise<void> {
    const text = JSON.stringify(frame);
    const shards = this.sql
      .exec<{ shard: number }>("select distinct shard from members where room = ?", room)
      .toArray();
    await Promise.all(shards.map(({ shard }) => this.#shard(where, shard).deliver(room, text)));
  }

  #pickShard(): number {
    const capacity = loadConfig(this.env).realtime.shardCapacity;
    const counts = new Map(
      this.sql
        .exec<{ shard: number; n: number }>("select shard, count(*) as n from connections group by shard")
        .toArray()
        .map((r) => [r.shard, r.n]),
    );
    for (let shard = 0; ; shard++) if ((counts.get(shard) ?? 0) < capacity) return shard;
  }

  #shard(
    where: Pick<ConnectionGrant, "tenantId" | "region">,
    shard: number,
  ): DurableObjectStub<RealtimeShard> {
    const namespace = this.env.REALTIME_SHARD;
    if (!namespace) throw new Error("REALTIME_SHARD binding is missing");
    const config = loadConfig(this.env);
    return realtimeShard(
      namespace,
      { region: where.region, localRuntime: config.localRuntime },
      where.tenantId,
      shard,
    );
  }

  #online(room: string): string[] {
    return this.sql
      .exec<{ user_id: string }>("select distinct user_id from members where room = ? order by user_id", room)
      .toArray()
      .map((r) => r.user_id);
  }

  #isOnline(room: string, userId: string): boolean {
    return (
      this.sql.exec("select 1 from members where room = ? and user_id = ? limit 1", room, userId).toArray()
        .length > 0
    );
  }

  #lastSeq(room: string): number {
    return (
      this.sql.exec<{ last_seq: number }>("select last_seq from rooms where room = ?", room).toArray()[0]
        ?.last_seq ?? 0
    );
  }
}
