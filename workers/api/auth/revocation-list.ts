import { sql } from "drizzle-orm";
import type { Database } from "../../../db/client";
import { rowsOf } from "../../../db/rows";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { describeError } from "../lib/log-error";
import { type Defer, deferOrAwait, tryUpstash } from "../lib/upstash";
import { CLOCK_TOLERANCE_SECONDS } from "./access-token";
import { type AccessClaims, MAX_ACCESS_TOKEN_TTL_SECONDS } from "./token-format";

/*
 * The edge revocation list: access tokens revoked before their expiry (by `jti`) and refresh
 * families ended (by id, the `sid` claim their access tokens carry), each listed until no token
 * it covers can still verify. Ids and epoch seconds only: no personal data (it lives in Upstash,
 * which is global).
 *
 * Every isolate keeps a copy and checks each verified access token against it, in memory. The
 * copy is reloaded after the response (waitUntil) once it is REVOCATION_REFRESH_MS old, and a
 * request waits for a reload only when the copy is older than REVOCATION_BOUND_MS (a new or long
 * idle isolate). The source is the sorted set `{prefix}revoked` in Upstash (member → expiry), or,
 * with Upstash unreachable or unset, this region's Postgres (edge_revoked_tokens(), migration
 * 0008). So a revoked token stops working everywhere within REVOCATION_BOUND_MS plus one reload,
 * and at once on the isolate that revoked it.
 */

/** After this the copy is reloaded in the background. */
export const REVOCATION_REFRESH_MS = 2_000;
/** A copy older than this is never trusted: the request waits for a reload. */
export const REVOCATION_BOUND_MS = 10_000;

/** How long a family's revocation must stay listed: its newest access token's whole life. */
const FAMILY_LISTED_SECONDS = MAX_ACCESS_TOKEN_TTL_SECONDS + CLOCK_TOLERANCE_SECONDS;

export interface Revocation {
  /** `jti:{jti}` or `sid:{family id}`. */
  member: string;
  /** Epoch seconds after which no token it covers verifies. */
  untilEpoch: number;
}

/** An access token revoked by its jti: listed until its exp plus the verifier's clock tolerance. */
export const revokedAccessToken = (jti: string, expiresAt: number): Revocation => ({
  member: `jti:${jti}`,
  untilEpoch: expiresAt + CLOCK_TOLERANCE_SECONDS,
});

/** Refresh families ended now: every access token carrying one as `sid` is refused. */
export const revokedFamilies = (familyIds: readonly string[], nowMs = Date.now()): Revocation[] =>
  familyIds.map((id) => ({
    member: `sid:${id}`,
    untilEpoch: Math.floor(nowMs / 1000) + FAMILY_LISTED_SECONDS,
  }));

const epochNow = () => Math.floor(Date.now() / 1000);

class RevocationList {
  /** member → epoch seconds. Only grows until entries expire: a revocation is never undone. */
  private readonly until = new Map<string, number>();
  /** Epoch ms at which the last successful load started (what the copy is at least as new as). */
  loadedAt = Number.NEGATIVE_INFINITY;
  source: "upstash" | "postgres" | undefined;
  /** Epoch ms a background reload started; 0 when none runs. */
  backgroundSince = 0;
  /** Set after a load from Postgres or a failed write: Upstash may lack entries this copy has. */
  upstashMayLack = false;

  add(entries: readonly Revocation[]): void {
    for (const { member, untilEpoch } of entries) {
      if (untilEpoch > (this.until.get(member) ?? 0)) this.until.set(member, untilEpoch);
    }
  }

  has(member: string, nowEpoch: number): boolean {
    const until = this.until.get(member);
    return until !== undefined && until > nowEpoch;
  }

  /** Live entries, dropping the expired ones. */
  live(nowEpoch: number): Revocation[] {
    const entries: Revocation[] = [];
    for (const [member, untilEpoch] of this.until) {
      if (untilEpoch <= nowEpoch) this.until.delete(member);
      else entries.push({ member, untilEpoch });
    }
    return entries;
  }
}

const lists = new WeakMap<Config, RevocationList>();

function listFor(config: Config): RevocationList {
  let list = lists.get(config);
  if (!list) {
    list = new RevocationList();
    lists.set(config, list);
  }
  return list;
}

function writeToUpstash(config: Config, entries: readonly Revocation[]) {
  const [first, ...rest] = entries.map((e) => ({ score: e.untilEpoch, member: e.member }));
  if (!first) return Promise.resolve({ ok: true as const, value: undefined });
  return tryUpstash(config, async (store) => {
    const key = store.key("revoked");
    await store.redis
      .pipeline()
      .zadd(key, first, ...rest)
      .zremrangebyscore(key, "-inf", epochNow())
      .expire(key, FAMILY_LISTED_SECONDS)
      .exec();
  });
}

/** Pairs of a `ZRANGE … WITHSCORES` reply (raw strings: automatic deserialisation is off). */
function pairsOf(reply: unknown): Revocation[] {
  if (!Array.isArray(reply)) throw new Error("unexpected ZRANGE reply");
  const entries: Revocation[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const member = reply[i];
    const untilEpoch = Number(reply[i + 1]);
    if (typeof member === "string" && Number.isFinite(untilEpoch)) entries.push({ member, untilEpoch });
  }
  return entries;
}

/** One load of the list into the isolate's copy; false when neither Upstash nor Postgres answered. */
async function reload(config: Config, list: RevocationList, db: () => Database): Promise<boolean> {
  const started = Date.now();
  const now = epochNow();
  const shared = await tryUpstash(config, (store) =>
    store.redis.zrange(store.key("revoked"), now, "+inf", { byScore: true, withScores: true }),
  );
  if (shared.ok) {
    const entries = pairsOf(shared.value);
    list.add(entries);
    list.loadedAt = started;
    list.source = "upstash";
    if (list.upstashMayLack) {
      // Revocations recorded while Upstash was unreachable reach it from here, so isolates that
      // never fell back (other regions, new isolates) see them too.
      const known = new Set(entries.map((e) => e.member));
      const missing = list.live(now).filter((e) => !known.has(e.member));
      const repaired = await writeToUpstash(config, missing);
      if (repaired.ok) list.upstashMayLack = false;
    }
    return true;
  }
  try {
    const rows = await rowsOf<{ member: string; until_epoch: string | number }>(
      db(),
      sql`select member, until_epoch from edge_revoked_tokens(${CLOCK_TOLERANCE_SECONDS}, ${FAMILY_LISTED_SECONDS})`,
    );
    list.add(rows.map((r) => ({ member: r.member, untilEpoch: Number(r.until_epoch) })));
    list.loadedAt = started;
    list.source = "postgres";
    if (config.upstash) list.upstashMayLack = true;
    return true;
  } catch (error) {
    console.warn(
      JSON.stringify({ level: "warn", msg: "revocation list could not be loaded", ...describeError(error) }),
    );
    return false;
  }
}

/**
 * Refuses a verified access token that was revoked (its jti, or its refresh family). No I/O while
 * the isolate's copy is fresh; a reload after the response when it is getting old (given
 * `defer`); the request waits only for a copy older than REVOCATION_BOUND_MS, and answers 503 if
 * no source answers then (failing closed: the bound is a promise).
 */
export async function assertNotRevoked(
  config: Config,
  claims: Pick<AccessClaims, "jti" | "sessionId">,
  db: () => Database,
  defer?: Defer,
): Promise<void> {
  const list = listFor(config);
  const now = Date.now();
  const age = now - list.loadedAt;
  if (age > REVOCATION_BOUND_MS) {
    if (!(await reload(config, list, db))) throw ApiError.unavailable("Token revocation list unavailable");
  } else if (
    age > REVOCATION_REFRESH_MS &&
    defer &&
    // A reload whose request context ended without finishing it must not block the next forever.
    (list.backgroundSince === 0 || now - list.backgroundSince > REVOCATION_BOUND_MS)
  ) {
    list.backgroundSince = now;
    defer(
      reload(config, list, db).finally(() => {
        list.backgroundSince = 0;
      }),
    );
  }
  const nowEpoch = Math.floor(Date.now() / 1000);
  if (
    list.has(`jti:${claims.jti}`, nowEpoch) ||
    (claims.sessionId !== null && list.has(`sid:${claims.sessionId}`, nowEpoch))
  ) {
    throw ApiError.unauthenticated("Token revoked");
  }
}

/**
 * After revocations were committed to Postgres: this isolate refuses the tokens at once, and
 * Upstash gets them for every other isolate (after the response when `defer` is given). If Upstash
 * cannot take them, Postgres still has them: isolates reading Postgres see them, and this isolate
 * copies them to Upstash once it can reach it again.
 */
export async function announceRevocations(
  config: Config,
  entries: readonly Revocation[],
  defer?: Defer,
): Promise<void> {
  if (entries.length === 0) return;
  const list = listFor(config);
  list.add(entries);
  if (!config.upstash) return;
  await deferOrAwait(
    writeToUpstash(config, entries).then((written) => {
      if (!written.ok) list.upstashMayLack = true;
    }),
    defer,
  );
}

/** This isolate's copy, for /health. */
export function revocationListState(config: Config): {
  source: "upstash" | "postgres" | null;
  age_ms: number | null;
} {
  const list = lists.get(config);
  if (!list?.source) return { source: null, age_ms: null };
  return { source: list.source, age_ms: Date.now() - list.loadedAt };
}
