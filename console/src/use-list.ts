import { useCallback, useEffect, useState } from "preact/hooks";
import { messageOf } from "./api";

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

/**
 * A cursor-paged list: the first page when `deps` change, more on demand ("Load more"), all of it
 * again on reload() (after a change the screen made).
 */
export function useList<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, deps: unknown[]) {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>();
  const [round, setRound] = useState(0);

  // The caller's deps decide when to load.
  useEffect(() => {
    let current = true;
    setLoading(true);
    setError(undefined);
    fetchPage(undefined).then(
      (page) => {
        if (!current) return;
        setItems(page.items);
        setCursor(page.cursor);
        setLoading(false);
      },
      (e: unknown) => {
        if (!current) return;
        setError(messageOf(e));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);

  const more = useCallback(async () => {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await fetchPage(cursor);
      setItems((list) => [...list, ...page.items]);
      setCursor(page.cursor);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setLoading(false);
    }
  }, [cursor, fetchPage]);

  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { items, hasMore: cursor !== null, loading, error, more, reload };
}

/** An envelope list answer as a page. */
export function pageOf<T>(body: { data: T[]; meta?: { cursor?: string | null } } | undefined): Page<T> {
  return { items: body?.data ?? [], cursor: body?.meta?.cursor ?? null };
}
