import { type SQL, sql } from "drizzle-orm";
import type { Page } from "../services/contacts";
import { decodeCursor, encodeCursor } from "./cursor";

/**
 * The keyset condition for rows after `cursor` in `created_at desc, id desc` order (empty on the
 * first page). Callers select one row more than `limit`, so `pageOf` can tell whether more follow.
 */
export function afterCursor(cursor: string | undefined, createdAt: SQL, id: SQL): SQL {
  if (!cursor) return sql``;
  const after = decodeCursor(cursor);
  return sql`and (${createdAt}, ${id}) < (${after.t}::timestamptz, ${after.id}::uuid)`;
}

export function pageOf<T extends { id: string; created_at: string }>(rows: T[], limit: number): Page<T> {
  const hasMore = rows.length > limit;
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    hasMore,
    cursor: hasMore && last ? encodeCursor({ t: last.created_at, id: last.id }) : null,
  };
}
