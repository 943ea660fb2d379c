import { call, callWith, envelope } from "./helpers";

export const SEARCH = "/api/v1/search";

export interface Hit {
  id: string;
  type: string;
  score: number;
  ranks: { keyword: number | null; semantic: number | null };
  highlights: Record<string, string>;
  record: Record<string, unknown> & { embedding: { status: string } };
}

export interface SearchBody {
  hits: Hit[];
  facets: Record<string, Record<string, number>>;
  found: number;
  found_is_exact: boolean;
}

export interface SearchMeta {
  cursor: string | null;
  has_more: boolean;
  path: { keyword: string; semantic: string };
  semantic_unavailable?: string;
}

/** A word of letters only, unique to one test, so its hits are its own whatever else tenant a holds. */
export const marker = (prefix = "mk") =>
  `${prefix}${Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => String.fromCharCode(97 + (b % 26))).join("")}`;

type Caller = (path: string, init?: Parameters<typeof call>[1]) => Promise<Response>;

export const callerWith = (overrides: Record<string, string> | undefined): Caller =>
  overrides ? (path, init) => callWith(overrides as Partial<Env>, path, init) : call;

export async function searchWith(caller: Caller, json: Record<string, unknown>, token?: string) {
  const res = await caller(SEARCH, { method: "POST", json, ...(token ? { token } : {}) });
  const body = await envelope<SearchBody>(res);
  return { res, data: body.data, meta: body.meta as unknown as SearchMeta, errors: body.errors };
}

/** Every hit of a search, page by page with the cursor. */
export async function allPages(caller: Caller, json: Record<string, unknown>): Promise<Hit[]> {
  const hits: Hit[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const r = await searchWith(caller, { ...json, ...(cursor ? { cursor } : {}) });
    if (r.res.status !== 200) throw new Error(`search answered ${r.res.status}: ${JSON.stringify(r.errors)}`);
    hits.push(...r.data.hits);
    cursor = r.meta.cursor;
    if (!cursor) return hits;
  }
  throw new Error("more than 50 pages");
}
