import { sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { tenantRows, utcIso } from "../../../db/rows";
import { decodeCursor, encodeCursor } from "../lib/cursor";
import type { Page } from "./contacts";
import type { ServiceContext } from "./context";

/** A message as the API and the socket show it (seq comes back as text: bigint). */
const COLUMNS = sql`id, room, seq, user_id, body as text, ${utcIso(sql`created_at`)} as sent_at`;

export interface ChatMessageRow {
  id: string;
  room: string;
  seq: number;
  user_id: string;
  text: string;
  sent_at: string;
}

/**
 * What a room said after `since`, oldest first, at most `limit` (what a resuming socket is
 * replayed, durable-objects/realtime-shard.ts).
 */
export async function chatMessagesAfter(
  db: Database,
  tenantId: string,
  room: string,
  since: number,
  limit: number,
): Promise<ChatMessageRow[]> {
  const [rows = []] = await tenantRows(db, tenantId, [
    sql`select ${COLUMNS} from chat_messages
        where tenant_id = ${tenantId} and room = ${room} and seq > ${since}
        order by seq limit ${limit}`,
  ]);
  return (rows as ChatMessageRow[]).map((r) => ({ ...r, seq: Number(r.seq) }));
}

/**
 * A room's messages, newest first (by seq, the room's order). The cursor names the last message
 * returned; the next page is what came before it.
 */
export async function listChatMessages(
  ctx: ServiceContext,
  room: string,
  query: { limit: number; cursor?: string | undefined; sinceSeq?: number | undefined },
): Promise<Page<ChatMessageRow>> {
  const tenantId = ctx.actor.tenantId;
  const before = query.cursor ? decodeCursor(query.cursor).id : undefined;
  const [rows = []] = await tenantRows(ctx.db, tenantId, [
    sql`select ${COLUMNS} from chat_messages
        where tenant_id = ${tenantId} and room = ${room}
          ${query.sinceSeq === undefined ? sql`` : sql`and seq > ${query.sinceSeq}`}
          ${before ? sql`and seq < (select seq from chat_messages where tenant_id = ${tenantId} and id = ${before}::uuid)` : sql``}
        order by seq desc
        limit ${query.limit + 1}`,
  ]);
  const items = (rows as ChatMessageRow[]).slice(0, query.limit).map((r) => ({ ...r, seq: Number(r.seq) }));
  const hasMore = rows.length > query.limit;
  const last = items.at(-1);
  return { items, hasMore, cursor: hasMore && last ? encodeCursor({ t: last.sent_at, id: last.id }) : null };
}
